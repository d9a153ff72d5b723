# Real-kernel scenarios (testing/scenarios/*.sh): all of them in one boot of
# the test VM (testing/vm/run), or natively when the host kernel has ESP and
# netdevsim. See testing/vm/README.md.
#   make check-scenarios                              every scenario
#   make check-scenarios SCENARIO=kernel-gcm-offload  one (or a space-separated list)
#   make vm-kernel                                    fill the kernel cache only
#   make vm-peers                                     fill the peers' cache only
#                                                     (Debian's libreswan, strongSwan)
#   make check-scenarios KERNEL=6.12                  the same on Debian's 6.12 kernel
#                                                     (bookworm-backports); default 6.1
#   make check-scenarios-6.12                         the offload and backend scenarios
#                                                     on 6.12 (what `make check` adds)
SCENARIO ?=
KERNEL ?= 6.1

# Where one series' results go: the default keeps today's names.
scenario_results = $(if $(filter 6.1,$(1)),scenarios,scenarios-$(1))

check-scenarios: all
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/$(call scenario_results,$(KERNEL)).tap
	@BINDIR=$(abspath $(BINDIR)) SWAN_VM_SERIES=$(KERNEL) testing/vm/run \
		--tap $(RESULTS)/$(call scenario_results,$(KERNEL)).tap \
		--out $(RESULTS)/$(call scenario_results,$(KERNEL)) $(SCENARIO)

# The scenarios whose outcome depends on the kernel's offload and XFRM code:
# the backend driven directly, the kernel facts, pluto's offload and the
# offload cases of IKE. `make check` runs them on 6.12 too, in one more boot.
SCENARIOS_6_12 := $(sort $(basename $(notdir $(wildcard testing/scenarios/backend-*.sh \
	testing/scenarios/kernel-*.sh testing/scenarios/offload-*.sh))) \
	ike-offload ike-offload-order ike-offload-esn-forced ike-offload-packet ike-offload-certs)

check-scenarios-6.12:
	@$(MAKE) --no-print-directory check-scenarios KERNEL=6.12 SCENARIO="$(SCENARIOS_6_12)"

vm-kernel:
	@SWAN_VM_SERIES=$(KERNEL) testing/vm/prepare

vm-peers:
	@testing/vm/peers

.PHONY: check-scenarios check-scenarios-6.12 vm-kernel vm-peers

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
BENCH ?= sa-install ike-flood offload-budget

bench: all $(IKE_FLOOD)
	@BINDIR=$(abspath $(BINDIR)) SWAN_SCENARIO_TIMEOUT=1800 SWAN_VM_TIMEOUT=$${SWAN_VM_TIMEOUT:-3600} \
		testing/vm/run --out $(RESULTS)/bench $(BENCH:%=testing/bench/%.sh); rc=$$?; \
	if [ -f $(RESULTS)/bench/ike-flood/logs/figures.txt ]; then \
		echo "--- ike-flood figures"; cat $(RESULTS)/bench/ike-flood/logs/figures.txt; fi; \
	if [ -f $(RESULTS)/bench/offload-budget/logs/figures.txt ]; then \
		echo "--- offload-budget figures"; cat $(RESULTS)/bench/offload-budget/logs/figures.txt; fi; \
	exit $$rc

.PHONY: bench

# The daemons side by side (testing/bench/peers.sh): this pluto, libreswan
# and strongSwan, each paired with itself, in one table; one boot.
#   make bench-peers                          N = 10 100 1000
#   make bench-peers BENCH_PEERS_N=10         a quick run
bench-peers: all
	@BINDIR=$(abspath $(BINDIR)) SWAN_SCENARIO_TIMEOUT=$${SWAN_SCENARIO_TIMEOUT:-10800} \
		SWAN_VM_TIMEOUT=$${SWAN_VM_TIMEOUT:-11000} \
		testing/vm/run --out $(RESULTS)/bench-peers testing/bench/peers.sh; rc=$$?; \
	if [ -f $(RESULTS)/bench-peers/peers/logs/figures.txt ]; then \
		echo "--- peers figures"; cat $(RESULTS)/bench-peers/peers/logs/figures.txt; fi; \
	exit $$rc

.PHONY: bench-peers
