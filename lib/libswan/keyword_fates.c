/* keyword_fates.c: what becomes of libreswan's keywords that pluto does
 * not implement (libreswan 4.10's ipsec.conf(5), plus a few older names
 * still common in configs).
 *
 * Each is either accepted with a notice that it has no effect here and
 * why, accepted only with the values that ask for what pluto does anyway
 * (compress=no) and refused with any other, or refused whatever its value.
 * A "left" name stands for its "right" twin too. */
#include <string.h>
#include "keywords.h"

#define ANY NULL	/* every value has no effect */

#define IGNORED(n, s, why)		{ n, s, KF_IGNORED, ANY, why }
#define IGNORED_IF(n, s, vals, why)	{ n, s, KF_IGNORED, vals, why }
#define REFUSED(n, s, why)		{ n, s, KF_REFUSED, ANY, why }

#define C KWS_CONN
#define S KWS_SETUP

static const char ikev1[] = "it applies to IKEv1 only";
static const char no_certs[] = "certificates are checked against the CAs of the NSS database, without CRLs or OCSP";
static const char no_cp[] = "the IKEv2 configuration payload (address pools, DNS) is not supported";
static const char no_redirect[] = "IKEv2 redirect (RFC 5685) is not supported";
static const char no_vti[] = "VTI and XFRM interfaces are not supported; the tunnel uses policies";
static const char no_logs[] = "pluto's log lines always carry the time and go to logfile= or syslog";

static const struct kw_fate fates[] = {
	/* conn: general */
	REFUSED("alsoflip", C, "write the conn with left and right as they are, and use also="),
	IGNORED("hostaddrfamily", C, "the family comes from left= and right="),
	IGNORED("clientaddrfamily", C, "the family comes from the subnets"),
	REFUSED("leftvti", C, no_vti),
	REFUSED("leftaddresspool", C, no_cp),
	IGNORED("leftnexthop", C, "the kernel's routing table chooses the next hop (obsolete in libreswan 5 too)"),
	IGNORED_IF("leftcat", C, "no", "client address translation is not supported"),
	IGNORED_IF("leftfirewall", C, "no", "pluto has no firewall rules of its own; run them from a leftupdown= script"),
	/* conn: automatic keying */
	IGNORED_IF("sha2-truncbug", C, "no", "the pre-RFC 96-bit SHA2-256 truncation is not supported"),
	IGNORED_IF("ms-dh-downgrade", C, "no", "Windows' weaker DH group on rekey is not supported"),
	IGNORED_IF("dns-match-id", C, "no", "IDs are not checked against DNS"),
	IGNORED_IF("require-id-on-certificate", C, "yes", "the peer's ID is always checked against its certificate"),
	IGNORED_IF("ppk", C, "no|never", "post-quantum preshared keys (RFC 8784) are not supported"),
	IGNORED("nat-ikev1-method", C, ikev1),
	REFUSED("ah", C, "AH proposals are not supported; use esp="),
	IGNORED("ikepad", C, ikev1),
	IGNORED_IF("mobike", C, "no", "MOBIKE (RFC 4555) is not supported"),
	IGNORED_IF("decap-dscp", C, "no", "the DSCP of the inner packet is kept, as the kernel does by default"),
	IGNORED_IF("nopmtudisc", C, "no", "path MTU discovery stays on"),
	IGNORED("sareftrack", C, "it applies to the obsolete MAST stack only"),
	REFUSED("leftrsasigkey", C, "raw RSA keys are not supported yet; use a certificate (leftcert=) or authby=secret"),
	REFUSED("leftckaid", C, "name the certificate by its nickname in leftcert="),
	IGNORED_IF("leftautheap", C, "none", "EAP is not supported"),
	REFUSED("leftca", C, "any CA the NSS database trusts is accepted; leftca= is not supported"),
	REFUSED("leftikeport", C, "IKE runs on ports 500 and 4500"),
	IGNORED_IF("leftxauthserver", C, "no", ikev1),
	IGNORED_IF("leftxauthclient", C, "no", ikev1),
	IGNORED("leftusername", C, ikev1),
	IGNORED_IF("leftmodecfgserver", C, "no", no_cp),
	IGNORED_IF("leftmodecfgclient", C, "no", no_cp),
	IGNORED("xauthby", C, ikev1),
	IGNORED("xauthfail", C, ikev1),
	IGNORED("pam-authorize", C, ikev1),
	IGNORED("modecfgpull", C, no_cp),
	IGNORED("modecfgdns", C, no_cp),
	IGNORED("modecfgdomains", C, no_cp),
	IGNORED("modecfgbanner", C, no_cp),
	IGNORED_IF("remote-peer-type", C, "ietf", "Cisco extensions are not supported"),
	IGNORED("nm-configured", C, "NetworkManager does not drive this pluto"),
	IGNORED_IF("enable-tcp", C, "no", "IKE and ESP over TCP (RFC 8229) are not supported"),
	IGNORED("tcp-remoteport", C, "IKE over TCP is not supported"),
	IGNORED_IF("initial-contact", C, "yes", "INITIAL_CONTACT is always sent with a first IKE SA"),
	IGNORED_IF("cisco-unity", C, "no", "Cisco extensions are not supported"),
	IGNORED("ignore-peer-dns", C, no_cp),
	IGNORED_IF("accept-redirect", C, "no", no_redirect),
	IGNORED("accept-redirect-to", C, no_redirect),
	IGNORED_IF("send-redirect", C, "no", no_redirect),
	REFUSED("redirect-to", C, no_redirect),
	IGNORED("fake-strongswan", C, "pluto sends no vendor IDs"),
	IGNORED("send-vendorid", C, "pluto sends no vendor IDs"),
	IGNORED_IF("overlapip", C, "no", "overlapping road-warrior addresses are not supported"),
	REFUSED("reqid", C, "pluto chooses each tunnel's reqid itself"),
	REFUSED("pfsgroup", C, "write the group in esp=, e.g. esp=aes_gcm128-null;dh19"),
	IGNORED_IF("aggressive", C, "no", ikev1),
	REFUSED("ikelifebytes", C, "IKE SAs have no byte lifetime"),
	REFUSED("salifebytes", C, "write ipsec-max-bytes="),
	IGNORED("nat-traversal", S, "IKEv2 detects NAT with every peer"),
	IGNORED("keyingtries", C, "IKEv2 conns are retried with a backoff until they come up (obsolete in libreswan 5 too)"),
	IGNORED_IF("compress", C, "no", "IPComp is not supported"),
	IGNORED("metric", C, "pluto's routes take the kernel's default metric"),
	IGNORED("mtu", C, "pluto's routes take the interface's MTU"),
	IGNORED_IF("send-no-esp-tfc", C, "no", "ESP_TFC_PADDING_NOT_SUPPORTED is never sent"),
	IGNORED("nflog", C, "NFLOG groups are not supported"),
	REFUSED("mark", C, "XFRM marks are not supported"),
	REFUSED("mark-in", C, "XFRM marks are not supported"),
	REFUSED("mark-out", C, "XFRM marks are not supported"),
	REFUSED("vti-interface", C, no_vti),
	IGNORED("vti-routing", C, no_vti),
	IGNORED("vti-shared", C, no_vti),
	IGNORED_IF("ipsec-interface", C, "no", no_vti),
	REFUSED("priority", C, "pluto sets its policies' priority itself"),
	IGNORED("sendca", C, "only the end certificate is sent, never its CAs"),
	IGNORED_IF("labeled-ipsec", C, "no", "labeled IPsec is not supported"),
	REFUSED("policy-label", C, "labeled IPsec is not supported"),
	IGNORED_IF("failureshunt", C, "none", "a failed conn never installs a shunt"),
	IGNORED_IF("negotiationshunt", C, "hold", "packets wait (are held) while a tunnel is negotiated"),

	/* config setup */
	IGNORED("listen", S, "pluto listens on the local addresses of its conns"),
	IGNORED("ike-socket-bufsize", S, "the kernel's default socket buffers are used"),
	IGNORED("ike-socket-errqueue", S, "the kernel's default socket options are used"),
	IGNORED_IF("listen-udp", S, "yes", "IKE over UDP is always on"),
	IGNORED_IF("listen-tcp", S, "no", "IKE over TCP (RFC 8229) is not supported"),
	IGNORED("nflog-all", S, "NFLOG groups are not supported"),
	IGNORED("virtual-private", S, "it serves rightsubnet=vhost:/vnet:, which are not supported"),
	IGNORED("virtual_private", S, "it serves rightsubnet=vhost:/vnet:, which are not supported"),
	IGNORED("interfaces", S, "pluto listens on the local addresses of its conns"),
	IGNORED("myvendorid", S, "pluto sends no vendor IDs"),
	IGNORED("seedbits", S, "NSS seeds its own random generator"),
	IGNORED("ikev1-secctx-attr-type", S, ikev1),
	IGNORED("ikev1-policy", S, "IKEv1 is never accepted"),
	IGNORED("crlcheckinterval", S, no_certs),
	IGNORED("crl-strict", S, no_certs),
	IGNORED("curl-iface", S, no_certs),
	IGNORED("curl-timeout", S, no_certs),
	IGNORED("ocsp-enable", S, no_certs),
	IGNORED("ocsp-strict", S, no_certs),
	IGNORED("ocsp-method", S, no_certs),
	IGNORED("ocsp-timeout", S, no_certs),
	IGNORED("ocsp-uri", S, no_certs),
	IGNORED("ocsp-trustname", S, no_certs),
	IGNORED("ocsp-cache-size", S, no_certs),
	IGNORED("ocsp-cache-min-age", S, no_certs),
	IGNORED("ocsp-cache-max-age", S, no_certs),
	IGNORED("syslog", S, "pluto logs to syslog as the daemon facility when no logfile= is set"),
	IGNORED("logappend", S, "pluto appends to logfile="),
	IGNORED("logip", S, "peer addresses are always logged"),
	IGNORED("audit-log", S, "the Linux audit log is not written"),
	IGNORED("logtime", S, no_logs),
	IGNORED_IF("global-redirect", S, "no", no_redirect),
	IGNORED("global-redirect-to", S, no_redirect),
	IGNORED("shuntlifetime", S, "a failed conn never installs a shunt"),
	IGNORED("xfrmlifetime", S, "pluto removes what it installs itself"),
	IGNORED("dumpdir", S, "pluto writes no core dumps of its own"),
	IGNORED("statsbin", S, "no statistics program is run"),
	IGNORED("ipsecdir", S, "pluto reads only ipsec.conf, its includes and ipsec.secrets"),
	IGNORED("seccomp", S, "seccomp filters are not supported"),
	IGNORED("dnssec-enable", S, "pluto resolves no names through DNSSEC"),
	IGNORED("dnssec-rootkey-file", S, "pluto resolves no names through DNSSEC"),
	IGNORED("dnssec-anchors", S, "pluto resolves no names through DNSSEC"),
	IGNORED("klipsdebug", S, "the KLIPS stack is gone"),
	IGNORED("oe", S, "opportunistic encryption is not supported"),
};

/* "rightcert" is looked up as "leftcert". */
static const char *left_name(const char *name, char buf[64])
{
	if (strncmp(name, "right", 5) != 0 || strlen(name) >= 60)
		return name;
	strcpy(buf, "left");
	strcat(buf, name + 5);
	return buf;
}

const struct kw_fate *keyword_fate(const char *name)
{
	char buf[64];
	const char *key = left_name(name, buf);
	for (size_t i = 0; i < sizeof(fates) / sizeof(fates[0]); i++) {
		if (strcmp(fates[i].name, key) == 0 && (strncmp(fates[i].name, "left", 4) == 0 || key == name))
			return &fates[i];
	}
	return NULL;
}

bool keyword_fate_accepts(const struct kw_fate *f, const char *value)
{
	if (f->fate != KF_IGNORED)
		return false;
	if (f->values == NULL)
		return true;
	size_t n = strlen(value);
	for (const char *v = f->values; *v != '\0';) {
		size_t len = strcspn(v, "|");
		if (len == n && strncmp(v, value, n) == 0)
			return true;
		v += len + (v[len] == '|');
	}
	return false;
}
