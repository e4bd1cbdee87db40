/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv6 codec (RFC 8415) with the options DSTM uses: DHCPv4-over-DHCPv6
 * (RFC 7341), the lightweight 4over6 container (RFC 7598), Client FQDN
 * (RFC 4704), Authentication (RFC 3315 section 21.4 layout), Reconfigure.
 *
 * Decoding never allocates: struct d6_msg points into the caller's packet,
 * which must outlive it.  Every length is checked against its container;
 * a malformed packet yields a negative D6E_* / PROTO_E* code (see
 * proto_strerror()), never a partial view.
 */
#ifndef DSTM_PROTO_DHCP6_H
#define DSTM_PROTO_DHCP6_H

#include <netinet/in.h>
#include "buf.h"

#define DHCP6_CLIENT_PORT	546
#define DHCP6_SERVER_PORT	547

/* Message types. */
enum {
	D6_SOLICIT = 1,
	D6_ADVERTISE = 2,
	D6_REQUEST = 3,
	D6_CONFIRM = 4,
	D6_RENEW = 5,
	D6_REBIND = 6,
	D6_REPLY = 7,
	D6_RELEASE = 8,
	D6_DECLINE = 9,
	D6_RECONFIGURE = 10,
	D6_INFORMATION_REQUEST = 11,
	D6_RELAY_FORW = 12,
	D6_RELAY_REPL = 13,
	D6_DHCPV4_QUERY = 20,		/* RFC 7341 */
	D6_DHCPV4_RESPONSE = 21,
};

/* Option codes. */
enum {
	D6O_CLIENTID = 1,
	D6O_SERVERID = 2,
	D6O_ORO = 6,
	D6O_ELAPSED_TIME = 8,
	D6O_AUTH = 11,
	D6O_STATUS_CODE = 13,
	D6O_RECONF_MSG = 19,
	D6O_RECONF_ACCEPT = 20,
	D6O_INFORMATION_REFRESH_TIME = 32,
	D6O_CLIENT_FQDN = 39,
	D6O_DHCPV4_MSG = 87,		/* RFC 7341 */
	D6O_DHCP4_O_DHCP6_SERVER = 88,
	D6O_S46_BR = 90,		/* RFC 7598 */
	D6O_S46_V4V6BIND = 92,
	D6O_S46_PORTPARAMS = 93,
	D6O_S46_CONT_LW = 96,
};

/* Status codes (option 13). */
enum {
	D6S_SUCCESS = 0,
	D6S_UNSPEC_FAIL = 1,
	D6S_NO_ADDRS_AVAIL = 2,
	D6S_NO_BINDING = 3,
	D6S_NOT_ON_LINK = 4,
	D6S_USE_MULTICAST = 5,
};

/* RFC 7341 section 6: the U (unicast) bit of the DHCPv4-query flags. */
#define D6_4O6_FLAG_UNICAST	0x800000u

#define D6_DUID_MAX		130	/* 2-byte type + 128 (RFC 8415 11.1) */
#define D6_MAX_ORO		32
#define D6_MAX_4O6_SERVERS	8
#define D6_FQDN_MAX		255	/* text form, without the final dot */

/* Client FQDN flags (RFC 4704 section 4.1). */
#define D6_FQDN_S		0x01
#define D6_FQDN_O		0x02
#define D6_FQDN_N		0x04

/* Errors (negative return values). */
enum {
	PROTO_ESHORT = 1,	/* shorter than its fixed header */
	PROTO_EOPTLEN,		/* an option runs past its container */
	PROTO_EDUP,		/* a singleton option appears twice */
	PROTO_EBADOPT,		/* an option's contents are malformed */
	PROTO_ETYPE,		/* unknown or unexpected message type */
	PROTO_ECOOKIE,		/* DHCPv4 magic cookie missing */
	PROTO_ENOSPACE,		/* the encoder ran out of room */
	PROTO_EMISSING,		/* a required option is absent */
	__PROTO_EMAX
};
const char *proto_strerror(int err);

/* A raw option, as the iterator returns it. */
struct d6_opt {
	uint16_t code;
	uint16_t len;
	const uint8_t *data;
};

/*
 * Next option of an options area [buf, buf + len) at *off: 1 with *o set
 * and *off advanced, 0 at the end, -PROTO_EOPTLEN if the option's header
 * or body runs past the area.
 */
int d6_opt_next(const uint8_t *buf, size_t len, size_t *off, struct d6_opt *o);

/* Authentication option (RFC 3315 section 21.4 / RFC 8415 section 21.11). */
struct d6_auth {
	uint8_t protocol;
	uint8_t algorithm;
	uint8_t rdm;
	uint64_t replay;
	const uint8_t *info;
	uint16_t info_len;
	size_t off;		/* of the option header in the message */
};

struct d6_fqdn {
	uint8_t flags;
	char name[D6_FQDN_MAX + 1];	/* "" when the client sent no name */
	bool partial;		/* the name lacked its root label */
};

struct d6_bytes {
	const uint8_t *p;
	uint16_t len;
};

/*
 * A decoded client/server message (not a relay message).  has_X marks
 * options present; pointers refer into the packet.
 */
struct d6_msg {
	uint8_t type;
	uint32_t xid;		/* transaction id, or 4o6 flags (types 20/21) */
	bool has_clientid, has_serverid, has_oro, has_auth, has_fqdn,
	     has_v4msg, has_4o6_servers, has_s46_lw, has_br, has_reconf_msg,
	     has_reconf_accept, has_status, has_elapsed;
	struct d6_bytes clientid;
	struct d6_bytes serverid;
	uint16_t oro[D6_MAX_ORO];
	unsigned int n_oro;
	struct d6_auth auth;
	struct d6_fqdn fqdn;
	struct d6_bytes v4msg;
	struct in6_addr servers4o6[D6_MAX_4O6_SERVERS];
	unsigned int n_servers4o6;
	struct in6_addr br;	/* first OPTION_S46_BR inside OPTION_S46_CONT_LW */
	uint8_t reconf_msg;
	uint16_t status;
	struct d6_bytes status_msg;
	uint16_t elapsed;
	unsigned int n_unknown;	/* options skipped */
};

/* 0, or a negative PROTO_E* code. */
int d6_parse(const uint8_t *buf, size_t len, struct d6_msg *m);
bool d6_oro_has(const struct d6_msg *m, uint16_t code);

/*
 * Encoding.  Builders append to a pbuf; check pbuf.err once at the end.
 * Container options: off = d6_opt_begin(), append the contents, then
 * d6_opt_end(off) fills in the length.
 */
void d6_put_hdr(struct pbuf *b, uint8_t type, uint32_t xid);
void d6_put_opt(struct pbuf *b, uint16_t code, const void *data, size_t len);
size_t d6_opt_begin(struct pbuf *b, uint16_t code);
void d6_opt_end(struct pbuf *b, size_t off);
void d6_put_u8_opt(struct pbuf *b, uint16_t code, uint8_t v);
void d6_put_u16_opt(struct pbuf *b, uint16_t code, uint16_t v);
void d6_put_u32_opt(struct pbuf *b, uint16_t code, uint32_t v);
void d6_put_oro(struct pbuf *b, const uint16_t *codes, unsigned int n);
void d6_put_status(struct pbuf *b, uint16_t code, const char *msg);
/* 4o6 server list (88): n may be 0 (RFC 7341: use multicast). */
void d6_put_4o6_servers(struct pbuf *b, const struct in6_addr *a,
			unsigned int n);
/* OPTION_S46_CONT_LW holding OPTION_S46_BR = br. */
void d6_put_s46_lw(struct pbuf *b, const struct in6_addr *br);
/* Client FQDN: flags + name ("host.example." fully qualified, or
 * "host" partial: no root label).  false if the name is malformed. */
bool d6_put_fqdn(struct pbuf *b, uint8_t flags, const char *name);

/*
 * DNS wire-format names (RFC 1035 3.1, no compression) used by option 39.
 * Decode: text without the final dot, *partial when the root label is
 * missing.  Encode: "a.b" -> partial, "a.b." -> full.  -1 on malformed.
 */
int dns_name_decode(const uint8_t *p, size_t len, char *out, size_t outlen,
		    bool *partial);
int dns_name_encode(const char *name, uint8_t *out, size_t outlen);

#endif
