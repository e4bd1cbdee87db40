// SPDX-License-Identifier: LGPL-2.1-or-later
/* DHCPv6 Authentication option: see auth.h.  HMACs from OpenSSL. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <string.h>

#include "auth.h"

bool d6_hmac(const char *digest, const uint8_t *key, size_t keylen,
	     const uint8_t *msg, size_t len, size_t zero_off, size_t zero_len,
	     uint8_t *out, size_t outlen)
{
	static EVP_MAC *mac;
	static const uint8_t zeros[64];
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t got = 0;
	bool ok;

	if (zero_off > len || zero_len > len - zero_off ||
	    zero_len > sizeof(zeros))
		return false;
	if (!mac) {
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (!mac)
			return false;
	}
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		return false;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, key, keylen, params) &&
	     EVP_MAC_update(ctx, msg, zero_off) &&
	     EVP_MAC_update(ctx, zeros, zero_len) &&
	     EVP_MAC_update(ctx, msg + zero_off + zero_len,
			    len - zero_off - zero_len) &&
	     EVP_MAC_final(ctx, out, &got, outlen) && got == outlen;
	EVP_MAC_CTX_free(ctx);
	return ok;
}

static void put_auth_hdr(struct pbuf *b, uint16_t len, uint8_t proto,
			 uint8_t alg, uint64_t replay)
{
	pbuf_u16(b, D6O_AUTH);
	pbuf_u16(b, len);
	pbuf_u8(b, proto);
	pbuf_u8(b, alg);
	pbuf_u8(b, D6_AUTH_RDM_COUNTER);
	pbuf_u64(b, replay);
}

size_t d6_put_auth_delayed(struct pbuf *b, uint64_t replay, const char *realm,
			   uint32_t keyid)
{
	size_t rl = strlen(realm);

	if (rl > D6_AUTH_REALM_MAX) {
		b->err = true;
		return 0;
	}
	put_auth_hdr(b, (uint16_t)(11 + rl + 4 + D6_HMAC_SHA256_LEN),
		     D6_AUTH_PROTO_DELAYED, D6_AUTH_ALG_HMAC_SHA256, replay);
	pbuf_put(b, realm, rl);
	pbuf_u32(b, keyid);
	pbuf_zero(b, D6_HMAC_SHA256_LEN);
	return b->err ? 0 : b->len - D6_HMAC_SHA256_LEN;
}

bool d6_auth_sign_sha256(uint8_t *msg, size_t len, size_t mac_off,
			 const uint8_t *key, size_t keylen)
{
	uint8_t mac[D6_HMAC_SHA256_LEN];

	if (!d6_hmac("SHA256", key, keylen, msg, len, mac_off, sizeof(mac),
		     mac, sizeof(mac)))
		return false;
	memcpy(msg + mac_off, mac, sizeof(mac));
	return true;
}

int d6_auth_delayed_parse(const struct d6_auth *a, struct d6_auth_delayed *d)
{
	if (a->protocol != D6_AUTH_PROTO_DELAYED ||
	    a->algorithm != D6_AUTH_ALG_HMAC_SHA256 ||
	    a->rdm != D6_AUTH_RDM_COUNTER ||
	    a->info_len < 4 + D6_HMAC_SHA256_LEN ||
	    a->info_len > D6_AUTH_REALM_MAX + 4 + D6_HMAC_SHA256_LEN)
		return -PROTO_EBADOPT;
	d->realm = a->info;
	d->realm_len = a->info_len - 4 - D6_HMAC_SHA256_LEN;
	d->keyid = get_u32(a->info + d->realm_len);
	d->mac = a->info + d->realm_len + 4;
	return 0;
}

bool d6_auth_verify_sha256(const uint8_t *msg, size_t len,
			   const struct d6_auth *a, const uint8_t *key,
			   size_t keylen)
{
	struct d6_auth_delayed d;
	uint8_t mac[D6_HMAC_SHA256_LEN];
	size_t off;

	if (d6_auth_delayed_parse(a, &d))
		return false;
	off = (size_t)(d.mac - msg);
	if (off > len || len - off < sizeof(mac))
		return false;
	if (!d6_hmac("SHA256", key, keylen, msg, len, off, sizeof(mac), mac,
		     sizeof(mac)))
		return false;
	return CRYPTO_memcmp(mac, d.mac, sizeof(mac)) == 0;
}

void d6_put_auth_reconf_key(struct pbuf *b, uint64_t replay,
			    const uint8_t key[D6_RECONF_KEY_LEN])
{
	put_auth_hdr(b, 11 + 1 + D6_RECONF_KEY_LEN, D6_AUTH_PROTO_RECONF,
		     D6_AUTH_ALG_HMAC_MD5, replay);
	pbuf_u8(b, D6_RECONF_TYPE_KEY);
	pbuf_put(b, key, D6_RECONF_KEY_LEN);
}

size_t d6_put_auth_reconf_hmac(struct pbuf *b, uint64_t replay)
{
	put_auth_hdr(b, 11 + 1 + D6_RECONF_KEY_LEN, D6_AUTH_PROTO_RECONF,
		     D6_AUTH_ALG_HMAC_MD5, replay);
	pbuf_u8(b, D6_RECONF_TYPE_HMAC);
	pbuf_zero(b, D6_RECONF_KEY_LEN);
	return b->err ? 0 : b->len - D6_RECONF_KEY_LEN;
}

bool d6_auth_sign_md5(uint8_t *msg, size_t len, size_t mac_off,
		      const uint8_t key[D6_RECONF_KEY_LEN])
{
	uint8_t mac[16];

	if (!d6_hmac("MD5", key, D6_RECONF_KEY_LEN, msg, len, mac_off,
		     sizeof(mac), mac, sizeof(mac)))
		return false;
	memcpy(msg + mac_off, mac, sizeof(mac));
	return true;
}

int d6_auth_reconf_parse(const struct d6_auth *a, uint8_t *type,
			 const uint8_t **value)
{
	if (a->protocol != D6_AUTH_PROTO_RECONF ||
	    a->algorithm != D6_AUTH_ALG_HMAC_MD5 ||
	    a->rdm != D6_AUTH_RDM_COUNTER ||
	    a->info_len != 1 + D6_RECONF_KEY_LEN)
		return -PROTO_EBADOPT;
	*type = a->info[0];
	if (*type != D6_RECONF_TYPE_KEY && *type != D6_RECONF_TYPE_HMAC)
		return -PROTO_EBADOPT;
	*value = a->info + 1;
	return 0;
}

bool d6_auth_verify_reconf(const uint8_t *msg, size_t len,
			   const struct d6_auth *a,
			   const uint8_t key[D6_RECONF_KEY_LEN])
{
	const uint8_t *value;
	uint8_t type, mac[16];
	size_t off;

	if (d6_auth_reconf_parse(a, &type, &value) ||
	    type != D6_RECONF_TYPE_HMAC)
		return false;
	off = (size_t)(value - msg);
	if (off > len || len - off < sizeof(mac))
		return false;
	if (!d6_hmac("MD5", key, D6_RECONF_KEY_LEN, msg, len, off,
		     sizeof(mac), mac, sizeof(mac)))
		return false;
	return CRYPTO_memcmp(mac, value, sizeof(mac)) == 0;
}

int d6_build_reconfigure(uint8_t *buf, size_t cap, const uint8_t *server_duid,
			 size_t server_duid_len, const uint8_t *client_duid,
			 size_t client_duid_len, uint8_t msg_type,
			 uint64_t replay, const uint8_t key[D6_RECONF_KEY_LEN])
{
	struct pbuf b;
	size_t off;

	pbuf_init(&b, buf, cap);
	d6_put_hdr(&b, D6_RECONFIGURE, 0);	/* xid 0 (RFC 8415 18.3.11) */
	d6_put_opt(&b, D6O_SERVERID, server_duid, server_duid_len);
	d6_put_opt(&b, D6O_CLIENTID, client_duid, client_duid_len);
	d6_put_u8_opt(&b, D6O_RECONF_MSG, msg_type);
	off = d6_put_auth_reconf_hmac(&b, replay);
	if (b.err)
		return -PROTO_ENOSPACE;
	if (!d6_auth_sign_md5(buf, b.len, off, key))
		return -PROTO_EBADOPT;
	return (int)b.len;
}

bool d6_reconfigure_ok(const uint8_t *msg, size_t len, const struct d6_msg *m,
		       const uint8_t key[D6_RECONF_KEY_LEN], bool have_last,
		       uint64_t last)
{
	return m->type == D6_RECONFIGURE && m->has_serverid &&
	       m->has_clientid && m->has_reconf_msg && m->has_auth &&
	       d6_auth_verify_reconf(msg, len, &m->auth, key) &&
	       d6_replay_ok(have_last, last, m->auth.replay);
}
