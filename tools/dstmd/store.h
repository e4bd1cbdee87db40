/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lease store: SQLite in WAL mode.  The server wraps each batch of
 * requests in store_begin()/store_commit(); with sync=full every commit
 * is fsync'ed before any answer of the batch leaves (sync=normal: safe
 * against kill -9, not against power loss).
 */
#ifndef DSTMD_STORE_H
#define DSTMD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct store;

struct store_lease {
	uint32_t ipv4;			/* host order */
	uint16_t psid;
	uint8_t state;
	const uint8_t *key;
	size_t key_len;
	struct in6_addr ipv6;
	int64_t expires;
	const char *pool;
};

/* 0 or -1 with a message in err.  readonly: for "dstmd --leases". */
int store_open(struct store **sp, const char *path, bool sync_full,
	       bool readonly, char *err, size_t errlen);
void store_close(struct store *s);
const char *store_errmsg(const struct store *s);

int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
bool store_in_txn(const struct store *s);
/* Copy the WAL back into the database (the server's 1 s tick). */
void store_checkpoint(struct store *s);

int store_put_lease(struct store *s, const struct store_lease *l);
int store_del_lease(struct store *s, uint32_t ipv4, uint16_t psid);
typedef int (*store_lease_cb)(const struct store_lease *l, void *arg);
int store_each_lease(struct store *s, store_lease_cb cb, void *arg);

/* Small named blobs: the server DUID, replay counters ("replay:NAME"). */
int store_get_meta(struct store *s, const char *name, void *buf,
		   size_t cap, size_t *len);
int store_set_meta(struct store *s, const char *name, const void *buf,
		   size_t len);

/* Clients seen in Information-requests (for the DNS extension). */
int store_put_client(struct store *s, const uint8_t *duid, size_t duid_len,
		     const struct in6_addr *ipv6, const char *fqdn,
		     const uint8_t *reconf_key, size_t key_len, int64_t now);
/* Every client: DUID, IPv6, FQDN as sent (or NULL), Reconfigure Key (or
 * NULL, 0).  A callback's non-zero return stops the walk. */
typedef int (*store_client_cb)(const uint8_t *duid, size_t duid_len,
			       const struct in6_addr *ipv6, const char *fqdn,
			       const uint8_t *key, size_t key_len, void *arg);
int store_each_client(struct store *s, store_client_cb cb, void *arg);
/* 1 found (key copied), 0 not found, -1 error. */
int store_get_client_key(struct store *s, const uint8_t *duid,
			 size_t duid_len, uint8_t *key, size_t key_len);

#endif
