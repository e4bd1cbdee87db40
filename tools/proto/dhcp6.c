// SPDX-License-Identifier: LGPL-2.1-or-later
/* DHCPv6 message and option codec: see dhcp6.h. */
#include <errno.h>
#include <string.h>

#include "dhcp6.h"

const char *proto_strerror(int err)
{
	static const char *const s[__PROTO_EMAX] = {
		[0] = "success",
		[PROTO_ESHORT] = "truncated header",
		[PROTO_EOPTLEN] = "option length runs past its container",
		[PROTO_EDUP] = "duplicate option",
		[PROTO_EBADOPT] = "malformed option",
		[PROTO_ETYPE] = "unexpected message type",
		[PROTO_ECOOKIE] = "no DHCP magic cookie",
		[PROTO_ENOSPACE] = "message too large",
		[PROTO_EMISSING] = "required option missing",
	};

	if (err < 0)
		err = -err;
	if (err >= __PROTO_EMAX)
		return "unknown error";
	return s[err];
}

int d6_opt_next(const uint8_t *buf, size_t len, size_t *off, struct d6_opt *o)
{
	size_t left;

	if (*off >= len)
		return 0;
	left = len - *off;
	if (left < 4)
		return -PROTO_EOPTLEN;
	o->code = get_u16(buf + *off);
	o->len = get_u16(buf + *off + 2);
	if (o->len > left - 4)
		return -PROTO_EOPTLEN;
	o->data = buf + *off + 4;
	*off += 4 + (size_t)o->len;
	return 1;
}

int dns_name_decode(const uint8_t *p, size_t len, char *out, size_t outlen,
		    bool *partial)
{
	size_t i = 0, o = 0;

	if (!outlen)
		return -1;
	*partial = true;
	out[0] = '\0';
	if (len > 255)
		return -1;
	while (i < len) {
		uint8_t l = p[i++];

		if (l == 0) {
			if (i != len)
				return -1;	/* data after the root label */
			*partial = false;
			break;
		}
		if (l > 63 || l > len - i)
			return -1;
		if (o && o + 1 < outlen)
			out[o++] = '.';
		if (o + l >= outlen)
			return -1;
		for (; l; l--, i++) {
			uint8_t c = p[i];

			if (c <= 0x20 || c >= 0x7f || c == '.' || c == '\\')
				return -1;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	/* "\0" alone is the root: a name we do not accept from clients. */
	if (!o && !*partial)
		return -1;
	return 0;
}

int dns_name_encode(const char *name, uint8_t *out, size_t outlen)
{
	size_t n = strlen(name), o = 0, i = 0;
	bool full = n && name[n - 1] == '.';

	if (full)
		n--;
	if (!n)
		return -1;
	while (i < n) {
		size_t j = i;

		while (j < n && name[j] != '.')
			j++;
		if (j == i || j - i > 63 || o + 1 + (j - i) > outlen)
			return -1;
		out[o++] = (uint8_t)(j - i);
		for (; i < j; i++) {
			unsigned char c = (unsigned char)name[i];

			if (c <= 0x20 || c >= 0x7f || c == '\\')
				return -1;
			out[o++] = c;
		}
		if (i < n)
			i++;	/* the dot */
		if (i == n && name[n - 1] == '.')
			return -1;	/* "a..": empty label */
	}
	if (full) {
		if (o + 1 > outlen)
			return -1;
		out[o++] = 0;
	}
	if (o > 255)
		return -1;
	return (int)o;
}

static int parse_s46_lw(const struct d6_opt *c, struct d6_msg *m)
{
	struct d6_opt o;
	size_t off = 0;
	int r;

	while ((r = d6_opt_next(c->data, c->len, &off, &o)) > 0) {
		if (o.code != D6O_S46_BR)
			continue;
		if (o.len != 16)
			return -PROTO_EBADOPT;
		if (!m->has_br) {
			memcpy(&m->br, o.data, 16);
			m->has_br = true;
		}
	}
	return r;
}

static int parse_opt(const struct d6_opt *o, struct d6_msg *m,
		     const uint8_t *msg)
{
	unsigned int i;

#define ONCE(flag) do { if (m->flag) return -PROTO_EDUP; m->flag = true; } while (0)
	switch (o->code) {
	case D6O_CLIENTID:
		ONCE(has_clientid);
		if (o->len < 3 || o->len > D6_DUID_MAX)
			return -PROTO_EBADOPT;
		m->clientid.p = o->data;
		m->clientid.len = o->len;
		break;
	case D6O_SERVERID:
		ONCE(has_serverid);
		if (o->len < 3 || o->len > D6_DUID_MAX)
			return -PROTO_EBADOPT;
		m->serverid.p = o->data;
		m->serverid.len = o->len;
		break;
	case D6O_ORO:
		ONCE(has_oro);
		if (o->len % 2)
			return -PROTO_EBADOPT;
		for (i = 0; i < o->len / 2u && i < D6_MAX_ORO; i++)
			m->oro[i] = get_u16(o->data + 2 * i);
		m->n_oro = i;
		break;
	case D6O_ELAPSED_TIME:
		ONCE(has_elapsed);
		if (o->len != 2)
			return -PROTO_EBADOPT;
		m->elapsed = get_u16(o->data);
		break;
	case D6O_AUTH:
		ONCE(has_auth);
		if (o->len < 11)
			return -PROTO_EBADOPT;
		m->auth.protocol = o->data[0];
		m->auth.algorithm = o->data[1];
		m->auth.rdm = o->data[2];
		m->auth.replay = get_u64(o->data + 3);
		m->auth.info = o->data + 11;
		m->auth.info_len = o->len - 11;
		m->auth.off = (size_t)(o->data - msg) - 4;
		break;
	case D6O_STATUS_CODE:
		ONCE(has_status);
		if (o->len < 2)
			return -PROTO_EBADOPT;
		m->status = get_u16(o->data);
		m->status_msg.p = o->data + 2;
		m->status_msg.len = o->len - 2;
		break;
	case D6O_RECONF_MSG:
		ONCE(has_reconf_msg);
		if (o->len != 1)
			return -PROTO_EBADOPT;
		m->reconf_msg = o->data[0];
		break;
	case D6O_RECONF_ACCEPT:
		ONCE(has_reconf_accept);
		if (o->len != 0)
			return -PROTO_EBADOPT;
		break;
	case D6O_CLIENT_FQDN:
		ONCE(has_fqdn);
		if (o->len < 1)
			return -PROTO_EBADOPT;
		m->fqdn.flags = o->data[0];
		m->fqdn.partial = false;
		m->fqdn.name[0] = '\0';
		if (o->len > 1 &&
		    dns_name_decode(o->data + 1, o->len - 1u, m->fqdn.name,
				    sizeof(m->fqdn.name), &m->fqdn.partial))
			return -PROTO_EBADOPT;
		break;
	case D6O_DHCPV4_MSG:
		ONCE(has_v4msg);
		m->v4msg.p = o->data;
		m->v4msg.len = o->len;
		break;
	case D6O_DHCP4_O_DHCP6_SERVER:
		ONCE(has_4o6_servers);
		if (o->len % 16)
			return -PROTO_EBADOPT;
		for (i = 0; i < o->len / 16u && i < D6_MAX_4O6_SERVERS; i++)
			memcpy(&m->servers4o6[i], o->data + 16 * i, 16);
		m->n_servers4o6 = i;
		break;
	case D6O_S46_CONT_LW:
		ONCE(has_s46_lw);
		return parse_s46_lw(o, m);
	default:
		m->n_unknown++;
		break;
	}
#undef ONCE
	return 0;
}

int d6_parse(const uint8_t *buf, size_t len, struct d6_msg *m)
{
	struct d6_opt o;
	size_t off = 4;
	int r;

	memset(m, 0, sizeof(*m));
	if (len < 4)
		return -PROTO_ESHORT;
	m->type = buf[0];
	if (m->type == 0 || m->type == D6_RELAY_FORW ||
	    m->type == D6_RELAY_REPL)
		return -PROTO_ETYPE;
	m->xid = get_u24(buf + 1);
	while ((r = d6_opt_next(buf, len, &off, &o)) > 0) {
		r = parse_opt(&o, m, buf);
		if (r < 0)
			return r;
	}
	return r;
}

bool d6_oro_has(const struct d6_msg *m, uint16_t code)
{
	unsigned int i;

	for (i = 0; i < m->n_oro; i++)
		if (m->oro[i] == code)
			return true;
	return false;
}

void d6_put_hdr(struct pbuf *b, uint8_t type, uint32_t xid)
{
	pbuf_u8(b, type);
	pbuf_u24(b, xid & 0xffffff);
}

void d6_put_opt(struct pbuf *b, uint16_t code, const void *data, size_t len)
{
	if (len > 0xffff) {
		b->err = true;
		return;
	}
	pbuf_u16(b, code);
	pbuf_u16(b, (uint16_t)len);
	pbuf_put(b, data, len);
}

size_t d6_opt_begin(struct pbuf *b, uint16_t code)
{
	size_t off = b->len;

	pbuf_u16(b, code);
	pbuf_u16(b, 0);
	return off;
}

void d6_opt_end(struct pbuf *b, size_t off)
{
	size_t n;

	if (b->err)
		return;
	n = b->len - off - 4;
	if (n > 0xffff) {
		b->err = true;
		return;
	}
	put_u16(b->p + off + 2, (uint16_t)n);
}

void d6_put_u8_opt(struct pbuf *b, uint16_t code, uint8_t v)
{
	d6_put_opt(b, code, &v, 1);
}

void d6_put_u16_opt(struct pbuf *b, uint16_t code, uint16_t v)
{
	pbuf_u16(b, code);
	pbuf_u16(b, 2);
	pbuf_u16(b, v);
}

void d6_put_u32_opt(struct pbuf *b, uint16_t code, uint32_t v)
{
	pbuf_u16(b, code);
	pbuf_u16(b, 4);
	pbuf_u32(b, v);
}

void d6_put_oro(struct pbuf *b, const uint16_t *codes, unsigned int n)
{
	size_t off = d6_opt_begin(b, D6O_ORO);
	unsigned int i;

	for (i = 0; i < n; i++)
		pbuf_u16(b, codes[i]);
	d6_opt_end(b, off);
}

void d6_put_status(struct pbuf *b, uint16_t code, const char *msg)
{
	size_t off = d6_opt_begin(b, D6O_STATUS_CODE);

	pbuf_u16(b, code);
	if (msg)
		pbuf_put(b, msg, strlen(msg));
	d6_opt_end(b, off);
}

void d6_put_4o6_servers(struct pbuf *b, const struct in6_addr *a,
			unsigned int n)
{
	d6_put_opt(b, D6O_DHCP4_O_DHCP6_SERVER, a, 16 * (size_t)n);
}

void d6_put_s46_lw(struct pbuf *b, const struct in6_addr *br)
{
	size_t off = d6_opt_begin(b, D6O_S46_CONT_LW);

	d6_put_opt(b, D6O_S46_BR, br, 16);
	d6_opt_end(b, off);
}

bool d6_put_fqdn(struct pbuf *b, uint8_t flags, const char *name)
{
	uint8_t wire[256];
	int n = 0;

	if (name && *name) {
		n = dns_name_encode(name, wire, sizeof(wire));
		if (n < 0)
			return false;
	}
	pbuf_u16(b, D6O_CLIENT_FQDN);
	pbuf_u16(b, (uint16_t)(1 + n));
	pbuf_u8(b, flags);
	pbuf_put(b, wire, (size_t)n);
	return true;
}
