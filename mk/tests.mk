# Tests. Every suite writes TAP results into $(RESULTS)/; `make check` runs
# them all and ends with testing/tally's line "N passed, N failed".
#   check-unit      cmocka unit tests (testing/unit/test_*.c, one binary each)
#   check-process   the programs run as processes, no kernel ESP needed
#   check-scenarios real-kernel scenarios (testing/scenarios/), in the VM
#                   unless the host kernel has ESP (mk/vm.mk)
#   check-scenarios-6.12  the offload and backend scenarios again, on
#                   Debian's 6.12 kernel (bookworm-backports) in the VM
#   check-fuzz      each fuzz target for a bounded time (mk/fuzz.mk)
#   check-docs      the man pages lint clean; ipsec.conf(5) has every keyword
#   check-package   builds the Debian package (about a minute), checks it
#                   with lintian and unpacked into a scratch root, and
#                   installs it with dpkg -i on a Debian 12 system booted
#                   with systemd under systemd-nspawn (its root file system
#                   made once by testing/package/prepare-rootfs and cached)
#   check-asan      unit and process tests again under ASan and UBSan
#   check-valgrind  unit tests again under valgrind

RESULTS    := $(O)/results
UNIT_SRCS  := $(wildcard testing/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:%.c=$(O)/%)
UNIT_LIBS  := $(shell pkg-config --libs cmocka)

# Unit tests reach into the daemon's modules too.
$(O)/testing/unit/%.o: ALL_CFLAGS += -Iprograms/pluto

# Kept: as intermediates make deleted them after the first build, and the
# next make (check-unit in make check) built every unit test again.
.SECONDARY: $(UNIT_SRCS:%.c=$(O)/%.o)
$(O)/testing/unit/%: $(O)/testing/unit/%.o $(LIBPLUTO) $(LIBSWAN)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIT_LIBS) $(PKG_LIBS)

-include $(UNIT_SRCS:%.c=$(O)/%.d)

unit-tests: $(UNIT_BINS)

check-unit: $(UNIT_BINS)
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/unit.tap
	@for t in $(UNIT_BINS); do \
		CMOCKA_MESSAGE_OUTPUT=TAP testing/run-suite $(RESULTS)/unit.tap $$t; done
	@testing/tally $(RESULTS)/unit.tap

check-process: all
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/process.tap
	@for t in testing/process/test-*.sh; do \
		BINDIR=$(abspath $(BINDIR)) testing/run-suite $(RESULTS)/process.tap bash $$t; done
	@testing/tally $(RESULTS)/process.tap

check-docs:
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/docs.tap
	@testing/run-suite $(RESULTS)/docs.tap bash testing/docs/test-man.sh
	@testing/tally $(RESULTS)/docs.tap

# Builds from a copy of the tree: this one's build/ is left alone. The
# root file system is made before the test enters its own network
# namespace, where no package can be fetched.
check-package:
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/package.tap
	@root=$$(testing/package/prepare-rootfs) || root=; \
		SWAN_SYSD_ROOT=$$root testing/run-suite $(RESULTS)/package.tap bash testing/package/test-deb.sh
	@testing/tally $(RESULTS)/package.tap

.PHONY: check-docs check-package

-include mk/vm.mk
-include mk/kernel-test.mk

# Every suite runs even when an earlier one fails, then one tally of all.
# The scenarios on 6.1 take most of the time and leave much of the machine
# idle, so they run in the background while everything else runs beside
# them, niced so that the 6.1 VM's short timers keep their pace: the
# host's suites, then the scenarios on 6.12 in a second VM. The 6.1 run's
# output is shown once it is done.
BESIDE_SUITES := check-unit check-process check-docs check-package check-fuzz check-asan \
	check-valgrind check-scenarios-6.12
check: all unit-tests
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/*.tap
	@echo "=== the scenarios on 6.1 run in the background, into $(RESULTS)/scenarios.log"
	@$(MAKE) --no-print-directory check-scenarios > $(RESULTS)/scenarios.log 2>&1 & vm=$$!; \
	trap 'kill -TERM $$vm 2>/dev/null; wait $$vm; exit 130' INT TERM; \
	for s in $(BESIDE_SUITES); do nice -n 10 $(MAKE) --no-print-directory $$s; done; \
	echo "=== waiting for the scenarios on 6.1"; wait $$vm; cat $(RESULTS)/scenarios.log
	@testing/tally --expect $(subst $(space),$(comma),$(SUITE_RESULTS)) $(RESULTS)/*.tap

# The result files (without .tap) that `make check` must find.
SUITE_RESULTS := unit process docs package fuzz unit-asan process-asan valgrind scenarios scenarios-6.12

# The unit and process tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer, from a build of their own (build-san/); their
# results join the others as unit-asan and process-asan.
SAN_O   := build-san
# A daemonized pluto's stderr is /dev/null: its reports go to files, and
# each one found after the process tests is a failure of process-asan.
SAN_LOG := $(abspath $(SAN_O))/sanitizer-reports
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SAN_LOG_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(SAN_LOG)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(SAN_LOG)/ubsan
check-asan:
	@rm -rf $(SAN_O)/results $(SAN_LOG); mkdir -p $(SAN_LOG)
	@$(MAKE) --no-print-directory SANITIZE=1 O=$(SAN_O) all unit-tests
	-@$(SAN_ENV) $(MAKE) --no-print-directory SANITIZE=1 O=$(SAN_O) check-unit
	-@$(SAN_LOG_ENV) $(MAKE) --no-print-directory SANITIZE=1 O=$(SAN_O) check-process
	@mkdir -p $(RESULTS)
	@for f in $(SAN_LOG)/*; do [ -e "$$f" ] || continue; \
		echo "not ok - sanitizer report $$f"; head -30 "$$f"; \
		echo "not ok - sanitizer report $$f" >> $(SAN_O)/results/process.tap; done
	@for s in unit process; do \
		if [ -f $(SAN_O)/results/$$s.tap ]; then cp $(SAN_O)/results/$$s.tap $(RESULTS)/$$s-asan.tap; fi; done

.PHONY: unit-tests check check-unit check-process check-scenarios check-asan

# The unit tests again under valgrind: any leak or memory error fails.
check-valgrind: $(UNIT_BINS)
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/valgrind.tap
	@for t in $(UNIT_BINS); do \
		CMOCKA_MESSAGE_OUTPUT=TAP testing/run-suite $(RESULTS)/valgrind.tap \
			valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99 $$t; done
	@testing/tally $(RESULTS)/valgrind.tap

.PHONY: check-valgrind
