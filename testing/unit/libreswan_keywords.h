/* libreswan_keywords.h: the keywords of libreswan 4.10's ipsec.conf(5), as
 * Debian 12 ships it, by section; "left" ones stand for "right" too. The
 * unit tests check that pluto gives each one a fate (keywords.h). */
#ifndef LIBRESWAN_KEYWORDS_H
#define LIBRESWAN_KEYWORDS_H

static const char *const libreswan_conn_keywords[] = {
	"also", "alsoflip", "keyexchange", "hostaddrfamily", "clientaddrfamily", "type",
	"left", "leftsubnet", "leftsubnets", "leftvti", "leftaddresspool", "leftprotoport",
	"leftnexthop", "leftsourceip", "leftupdown", "leftcat", "leftfirewall",
	"auto", "authby", "ike", "phase2", "phase2alg", "sha2-truncbug", "ms-dh-downgrade",
	"dns-match-id", "require-id-on-certificate", "ppk", "nat-ikev1-method", "esp", "ah",
	"fragmentation", "ikepad", "ikev2", "mobike", "esn", "decap-dscp", "nopmtudisc",
	"narrowing", "sareftrack", "nic-offload", "leftid", "leftrsasigkey", "leftcert",
	"leftckaid", "leftauth", "leftautheap", "leftca", "leftikeport", "leftsendcert",
	"leftxauthserver", "leftxauthclient", "leftusername", "leftmodecfgserver",
	"leftmodecfgclient", "xauthby", "xauthfail", "pam-authorize", "modecfgpull",
	"modecfgdns", "modecfgdomains", "modecfgbanner", "remote-peer-type", "nm-configured",
	"encapsulation", "enable-tcp", "tcp-remoteport", "nat-keepalive", "initial-contact",
	"cisco-unity", "ignore-peer-dns", "accept-redirect", "accept-redirect-to",
	"send-redirect", "redirect-to", "fake-strongswan", "send-vendorid", "overlapip",
	"reqid", "dpddelay", "dpdtimeout", "dpdaction", "pfs", "pfsgroup", "aggressive",
	"salifetime", "ipsec-max-bytes", "ipsec-max-packets", "replay-window", "rekey",
	"rekeymargin", "rekeyfuzz", "keyingtries", "ikelifetime", "retransmit-timeout",
	"retransmit-interval", "compress", "metric", "mtu", "tfc", "send-no-esp-tfc", "nflog",
	"mark", "mark-in", "mark-out", "vti-interface", "vti-routing", "vti-shared",
	"ipsec-interface", "priority", "sendca", "labeled-ipsec", "policy-label",
	"failureshunt", "negotiationshunt",
};

static const char *const libreswan_setup_keywords[] = {
	"protostack", "listen", "ike-socket-bufsize", "ike-socket-errqueue", "listen-udp",
	"listen-tcp", "nflog-all", "keep-alive", "virtual-private", "myvendorid", "nhelpers",
	"seedbits", "ikev1-secctx-attr-type", "ikev1-policy", "crlcheckinterval", "crl-strict",
	"curl-iface", "curl-timeout", "ocsp-enable", "ocsp-strict", "ocsp-method",
	"ocsp-timeout", "ocsp-uri", "ocsp-trustname", "ocsp-cache-size", "ocsp-cache-min-age",
	"ocsp-cache-max-age", "syslog", "plutodebug", "uniqueids", "logfile", "logappend",
	"logip", "audit-log", "logtime", "ddos-mode", "ddos-ike-threshold", "global-redirect",
	"global-redirect-to", "max-halfopen-ike", "shuntlifetime", "xfrmlifetime", "dumpdir",
	"statsbin", "ipsecdir", "nssdir", "secretsfile", "seccomp", "dnssec-enable",
	"dnssec-rootkey-file", "dnssec-anchors",
};

#endif
