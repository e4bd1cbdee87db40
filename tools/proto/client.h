/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Client side of the DSTM allocation protocol (DESIGN.md "Allocation
 * protocol"): build the Information-request and the DHCPV4-QUERY messages
 * and decode the server's answers.  Used by dstmd's tests, the load
 * generator and the host agent.  No I/O, no allocation.
 */
#ifndef DSTM_PROTO_CLIENT_H
#define DSTM_PROTO_CLIENT_H

#include "auth.h"
#include "dhcp4.h"
#include "dhcp6.h"

#define D4O6_MSG_MAX	1500

struct d4o6_client {
	uint8_t duid[D6_DUID_MAX];
	uint16_t duid_len;
	uint32_t iaid;
	uint8_t cid[1 + 4 + D6_DUID_MAX];	/* DHCPv4 client id, RFC 4361 */
	uint8_t cid_len;
	uint8_t chaddr[6];
	const char *fqdn;		/* NULL: no Client FQDN option */
	bool reconf_accept;		/* send OPTION_RECONF_ACCEPT */
	/* Authentication (NULL key: none). */
	const char *key_name;
	const uint8_t *key;
	size_t key_len;
	uint64_t replay;		/* incremented for every message */
};

/*
 * DUID-EN style client identity from (enterprise, id bytes); fills the
 * DUID, the RFC 4361 client id (type 255 | IAID | DUID) and a chaddr
 * derived from the DUID.  false if the DUID would be too long.
 */
bool d4o6_client_init(struct d4o6_client *c, const uint8_t *duid,
		      size_t duid_len, uint32_t iaid);

/* Information-request: ClientID, ORO (88, 96), FQDN, auth.  Length or <0. */
int d4o6_build_inforeq(struct d4o6_client *c, uint32_t xid, uint8_t *buf,
		       size_t cap);

/* A BOOTREQUEST of the given DHCP type with the client's identity. */
void d4o6_init_v4(const struct d4o6_client *c, struct d4_msg *m,
		  uint8_t type, uint32_t xid);

/* DHCPV4-QUERY carrying m, plus ClientID and auth.  Length or <0. */
int d4o6_build_query(struct d4o6_client *c, uint32_t flags,
		     const struct d4_msg *m, uint8_t *buf, size_t cap);

/* Decode a DHCPV4-RESPONSE and the DHCPv4 message inside (BOOTREPLY). */
int d4o6_parse_response(const uint8_t *buf, size_t len, struct d6_msg *m6,
			struct d4_msg *m4);

#endif
