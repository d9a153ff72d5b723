# Top-level build: `make` builds everything, `make check` runs every test.
# Objects go to $(O) (default build/), so a sanitizer build can sit beside
# the normal one: `make SANITIZE=1 check-unit` uses build-san/.

include mk/config.mk
include mk/libswan.mk
include mk/programs.mk
include mk/tests.mk
include mk/install.mk
include mk/fuzz.mk

.DEFAULT_GOAL := all
all: $(ALL_PROGRAMS)

clean:
	rm -rf build build-san build-fuzz

.PHONY: all clean

# Installs what the build and tests need from Debian's packages (root).
deps:
	mk/install-deps all

# The main job (README.md): a tunnel with offload in the test VM.
demo: all
	@BINDIR=$(abspath $(BINDIR)) testing/vm/run --out $(RESULTS)/demo testing/demo/tunnel.sh

.PHONY: deps demo
