/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TEP programming behind one small interface: the local implementation
 * talks to a dstm device in this host's kernel through libdstm; a remote
 * TEP (another machine) only has to provide these four operations.
 */
#ifndef DSTMD_TEP_H
#define DSTMD_TEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct tep_map {
	uint32_t ipv4;			/* host order */
	uint16_t psid;
	uint8_t psid_offset, psid_len;
	struct in6_addr ipv6;
	uint32_t lifetime;		/* s; in a dump: seconds left */
};

typedef int (*tep_map_cb)(const struct tep_map *m, void *arg);

struct tep;

struct tep_ops {
	const char *name;
	/* Add or replace (renewal) one mapping. */
	int (*map_set)(struct tep *t, const char *dev, const struct tep_map *m);
	/* Remove one; a mapping that is not there is not an error. */
	int (*map_del)(struct tep *t, const char *dev, uint32_t ipv4,
		       uint16_t psid);
	/* Every mapping of the device. */
	int (*dump)(struct tep *t, const char *dev, tep_map_cb cb, void *arg);
	/* The last error's explanation, or NULL. */
	const char *(*errmsg)(struct tep *t);
	void (*close)(struct tep *t);
};

struct tep {
	const struct tep_ops *ops;
};

/* The kernel's dstm devices on this host (libdstm).  NULL + err. */
struct tep *tep_local_open(char *err, size_t errlen);

/* A TEP in memory, for tests and for pools without a tep-device. */
struct tep *tep_mem_open(void);
size_t tep_mem_count(struct tep *t);
bool tep_mem_get(struct tep *t, uint32_t ipv4, uint16_t psid,
		 struct tep_map *m);

#endif
