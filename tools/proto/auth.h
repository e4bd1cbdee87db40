/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv6 Authentication option (11) in the RFC 3315 section 21.4 layout:
 *
 *   code (2) | len (2) | protocol (1) | algorithm (1) | RDM (1) |
 *   replay detection (8) | authentication information (len - 11)
 *
 * Two protocols:
 *
 * - Client authentication: protocol 2 ("delayed", RFC 3315 21.4.1) with the
 *   HMAC-MD5 of that section replaced by HMAC-SHA-256 (algorithm 2, a value
 *   of our own: the registry has none for SHA-256).  Information =
 *   realm (variable: the key name) | key ID (4) | HMAC-SHA-256 (32).  The
 *   HMAC covers the whole DHCPv6 message with the HMAC field zeroed; RDM 0:
 *   the replay field is a counter that must increase with every message.
 *
 * - Reconfigure Key (RFC 8415 20.4): protocol 3, algorithm 1 (HMAC-MD5),
 *   RDM 0.  Information = type (1) | value (16): type 1 carries the key in
 *   a Reply, type 2 the HMAC-MD5 of a Reconfigure (value zeroed).
 */
#ifndef DSTM_PROTO_AUTH_H
#define DSTM_PROTO_AUTH_H

#include "dhcp6.h"

#define D6_AUTH_PROTO_DELAYED		2
#define D6_AUTH_PROTO_RECONF		3
#define D6_AUTH_ALG_HMAC_MD5		1
#define D6_AUTH_ALG_HMAC_SHA256		2
#define D6_AUTH_RDM_COUNTER		0
#define D6_HMAC_SHA256_LEN		32
#define D6_RECONF_KEY_LEN		16
#define D6_RECONF_TYPE_KEY		1
#define D6_RECONF_TYPE_HMAC		2
#define D6_AUTH_REALM_MAX		64

struct d6_auth_delayed {
	const uint8_t *realm;
	size_t realm_len;
	uint32_t keyid;
	const uint8_t *mac;
};

/*
 * Append a delayed-authentication option with a zero HMAC; returns the
 * offset of the HMAC field in the buffer.  Once the whole message is
 * built, d6_auth_sign_sha256() fills it in.
 */
size_t d6_put_auth_delayed(struct pbuf *b, uint64_t replay, const char *realm,
			   uint32_t keyid);
bool d6_auth_sign_sha256(uint8_t *msg, size_t len, size_t mac_off,
			 const uint8_t *key, size_t keylen);
/* 0, or -PROTO_EBADOPT if not protocol 2 / algorithm 2 / RDM 0. */
int d6_auth_delayed_parse(const struct d6_auth *a, struct d6_auth_delayed *d);
/* Constant-time check of the HMAC of msg (whose option a was parsed). */
bool d6_auth_verify_sha256(const uint8_t *msg, size_t len,
			   const struct d6_auth *a, const uint8_t *key,
			   size_t keylen);

/* Reconfigure Key: the key itself, for a Reply. */
void d6_put_auth_reconf_key(struct pbuf *b, uint64_t replay,
			    const uint8_t key[D6_RECONF_KEY_LEN]);
/* For a Reconfigure: a zero digest; returns its offset for sign_md5(). */
size_t d6_put_auth_reconf_hmac(struct pbuf *b, uint64_t replay);
bool d6_auth_sign_md5(uint8_t *msg, size_t len, size_t mac_off,
		      const uint8_t key[D6_RECONF_KEY_LEN]);
/* 0 with *type and *value (16 bytes), or -PROTO_EBADOPT. */
int d6_auth_reconf_parse(const struct d6_auth *a, uint8_t *type,
			 const uint8_t **value);
bool d6_auth_verify_reconf(const uint8_t *msg, size_t len,
			   const struct d6_auth *a,
			   const uint8_t key[D6_RECONF_KEY_LEN]);

/*
 * A whole Reconfigure (RFC 8415 18.3.11, 20.4.2): ServerID, ClientID,
 * OPTION_RECONF_MSG = msg_type (11: Information-request, as DSTM's DNS
 * extension uses it) and the Authentication option with the HMAC-MD5 of
 * the message under the client's Reconfigure Key.  Length or <0.
 */
int d6_build_reconfigure(uint8_t *buf, size_t cap, const uint8_t *server_duid,
			 size_t server_duid_len, const uint8_t *client_duid,
			 size_t client_duid_len, uint8_t msg_type,
			 uint64_t replay, const uint8_t key[D6_RECONF_KEY_LEN]);
/* A client's check of a received Reconfigure: parsed m, the key from its
 * Reply, its last accepted replay counter.  true if it must act on it. */
bool d6_reconfigure_ok(const uint8_t *msg, size_t len, const struct d6_msg *m,
		       const uint8_t key[D6_RECONF_KEY_LEN], bool have_last,
		       uint64_t last);

/* RDM 0: a replay counter must strictly increase. */
static inline bool d6_replay_ok(bool have_last, uint64_t last, uint64_t got)
{
	return !have_last || got > last;
}

/* HMAC over three parts (before, zeros, after): the building block. */
bool d6_hmac(const char *digest, const uint8_t *key, size_t keylen,
	     const uint8_t *msg, size_t len, size_t zero_off, size_t zero_len,
	     uint8_t *out, size_t outlen);

#endif
