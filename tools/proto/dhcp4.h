/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv4 codec (RFC 2131/2132): the BOOTP header and the options DSTM
 * uses, including OPTION_V4_PORTPARAMS (159, RFC 7618) and option
 * overload (52).  Decoding never allocates; pointers refer into the
 * caller's packet.
 */
#ifndef DSTM_PROTO_DHCP4_H
#define DSTM_PROTO_DHCP4_H

#include <netinet/in.h>
#include "buf.h"

#define D4_HDR_LEN	236		/* fixed BOOTP part */
#define D4_COOKIE	0x63825363u
#define D4_MIN_LEN	(D4_HDR_LEN + 4)

#define BOOTREQUEST	1
#define BOOTREPLY	2

/* DHCP message types (option 53). */
enum {
	D4_DISCOVER = 1,
	D4_OFFER = 2,
	D4_REQUEST = 3,
	D4_DECLINE = 4,
	D4_ACK = 5,
	D4_NAK = 6,
	D4_RELEASE = 7,
	D4_INFORM = 8,
};

/* Option codes. */
enum {
	D4O_PAD = 0,
	D4O_SUBNET_MASK = 1,
	D4O_ROUTER = 3,
	D4O_HOSTNAME = 12,
	D4O_REQUESTED_IP = 50,
	D4O_LEASE_TIME = 51,
	D4O_OVERLOAD = 52,
	D4O_MSG_TYPE = 53,
	D4O_SERVER_ID = 54,
	D4O_PRL = 55,
	D4O_MESSAGE = 56,
	D4O_RENEWAL_TIME = 58,
	D4O_REBINDING_TIME = 59,
	D4O_CLIENT_ID = 61,
	D4O_V4_PORTPARAMS = 159,	/* RFC 7618 */
	D4O_END = 255,
};

#define D4_BROADCAST_FLAG	0x8000

struct d4_msg {
	/* BOOTP header */
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	struct in_addr ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	/* options; has_X marks presence */
	bool has_type, has_reqip, has_lease, has_srvid, has_t1, has_t2,
	     has_clientid, has_portparams, has_mask, has_router, has_prl,
	     has_hostname, has_message;
	uint8_t type;
	struct in_addr reqip, srvid, mask, router;
	uint32_t lease, t1, t2;
	uint8_t psid_offset, psid_len;
	uint16_t psid;			/* right-aligned value (< 2^psid_len) */
	const uint8_t *clientid;	/* decode only; encode copies */
	uint8_t clientid_len;
	const uint8_t *prl;
	uint8_t prl_len;
	const uint8_t *hostname;
	uint8_t hostname_len;
	const char *message;		/* option 56 */
	uint8_t message_len;
	unsigned int n_unknown;
};

/* 0 or -PROTO_E*.  The message type (53) is required. */
int d4_parse(const uint8_t *buf, size_t len, struct d4_msg *m);
bool d4_prl_has(const struct d4_msg *m, uint8_t code);

/*
 * Encode m: header, cookie, then the present options in a fixed order
 * (53, 54, 50, 51, 58, 59, 1, 3, 61, 55, 12, 159, 56), then END.
 * Returns false if the buffer is too small.
 */
bool d4_build(struct pbuf *b, const struct d4_msg *m);

/*
 * RFC 7618 PSID field: the PSID left-aligned in 16 bits.  false if the
 * parameters are out of range (offset > 15, offset + len > 16, psid >=
 * 2^len) or the padding bits are not zero.
 */
uint16_t d4_psid_field(uint8_t len, uint16_t psid);
bool d4_psid_decode(uint8_t offset, uint8_t len, uint16_t field,
		    uint16_t *psid);

#endif
