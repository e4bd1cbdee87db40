/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bounded byte writer for the DHCP codecs.  A write that does not fit sets
 * "err" and writes nothing; later writes are ignored, so a builder checks
 * once at the end.  No allocation: the caller owns the buffer.
 */
#ifndef DSTM_PROTO_BUF_H
#define DSTM_PROTO_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool err;
};

static inline void pbuf_init(struct pbuf *b, void *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->err = false;
}

static inline bool pbuf_room(struct pbuf *b, size_t n)
{
	if (b->err || n > b->cap - b->len) {
		b->err = true;
		return false;
	}
	return true;
}

static inline void pbuf_put(struct pbuf *b, const void *d, size_t n)
{
	if (!pbuf_room(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

static inline void pbuf_zero(struct pbuf *b, size_t n)
{
	if (!pbuf_room(b, n))
		return;
	memset(b->p + b->len, 0, n);
	b->len += n;
}

static inline void pbuf_u8(struct pbuf *b, uint8_t v)
{
	pbuf_put(b, &v, 1);
}

static inline void pbuf_u16(struct pbuf *b, uint16_t v)
{
	uint8_t d[2] = { v >> 8, v };

	pbuf_put(b, d, 2);
}

static inline void pbuf_u24(struct pbuf *b, uint32_t v)
{
	uint8_t d[3] = { v >> 16, v >> 8, v };

	pbuf_put(b, d, 3);
}

static inline void pbuf_u32(struct pbuf *b, uint32_t v)
{
	uint8_t d[4] = { v >> 24, v >> 16, v >> 8, v };

	pbuf_put(b, d, 4);
}

static inline void pbuf_u64(struct pbuf *b, uint64_t v)
{
	pbuf_u32(b, v >> 32);
	pbuf_u32(b, (uint32_t)v);
}

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_u24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

#endif
