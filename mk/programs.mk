# The daemon, the control client and the front command. The daemon's code
# except main() is an archive too, so unit tests can link its logic.

PLUTO_SRCS  := $(filter-out programs/pluto/main.c,$(wildcard programs/pluto/*.c))
PLUTO_OBJS  := $(PLUTO_SRCS:%.c=$(O)/%.o)
LIBPLUTO    := $(O)/programs/pluto/libpluto.a
WHACK_OBJS  := $(patsubst %.c,$(O)/%.o,$(wildcard programs/whack/*.c))
IPSEC_OBJS  := $(patsubst %.c,$(O)/%.o,$(wildcard programs/ipsec/*.c))

BINDIR := $(O)/bin
ALL_PROGRAMS := $(BINDIR)/pluto $(BINDIR)/whack $(BINDIR)/ipsec

$(O)/gen/version.h: VERSION
	@mkdir -p $(dir $@)
	printf '/* Generated from VERSION by mk/programs.mk. */\n#define SWAN_VERSION "%s"\n' "$(VERSION)" > $@

# The programs that print the version (the header must exist before the
# first compile writes their dependency lists).
$(O)/programs/pluto/main.o $(WHACK_OBJS) $(IPSEC_OBJS): $(O)/gen/version.h

$(LIBPLUTO): $(PLUTO_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BINDIR)/pluto: $(O)/programs/pluto/main.o $(LIBPLUTO) $(LIBSWAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BINDIR)/whack: $(WHACK_OBJS) $(LIBSWAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BINDIR)/ipsec: $(IPSEC_OBJS) $(LIBSWAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

-include $(PLUTO_OBJS:.o=.d) $(WHACK_OBJS:.o=.d) $(IPSEC_OBJS:.o=.d) $(O)/programs/pluto/main.d
