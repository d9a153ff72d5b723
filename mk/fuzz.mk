# Fuzz targets (libFuzzer, clang): `make check-fuzz` builds each
# testing/fuzz/fuzz_*.c with ASan+UBSan and runs it for FUZZ_SECONDS: a
# smoke test inside make check (kept short for CI's time; the campaigns of
# testing/fuzz/README.md are the real fuzzing).

FUZZ_SECONDS ?= 10
FUZZ_CC      ?= clang
FUZZ_O       := build-fuzz
FUZZ_SRCS    := $(wildcard testing/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:testing/fuzz/%.c=$(FUZZ_O)/%)
# The project's warnings too: a harness must build as clean as the code,
# but for unused static functions: header-only helpers shared with the
# unit tests (testing/unit/*.h) need not all be used by one target.
# Undefined behaviour stops the run, as in `make SANITIZE=1`: otherwise
# UBSan only prints and the fuzzer goes on as if nothing happened.
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-std=gnu11 -D_GNU_SOURCE \
	-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wno-unused-function \
	-Iinclude -Iprograms/pluto $(PATH_DEFS) $(PKG_CFLAGS)

# Each source is compiled once into $(FUZZ_OBJ) (with its header
# dependencies) and linked into every target that needs it.
FUZZ_OBJ     := $(FUZZ_O)/obj
fuzz_objs     = $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(1))
$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
.PRECIOUS: $(FUZZ_OBJ)/%.o

$(FUZZ_O)/%: $(FUZZ_OBJ)/testing/fuzz/%.o $(call fuzz_objs,$(LIBSWAN_SRCS))
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.o,$^) $(PKG_LIBS)

# Targets over the daemon's own modules name the sources they link.
FUZZ_LINK_fuzz_ikev2_msg := $(addprefix programs/pluto/,ikev2_msg.c ikev2_build.c ikev2_proposals.c)
FUZZ_LINK_fuzz_frag      := programs/pluto/ikev2_frag_reasm.c $(FUZZ_LINK_fuzz_ikev2_msg)
FUZZ_LINK_fuzz_ipsec_id  := programs/pluto/ike_id.c
# The config parsers take a path: their inputs become files (input_files.c).
FUZZ_LINK_fuzz_ipsecconf := testing/fuzz/input_files.c
FUZZ_LINK_fuzz_secrets   := testing/fuzz/input_files.c
FUZZ_LINK_fuzz_netlink   := $(addprefix programs/pluto/,kernel_xfrm_msg.c netlink_extack.c kernel_link.c)
FUZZ_CRYPTO_SRCS         := $(addprefix programs/pluto/,ike_nss.c ike_prf.c)
FUZZ_LINK_fuzz_sk        := $(FUZZ_CRYPTO_SRCS) programs/pluto/ike_sk.c $(FUZZ_LINK_fuzz_ikev2_msg)
FUZZ_LINK_fuzz_ke        := $(FUZZ_CRYPTO_SRCS) programs/pluto/ike_dh.c
FUZZ_LINK_fuzz_cert      := $(FUZZ_CRYPTO_SRCS) $(addprefix programs/pluto/,ike_cert.c ike_sig.c ike_id.c)
# The state machine runs the whole daemon but main() and the real DH,
# which the target replaces with a cheap double of its own.
FUZZ_LINK_fuzz_ikev2_exchanges := $(filter-out programs/pluto/ike_dh.c,$(PLUTO_SRCS))
$(foreach t,$(FUZZ_BINS:$(FUZZ_O)/%=%),$(eval $(FUZZ_O)/$(t): $(call fuzz_objs,$(FUZZ_LINK_$(t)))))

# Seeds that are binary messages come from programs: a target's own
# source built with -DFUZZ_SEEDGEN writes them (`make fuzz-seeds`).
FUZZ_SEEDGEN := fuzz_netlink fuzz_sk fuzz_ke fuzz_frag fuzz_cert
$(foreach t,$(FUZZ_SEEDGEN),$(eval $(FUZZ_O)/seedgen/$(t): $(FUZZ_LINK_$(t))))
$(FUZZ_O)/seedgen/%: testing/fuzz/%.c $(LIBSWAN_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(subst -fsanitize=fuzzer$(comma),-fsanitize=,$(FUZZ_FLAGS)) -DFUZZ_SEEDGEN -o $@ $(filter %.c,$^) $(PKG_LIBS)

fuzz-seeds: $(FUZZ_SEEDGEN:%=$(FUZZ_O)/seedgen/%)
	@for t in $(FUZZ_SEEDGEN); do mkdir -p testing/fuzz/seeds/$$t && \
		$(FUZZ_O)/seedgen/$$t testing/fuzz/seeds/$$t || exit 1; done

fuzz: $(FUZZ_BINS)

check-fuzz: $(FUZZ_BINS)
	@mkdir -p $(RESULTS) $(FUZZ_O)/corpus; rm -f $(RESULTS)/fuzz.tap
	@for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p $(FUZZ_O)/corpus/$$n; \
		if $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(FUZZ_O)/corpus/$$n testing/fuzz/seeds/$$n > $(FUZZ_O)/$$n.log 2>&1; then \
			echo "ok - $$n: $(FUZZ_SECONDS)s of fuzzing, $$(grep -o 'stat::number_of_executed_units: [0-9]*' $(FUZZ_O)/$$n.log | cut -d' ' -f2) inputs, no crash"; \
		else echo "not ok - $$n: crashed, see $(FUZZ_O)/$$n.log"; tail -30 $(FUZZ_O)/$$n.log; fi \
		| tee -a $(RESULTS)/fuzz.tap; done
	@testing/tally $(RESULTS)/fuzz.tap

# A longer campaign of one target, niced, its corpus kept under
# $(FUZZ_O)/corpus (testing/fuzz/README.md); FUZZ_TIME, in seconds, ends
# it sooner (0: no limit):
#   make fuzz-campaign FUZZ_TARGET=fuzz_alg FUZZ_RUNS=10000000
FUZZ_TARGET ?= fuzz_alg
FUZZ_RUNS   ?= 10000000
FUZZ_TIME   ?= 0
# The state machine's corpus makes libFuzzer's entropic bookkeeping cost
# most of the time (testing/fuzz/README.md).
FUZZ_FLAGS_fuzz_ikev2_exchanges := -entropic=0
# -reload=0: a campaign runs alone on its corpus, so libFuzzer need not
# list the corpus directory every second for inputs others added (the
# config targets' directories hold thousands).
fuzz-campaign: $(FUZZ_O)/$(FUZZ_TARGET)
	@mkdir -p $(FUZZ_O)/corpus/$(FUZZ_TARGET)
	nice -n 10 $< -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -reload=0 $(FUZZ_FLAGS_$(FUZZ_TARGET)) \
		$(FUZZ_O)/corpus/$(FUZZ_TARGET) testing/fuzz/seeds/$(FUZZ_TARGET) \
		> $(FUZZ_O)/$(FUZZ_TARGET).campaign.log 2>&1
	@grep -E '^Done|stat::(number_of_executed_units|peak_rss_mb)' $(FUZZ_O)/$(FUZZ_TARGET).campaign.log

.PHONY: fuzz check-fuzz fuzz-campaign fuzz-seeds
