// SPDX-License-Identifier: GPL-2.0
/* A TEP in memory: what the tests check the lease logic against. */
#include <stdlib.h>
#include <string.h>

#include "tep.h"

struct tep_mem {
	struct tep tep;
	struct tep_map *maps;
	size_t n, cap;
};

#define MEM(t) ((struct tep_mem *)(t))

static struct tep_map *find(struct tep_mem *t, uint32_t ipv4, uint16_t psid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->maps[i].ipv4 == ipv4 && t->maps[i].psid == psid)
			return &t->maps[i];
	return NULL;
}

static int mem_set(struct tep *tt, const char *dev, const struct tep_map *m)
{
	struct tep_mem *t = MEM(tt);
	struct tep_map *e = find(t, m->ipv4, m->psid);

	(void)dev;
	if (!e) {
		if (t->n == t->cap) {
			size_t n = t->cap ? t->cap * 2 : 64;
			struct tep_map *p = realloc(t->maps, n * sizeof(*p));

			if (!p)
				return -12;
			t->maps = p;
			t->cap = n;
		}
		e = &t->maps[t->n++];
	}
	*e = *m;
	return 0;
}

static int mem_del(struct tep *tt, const char *dev, uint32_t ipv4,
		   uint16_t psid)
{
	struct tep_mem *t = MEM(tt);
	struct tep_map *e = find(t, ipv4, psid);

	(void)dev;
	if (e)
		*e = t->maps[--t->n];
	return 0;
}

static int mem_dump(struct tep *tt, const char *dev, tep_map_cb cb, void *arg)
{
	struct tep_mem *t = MEM(tt);
	size_t i;
	int r;

	(void)dev;
	for (i = 0; i < t->n; i++) {
		r = cb(&t->maps[i], arg);
		if (r)
			return r;
	}
	return 0;
}

static const char *mem_errmsg(struct tep *t)
{
	(void)t;
	return NULL;
}

static void mem_close(struct tep *t)
{
	free(MEM(t)->maps);
	free(t);
}

static const struct tep_ops mem_ops = {
	.name = "memory",
	.map_set = mem_set,
	.map_del = mem_del,
	.dump = mem_dump,
	.errmsg = mem_errmsg,
	.close = mem_close,
};

struct tep *tep_mem_open(void)
{
	struct tep_mem *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->tep.ops = &mem_ops;
	return &t->tep;
}

size_t tep_mem_count(struct tep *t)
{
	return MEM(t)->n;
}

bool tep_mem_get(struct tep *t, uint32_t ipv4, uint16_t psid,
		 struct tep_map *m)
{
	struct tep_map *e = find(MEM(t), ipv4, psid);

	if (e)
		*m = *e;
	return e != NULL;
}
