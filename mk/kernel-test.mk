# The XFRM backend's test driver (testing/kernel/xfrm-driver.c): links the
# backend itself, for the kernel scenarios and the SA-install benchmark.
# Built with `make` so the scenarios find it in $(BINDIR).

XFRM_DRIVER := $(BINDIR)/xfrm-driver

$(O)/testing/kernel/xfrm-driver.o: ALL_CFLAGS += -Iprograms/pluto

$(XFRM_DRIVER): $(O)/testing/kernel/xfrm-driver.o $(LIBPLUTO) $(LIBSWAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

-include $(O)/testing/kernel/xfrm-driver.d

all: $(XFRM_DRIVER)
kernel-test-tools: $(XFRM_DRIVER)

.PHONY: kernel-test-tools
