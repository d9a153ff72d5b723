install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(BINDIR)/ipsec $(DESTDIR)$(SBINDIR)/ipsec
	install -m 0755 $(BINDIR)/pluto $(DESTDIR)$(LIBEXECDIR)/pluto
	install -m 0755 $(BINDIR)/whack $(DESTDIR)$(LIBEXECDIR)/whack
	if ls docs/*.[58] >/dev/null 2>&1; then \
		install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8; \
		for m in docs/*.5; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man5/; done; \
		for m in docs/*.8; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man8/; done; \
	fi; true

.PHONY: install
