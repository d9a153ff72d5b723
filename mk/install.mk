# make install: the programs, the man pages, the systemd unit, and (only
# where none is there yet) /etc/ipsec.conf, /etc/ipsec.secrets (0600) and
# /etc/ipsec.d. PREFIX defaults to /usr/local, so a source install never
# overwrites the files of a package (which installs under /usr); the
# Debian package builds with PREFIX=/usr (debian/rules).

SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MAN5 := $(wildcard docs/man/*.5)
MAN8 := $(wildcard docs/man/*.8)

# The unit, with this install's paths.
define install_unit
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
		packaging/ipsec.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/ipsec.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/ipsec.service
endef

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(BINDIR)/ipsec $(DESTDIR)$(SBINDIR)/ipsec
	install -m 0755 $(BINDIR)/pluto $(DESTDIR)$(LIBEXECDIR)/pluto
	install -m 0755 $(BINDIR)/whack $(DESTDIR)$(LIBEXECDIR)/whack
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(install_unit)
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/ipsec.d
	[ -e $(DESTDIR)$(SYSCONFDIR)/ipsec.conf ] || \
		install -m 0644 packaging/ipsec.conf $(DESTDIR)$(SYSCONFDIR)/ipsec.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/ipsec.secrets ] || \
		install -m 0600 packaging/ipsec.secrets $(DESTDIR)$(SYSCONFDIR)/ipsec.secrets

.PHONY: install
