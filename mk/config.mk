# Compiler, flags and the libraries every program links, from pkg-config.

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/ipsec
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
RUNDIR     ?= /run/pluto
NSSDIR     ?= /var/lib/ipsec/nss
DESTDIR    ?=

CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS     := libnl-3.0 libnl-xfrm-3.0 libnl-route-3.0 nss libevent

ifeq ($(SANITIZE),1)
O        ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O        ?= build
SANFLAGS :=
endif

# libsystemd is optional: with it pluto tells systemd when it is ready
# (sd_notify); without it (or with SYSTEMD=0) pluto builds and runs the same.
ifneq ($(SYSTEMD),0)
ifeq ($(shell pkg-config --exists libsystemd && echo yes),yes)
PKGS     += libsystemd
SYSTEMD_DEFS := -DHAVE_LIBSYSTEMD=1
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)) $(SYSTEMD_DEFS)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

# The version is set in one place, the file VERSION, and reaches the
# programs through the generated header version.h (SWAN_VERSION).
VERSION := $(shell cat VERSION)

# Paths compiled into the programs; each can be overridden at run time by
# the programs' own options.
PATH_DEFS := -DIPSEC_CONF='"$(SYSCONFDIR)/ipsec.conf"' \
	-DIPSEC_SECRETS='"$(SYSCONFDIR)/ipsec.secrets"' \
	-DIPSEC_NSSPASSWORD='"$(SYSCONFDIR)/ipsec.d/nsspassword"' \
	-DIPSEC_RUNDIR='"$(RUNDIR)"' \
	-DIPSEC_NSSDIR='"$(NSSDIR)"' \
	-DIPSEC_LIBEXECDIR='"$(LIBEXECDIR)"'

ALL_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Wno-format-nonliteral -D_GNU_SOURCE -Iinclude -I$(O)/gen $(PATH_DEFS) \
	$(PKG_CFLAGS) $(SANFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# For make functions that take a comma or a space as text.
comma := ,
space := $(subst ,, )
