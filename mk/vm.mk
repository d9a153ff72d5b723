# Real-kernel scenarios (testing/scenarios/*.sh): all of them in one boot of
# the test VM (testing/vm/run), or natively when the host kernel has ESP and
# netdevsim. See testing/vm/README.md.
#   make check-scenarios                              every scenario
#   make check-scenarios SCENARIO=kernel-gcm-offload  one (or a space-separated list)
#   make vm-kernel                                    fill the kernel cache only
#   make vm-peers                                     fill the peers' cache only
#                                                     (Debian's libreswan, strongSwan)
SCENARIO ?=

check-scenarios: all
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/scenarios.tap
	@BINDIR=$(abspath $(BINDIR)) testing/vm/run --tap $(RESULTS)/scenarios.tap \
		--out $(RESULTS)/scenarios $(SCENARIO)

vm-kernel:
	@testing/vm/prepare

vm-peers:
	@testing/vm/peers

.PHONY: check-scenarios vm-kernel vm-peers

# The IKE_SA_INIT flooder of the flood benchmark (testing/bench/ike_flood.c):
# a test tool on its own, no part of the daemon; built for `make bench` only.
IKE_FLOOD := $(BINDIR)/ike-flood

$(IKE_FLOOD): $(O)/testing/bench/ike_flood.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

-include $(O)/testing/bench/ike_flood.d

# Benchmarks print figures; they never pass or fail on a stopwatch
# (testing/bench/README.md). In the VM, like the scenarios, all in one boot.
#   make bench                   every benchmark
#   make bench BENCH=ike-flood   one (or a space-separated list)
BENCH ?= sa-install ike-flood

bench: all $(IKE_FLOOD)
	@BINDIR=$(abspath $(BINDIR)) SWAN_SCENARIO_TIMEOUT=1800 SWAN_VM_TIMEOUT=$${SWAN_VM_TIMEOUT:-3600} \
		testing/vm/run --out $(RESULTS)/bench $(BENCH:%=testing/bench/%.sh); rc=$$?; \
	if [ -f $(RESULTS)/bench/ike-flood/logs/figures.txt ]; then \
		echo "--- ike-flood figures"; cat $(RESULTS)/bench/ike-flood/logs/figures.txt; fi; \
	exit $$rc

.PHONY: bench
