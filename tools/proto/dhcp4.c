// SPDX-License-Identifier: LGPL-2.1-or-later
/* DHCPv4 message and option codec: see dhcp4.h. */
#include <string.h>

#include "dhcp4.h"
#include "dhcp6.h"

uint16_t d4_psid_field(uint8_t len, uint16_t psid)
{
	if (!len || len > 16)
		return 0;
	return (uint16_t)((uint32_t)psid << (16 - len));
}

bool d4_psid_decode(uint8_t offset, uint8_t len, uint16_t field,
		    uint16_t *psid)
{
	if (offset > 15 || offset + len > 16)
		return false;
	if (!len) {
		*psid = 0;
		return field == 0;
	}
	if ((uint16_t)((uint32_t)field << len))
		return false;		/* padding bits set */
	*psid = field >> (16 - len);
	return true;
}

static int get_addr(const uint8_t *d, uint8_t len, struct in_addr *a)
{
	if (len != 4)
		return -PROTO_EBADOPT;
	memcpy(&a->s_addr, d, 4);
	return 0;
}

static int get_u32opt(const uint8_t *d, uint8_t len, uint32_t *v)
{
	if (len != 4)
		return -PROTO_EBADOPT;
	*v = get_u32(d);
	return 0;
}

static int parse_opt(uint8_t code, const uint8_t *d, uint8_t len,
		     struct d4_msg *m, uint8_t *overload)
{
	uint16_t field;

#define ONCE(flag) do { if (m->flag) return -PROTO_EDUP; m->flag = true; } while (0)
	switch (code) {
	case D4O_MSG_TYPE:
		ONCE(has_type);
		if (len != 1)
			return -PROTO_EBADOPT;
		m->type = d[0];
		return 0;
	case D4O_REQUESTED_IP:
		ONCE(has_reqip);
		return get_addr(d, len, &m->reqip);
	case D4O_SERVER_ID:
		ONCE(has_srvid);
		return get_addr(d, len, &m->srvid);
	case D4O_SUBNET_MASK:
		ONCE(has_mask);
		return get_addr(d, len, &m->mask);
	case D4O_ROUTER:
		ONCE(has_router);
		if (len < 4 || len % 4)
			return -PROTO_EBADOPT;
		memcpy(&m->router.s_addr, d, 4);
		return 0;
	case D4O_LEASE_TIME:
		ONCE(has_lease);
		return get_u32opt(d, len, &m->lease);
	case D4O_RENEWAL_TIME:
		ONCE(has_t1);
		return get_u32opt(d, len, &m->t1);
	case D4O_REBINDING_TIME:
		ONCE(has_t2);
		return get_u32opt(d, len, &m->t2);
	case D4O_CLIENT_ID:
		ONCE(has_clientid);
		if (len < 2)
			return -PROTO_EBADOPT;
		m->clientid = d;
		m->clientid_len = len;
		return 0;
	case D4O_PRL:
		ONCE(has_prl);
		m->prl = d;
		m->prl_len = len;
		return 0;
	case D4O_HOSTNAME:
		ONCE(has_hostname);
		if (len < 1)
			return -PROTO_EBADOPT;
		m->hostname = d;
		m->hostname_len = len;
		return 0;
	case D4O_MESSAGE:
		ONCE(has_message);
		m->message = (const char *)d;
		m->message_len = len;
		return 0;
	case D4O_V4_PORTPARAMS:
		ONCE(has_portparams);
		if (len != 4)
			return -PROTO_EBADOPT;
		m->psid_offset = d[0];
		m->psid_len = d[1];
		field = get_u16(d + 2);
		if (!d4_psid_decode(d[0], d[1], field, &m->psid))
			return -PROTO_EBADOPT;
		return 0;
	case D4O_OVERLOAD:
		if (*overload)
			return -PROTO_EDUP;
		if (len != 1 || d[0] < 1 || d[0] > 3)
			return -PROTO_EBADOPT;
		*overload = d[0];
		return 0;
	default:
		m->n_unknown++;
		return 0;
	}
#undef ONCE
}

/*
 * One options area.  END stops it; running off its end without END is
 * tolerated (many clients omit END in sname/file), a length byte past the
 * end is not.
 */
static int parse_area(const uint8_t *p, size_t len, struct d4_msg *m,
		      uint8_t *overload, bool main_area)
{
	size_t i = 0;
	int r;

	while (i < len) {
		uint8_t code = p[i++], l;

		if (code == D4O_PAD)
			continue;
		if (code == D4O_END)
			return 0;
		if (i >= len)
			return -PROTO_EOPTLEN;
		l = p[i++];
		if (l > len - i)
			return -PROTO_EOPTLEN;
		if (code == D4O_OVERLOAD && !main_area)
			return -PROTO_EBADOPT;
		r = parse_opt(code, p + i, l, m, overload);
		if (r < 0)
			return r;
		i += l;
	}
	return 0;
}

int d4_parse(const uint8_t *buf, size_t len, struct d4_msg *m)
{
	uint8_t overload = 0;
	int r;

	memset(m, 0, sizeof(*m));
	if (len < D4_MIN_LEN)
		return -PROTO_ESHORT;
	m->op = buf[0];
	m->htype = buf[1];
	m->hlen = buf[2];
	m->hops = buf[3];
	m->xid = get_u32(buf + 4);
	m->secs = get_u16(buf + 8);
	m->flags = get_u16(buf + 10);
	memcpy(&m->ciaddr, buf + 12, 4);
	memcpy(&m->yiaddr, buf + 16, 4);
	memcpy(&m->siaddr, buf + 20, 4);
	memcpy(&m->giaddr, buf + 24, 4);
	memcpy(m->chaddr, buf + 28, 16);
	if (m->op != BOOTREQUEST && m->op != BOOTREPLY)
		return -PROTO_ETYPE;
	if (m->hlen > 16)
		return -PROTO_EBADOPT;
	if (get_u32(buf + D4_HDR_LEN) != D4_COOKIE)
		return -PROTO_ECOOKIE;
	r = parse_area(buf + D4_MIN_LEN, len - D4_MIN_LEN, m, &overload, true);
	if (r < 0)
		return r;
	/* RFC 2131 4.1: "file" first, then "sname". */
	if (overload & 1) {
		r = parse_area(buf + 108, 128, m, &overload, false);
		if (r < 0)
			return r;
	}
	if (overload & 2) {
		r = parse_area(buf + 44, 64, m, &overload, false);
		if (r < 0)
			return r;
	}
	if (!m->has_type)
		return -PROTO_EMISSING;
	if (m->type < D4_DISCOVER || m->type > D4_INFORM)
		return -PROTO_ETYPE;
	return 0;
}

bool d4_prl_has(const struct d4_msg *m, uint8_t code)
{
	return m->has_prl && memchr(m->prl, code, m->prl_len);
}

static void put_opt(struct pbuf *b, uint8_t code, const void *d, uint8_t len)
{
	pbuf_u8(b, code);
	pbuf_u8(b, len);
	pbuf_put(b, d, len);
}

static void put_u32opt(struct pbuf *b, uint8_t code, uint32_t v)
{
	pbuf_u8(b, code);
	pbuf_u8(b, 4);
	pbuf_u32(b, v);
}

bool d4_build(struct pbuf *b, const struct d4_msg *m)
{
	pbuf_u8(b, m->op);
	pbuf_u8(b, m->htype);
	pbuf_u8(b, m->hlen);
	pbuf_u8(b, m->hops);
	pbuf_u32(b, m->xid);
	pbuf_u16(b, m->secs);
	pbuf_u16(b, m->flags);
	pbuf_put(b, &m->ciaddr, 4);
	pbuf_put(b, &m->yiaddr, 4);
	pbuf_put(b, &m->siaddr, 4);
	pbuf_put(b, &m->giaddr, 4);
	pbuf_put(b, m->chaddr, 16);
	pbuf_zero(b, 64 + 128);		/* sname, file */
	pbuf_u32(b, D4_COOKIE);
	if (m->has_type)
		put_opt(b, D4O_MSG_TYPE, &m->type, 1);
	if (m->has_srvid)
		put_opt(b, D4O_SERVER_ID, &m->srvid, 4);
	if (m->has_reqip)
		put_opt(b, D4O_REQUESTED_IP, &m->reqip, 4);
	if (m->has_lease)
		put_u32opt(b, D4O_LEASE_TIME, m->lease);
	if (m->has_t1)
		put_u32opt(b, D4O_RENEWAL_TIME, m->t1);
	if (m->has_t2)
		put_u32opt(b, D4O_REBINDING_TIME, m->t2);
	if (m->has_mask)
		put_opt(b, D4O_SUBNET_MASK, &m->mask, 4);
	if (m->has_router)
		put_opt(b, D4O_ROUTER, &m->router, 4);
	if (m->has_clientid)
		put_opt(b, D4O_CLIENT_ID, m->clientid, m->clientid_len);
	if (m->has_prl)
		put_opt(b, D4O_PRL, m->prl, m->prl_len);
	if (m->has_hostname)
		put_opt(b, D4O_HOSTNAME, m->hostname, m->hostname_len);
	if (m->has_portparams) {
		if (m->psid_offset > 15 || m->psid_offset + m->psid_len > 16 ||
		    (m->psid_len < 16 && m->psid >> m->psid_len)) {
			b->err = true;
			return false;
		}
		pbuf_u8(b, D4O_V4_PORTPARAMS);
		pbuf_u8(b, 4);
		pbuf_u8(b, m->psid_offset);
		pbuf_u8(b, m->psid_len);
		pbuf_u16(b, d4_psid_field(m->psid_len, m->psid));
	}
	if (m->has_message)
		put_opt(b, D4O_MESSAGE, m->message, m->message_len);
	pbuf_u8(b, D4O_END);
	return !b->err;
}
