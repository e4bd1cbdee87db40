// SPDX-License-Identifier: GPL-2.0
/* SQLite lease store: see store.h. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

enum {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_PUT, ST_DEL, ST_GETMETA,
	ST_SETMETA, ST_PUTCLIENT, ST_GETCLIENT, ST_MAX
};

static const char *const sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PUT] = "INSERT INTO leases (ipv4, psid, state, client, ipv6, expires, pool) "
		   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (ipv4, psid) DO UPDATE SET "
		   "state = ?3, client = ?4, ipv6 = ?5, expires = ?6, pool = ?7",
	[ST_DEL] = "DELETE FROM leases WHERE ipv4 = ?1 AND psid = ?2",
	[ST_GETMETA] = "SELECT value FROM meta WHERE name = ?1",
	[ST_SETMETA] = "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
	[ST_PUTCLIENT] = "INSERT OR REPLACE INTO clients (duid, ipv6, fqdn, reconf_key, seen) "
			 "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_GETCLIENT] = "SELECT reconf_key FROM clients WHERE duid = ?1",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS leases ("
	" ipv4 INTEGER NOT NULL, psid INTEGER NOT NULL, state INTEGER NOT NULL,"
	" client BLOB UNIQUE, ipv6 BLOB NOT NULL, expires INTEGER NOT NULL,"
	" pool TEXT NOT NULL, PRIMARY KEY (ipv4, psid)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB);"
	"CREATE TABLE IF NOT EXISTS clients (duid BLOB PRIMARY KEY, ipv6 BLOB,"
	" fqdn TEXT, reconf_key BLOB, seen INTEGER);";

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_MAX];
	bool in_txn;
	int lock_fd;
	/*
	 * WAL checkpoints copy pages back into the database and fsync it:
	 * tens of ms on a busy disk.  They run in a thread on a connection
	 * of their own, so they never hold up the answers (a PASSIVE
	 * checkpoint does not block the writer).
	 */
	sqlite3 *ckpt_db;
	pthread_t ckpt;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ckpt_running, ckpt_want, ckpt_stop;
};

static void *ckpt_thread(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->ckpt_want && !s->ckpt_stop)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->ckpt_stop)
			break;
		s->ckpt_want = false;
		pthread_mutex_unlock(&s->lock);
		sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL,
					  SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void ckpt_start(struct store *s, const char *path, bool sync_full)
{
	char pragma[64];

	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (sqlite3_open_v2(path, &s->ckpt_db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_FULLMUTEX, NULL)) {
		sqlite3_close(s->ckpt_db);
		s->ckpt_db = NULL;
		return;
	}
	sqlite3_busy_timeout(s->ckpt_db, 50);
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous=%s;",
		 sync_full ? "FULL" : "NORMAL");
	sqlite3_exec(s->ckpt_db, pragma, NULL, NULL, NULL);
	if (!pthread_create(&s->ckpt, NULL, ckpt_thread, s))
		s->ckpt_running = true;
}

static void ckpt_stop(struct store *s)
{
	if (s->ckpt_running) {
		pthread_mutex_lock(&s->lock);
		s->ckpt_stop = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->ckpt, NULL);
		s->ckpt_running = false;
	}
	if (s->ckpt_db)
		sqlite3_close(s->ckpt_db);
	s->ckpt_db = NULL;
}

const char *store_errmsg(const struct store *s)
{
	return sqlite3_errmsg(s->db);
}

static int step_done(struct store *s, sqlite3_stmt *st)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	(void)s;
	return r == SQLITE_DONE ? 0 : -1;
}

int store_open(struct store **sp, const char *path, bool sync_full,
	       bool readonly, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	char lockpath[4200];
	int i, flags;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->lock_fd = -1;
	if (!readonly) {
		/* One server per store: a second one would hand out the
		 * same addresses. */
		snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
		s->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (s->lock_fd < 0) {
			snprintf(err, errlen, "%s: %s", lockpath, strerror(errno));
			goto err_free;
		}
		if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
			snprintf(err, errlen,
				 "%s: in use by another dstmd (%s)", path,
				 strerror(errno));
			goto err_lock;
		}
	}
	flags = readonly ? SQLITE_OPEN_READONLY :
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL)) {
		snprintf(err, errlen, "%s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto err_db;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (!readonly) {
		char pragma[128];

		snprintf(pragma, sizeof(pragma),
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
			 "PRAGMA wal_autocheckpoint=0;",
			 sync_full ? "FULL" : "NORMAL");
		if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) ||
		    sqlite3_exec(s->db, schema, NULL, NULL, NULL)) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
			goto err_db;
		}
	}
	for (i = 0; i < ST_MAX; i++) {
		if (readonly && i != ST_GETMETA)
			continue;
		if (sqlite3_prepare_v3(s->db, sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL)) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
			goto err_db;
		}
	}
	if (!readonly)
		ckpt_start(s, path, sync_full);
	*sp = s;
	return 0;

err_db:
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
err_lock:
	if (s->lock_fd >= 0)
		close(s->lock_fd);
err_free:
	free(s);
	return -1;
}

void store_close(struct store *s)
{
	int i;

	if (!s)
		return;
	ckpt_stop(s);
	if (s->in_txn)
		store_rollback(s);
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}

/*
 * Automatic checkpoints would run inside a commit, in the path of the
 * answers; the server calls this once a second instead.
 */
void store_checkpoint(struct store *s)
{
	if (!s->ckpt_running) {
		sqlite3_wal_checkpoint_v2(s->db, NULL,
					  SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return;
	}
	pthread_mutex_lock(&s->lock);
	s->ckpt_want = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int store_begin(struct store *s)
{
	if (s->in_txn)
		return 0;
	if (step_done(s, s->st[ST_BEGIN]))
		return -1;
	s->in_txn = true;
	return 0;
}

int store_commit(struct store *s)
{
	if (!s->in_txn)
		return 0;
	if (step_done(s, s->st[ST_COMMIT])) {
		store_rollback(s);
		return -1;
	}
	s->in_txn = false;
	return 0;
}

void store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db) == 0)
		step_done(s, s->st[ST_ROLLBACK]);
	s->in_txn = false;
}

bool store_in_txn(const struct store *s)
{
	return s->in_txn;
}

int store_put_lease(struct store *s, const struct store_lease *l)
{
	sqlite3_stmt *st = s->st[ST_PUT];

	sqlite3_bind_int64(st, 1, l->ipv4);
	sqlite3_bind_int(st, 2, l->psid);
	sqlite3_bind_int(st, 3, l->state);
	if (l->key_len)
		sqlite3_bind_blob(st, 4, l->key, (int)l->key_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_blob(st, 5, &l->ipv6, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, l->expires);
	sqlite3_bind_text(st, 7, l->pool, -1, SQLITE_STATIC);
	return step_done(s, st);
}

int store_del_lease(struct store *s, uint32_t ipv4, uint16_t psid)
{
	sqlite3_stmt *st = s->st[ST_DEL];

	sqlite3_bind_int64(st, 1, ipv4);
	sqlite3_bind_int(st, 2, psid);
	return step_done(s, st);
}

/*
 * Run the query sql and hand each row to row(); stops at the first
 * non-zero return of row(), which is returned.  -1 if the query fails.
 */
static int each_row(struct store *s, const char *sql,
		    int (*row)(sqlite3_stmt *st, void *ctx), void *ctx)
{
	sqlite3_stmt *st;
	int r, ret = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
		return -1;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		ret = row(st, ctx);
		if (ret)
			break;
	}
	if (!ret && r != SQLITE_DONE)
		ret = -1;
	sqlite3_finalize(st);
	return ret;
}

struct each_lease {
	store_lease_cb cb;
	void *arg;
};

static int lease_row(sqlite3_stmt *st, void *ctx)
{
	const struct each_lease *e = ctx;
	const void *v6 = sqlite3_column_blob(st, 4);
	struct store_lease l = { 0 };

	l.ipv4 = (uint32_t)sqlite3_column_int64(st, 0);
	l.psid = (uint16_t)sqlite3_column_int(st, 1);
	l.state = (uint8_t)sqlite3_column_int(st, 2);
	l.key = sqlite3_column_blob(st, 3);
	l.key_len = (size_t)sqlite3_column_bytes(st, 3);
	if (v6 && sqlite3_column_bytes(st, 4) == 16)
		memcpy(&l.ipv6, v6, 16);
	l.expires = sqlite3_column_int64(st, 5);
	l.pool = (const char *)sqlite3_column_text(st, 6);
	if (!l.pool)
		l.pool = "";
	return e->cb(&l, e->arg);
}

int store_each_lease(struct store *s, store_lease_cb cb, void *arg)
{
	struct each_lease e = { cb, arg };

	return each_row(s, "SELECT ipv4, psid, state, client, ipv6, expires, pool "
			"FROM leases ORDER BY ipv4, psid", lease_row, &e);
}

int store_get_meta(struct store *s, const char *name, void *buf,
		   size_t cap, size_t *len)
{
	sqlite3_stmt *st = s->st[ST_GETMETA];
	int r;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (n > cap)
			n = cap;
		if (n)
			memcpy(buf, sqlite3_column_blob(st, 0), n);
		*len = n;
		r = 1;
	} else {
		r = r == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

int store_set_meta(struct store *s, const char *name, const void *buf,
		   size_t len)
{
	sqlite3_stmt *st = s->st[ST_SETMETA];

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, buf, (int)len, SQLITE_STATIC);
	return step_done(s, st);
}

int store_put_client(struct store *s, const uint8_t *duid, size_t duid_len,
		     const struct in6_addr *ipv6, const char *fqdn,
		     const uint8_t *reconf_key, size_t key_len, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_PUTCLIENT];

	sqlite3_bind_blob(st, 1, duid, (int)duid_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, ipv6, 16, SQLITE_STATIC);
	if (fqdn && *fqdn)
		sqlite3_bind_text(st, 3, fqdn, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	if (reconf_key)
		sqlite3_bind_blob(st, 4, reconf_key, (int)key_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, now);
	return step_done(s, st);
}

int store_get_client_key(struct store *s, const uint8_t *duid,
			 size_t duid_len, uint8_t *key, size_t key_len)
{
	sqlite3_stmt *st = s->st[ST_GETCLIENT];
	int r;

	sqlite3_bind_blob(st, 1, duid, (int)duid_len, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		if ((size_t)sqlite3_column_bytes(st, 0) == key_len) {
			memcpy(key, sqlite3_column_blob(st, 0), key_len);
			r = 1;
		} else {
			r = 0;
		}
	} else {
		r = r == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

struct each_client {
	store_client_cb cb;
	void *arg;
};

static int client_row(sqlite3_stmt *st, void *ctx)
{
	const struct each_client *e = ctx;
	const void *v6 = sqlite3_column_blob(st, 1);
	struct in6_addr a = IN6ADDR_ANY_INIT;

	if (v6 && sqlite3_column_bytes(st, 1) == 16)
		memcpy(&a, v6, 16);
	return e->cb(sqlite3_column_blob(st, 0),
		     (size_t)sqlite3_column_bytes(st, 0), &a,
		     (const char *)sqlite3_column_text(st, 2),
		     sqlite3_column_blob(st, 3),
		     (size_t)sqlite3_column_bytes(st, 3), e->arg);
}

int store_each_client(struct store *s, store_client_cb cb, void *arg)
{
	struct each_client e = { cb, arg };

	return each_row(s, "SELECT duid, ipv6, fqdn, reconf_key FROM clients",
			client_row, &e);
}
