# lib/libswan: config, secrets, algorithms, addresses, logging, whack wire format.

LIBSWAN_SRCS := $(wildcard lib/libswan/*.c)
LIBSWAN_OBJS := $(LIBSWAN_SRCS:%.c=$(O)/%.o)
LIBSWAN      := $(O)/lib/libswan/libswan.a

$(LIBSWAN): $(LIBSWAN_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

-include $(LIBSWAN_OBJS:.o=.d)
