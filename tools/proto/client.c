// SPDX-License-Identifier: LGPL-2.1-or-later
/* Client side message builders: see client.h. */
#include <string.h>

#include "client.h"

bool d4o6_client_init(struct d4o6_client *c, const uint8_t *duid,
		      size_t duid_len, uint32_t iaid)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	if (duid_len < 3 || duid_len > D6_DUID_MAX)
		return false;
	memcpy(c->duid, duid, duid_len);
	c->duid_len = (uint16_t)duid_len;
	c->iaid = iaid;
	c->cid[0] = 255;
	c->cid[1] = iaid >> 24;
	c->cid[2] = iaid >> 16;
	c->cid[3] = iaid >> 8;
	c->cid[4] = (uint8_t)iaid;
	memcpy(c->cid + 5, duid, duid_len);
	c->cid_len = (uint8_t)(5 + duid_len);
	/* A locally administered unicast MAC from the DUID's last bytes. */
	for (i = 0; i < 6; i++)
		c->chaddr[i] = duid_len >= 6 ? duid[duid_len - 6 + i] : 0;
	c->chaddr[0] = (uint8_t)((c->chaddr[0] & 0xfc) | 0x02);
	return true;
}

static int finish(struct d4o6_client *c, struct pbuf *b)
{
	size_t mac_off = 0;

	if (c->key) {
		mac_off = d6_put_auth_delayed(b, ++c->replay, c->key_name, 0);
		if (b->err)
			return -PROTO_ENOSPACE;
		if (!d6_auth_sign_sha256(b->p, b->len, mac_off, c->key,
					 c->key_len))
			return -PROTO_EBADOPT;
	}
	if (b->err)
		return -PROTO_ENOSPACE;
	return (int)b->len;
}

int d4o6_build_inforeq(struct d4o6_client *c, uint32_t xid, uint8_t *buf,
		       size_t cap)
{
	static const uint16_t oro[] = {
		D6O_DHCP4_O_DHCP6_SERVER, D6O_S46_CONT_LW,
	};
	struct pbuf b;

	pbuf_init(&b, buf, cap);
	d6_put_hdr(&b, D6_INFORMATION_REQUEST, xid);
	d6_put_opt(&b, D6O_CLIENTID, c->duid, c->duid_len);
	d6_put_oro(&b, oro, 2);
	d6_put_u16_opt(&b, D6O_ELAPSED_TIME, 0);
	if (c->fqdn && !d6_put_fqdn(&b, D6_FQDN_S, c->fqdn))
		return -PROTO_EBADOPT;
	if (c->reconf_accept)
		d6_put_opt(&b, D6O_RECONF_ACCEPT, NULL, 0);
	return finish(c, &b);
}

void d4o6_init_v4(const struct d4o6_client *c, struct d4_msg *m,
		  uint8_t type, uint32_t xid)
{
	memset(m, 0, sizeof(*m));
	m->op = BOOTREQUEST;
	m->htype = 1;
	m->hlen = 6;
	m->xid = xid;
	memcpy(m->chaddr, c->chaddr, 6);
	m->has_type = true;
	m->type = type;
	m->has_clientid = true;
	m->clientid = c->cid;
	m->clientid_len = c->cid_len;
}

int d4o6_build_query(struct d4o6_client *c, uint32_t flags,
		     const struct d4_msg *m, uint8_t *buf, size_t cap)
{
	struct pbuf b;
	size_t off;

	pbuf_init(&b, buf, cap);
	d6_put_hdr(&b, D6_DHCPV4_QUERY, flags);
	d6_put_opt(&b, D6O_CLIENTID, c->duid, c->duid_len);
	off = d6_opt_begin(&b, D6O_DHCPV4_MSG);
	if (!d4_build(&b, m))
		return -PROTO_ENOSPACE;
	d6_opt_end(&b, off);
	return finish(c, &b);
}

int d4o6_parse_response(const uint8_t *buf, size_t len, struct d6_msg *m6,
			struct d4_msg *m4)
{
	int r = d6_parse(buf, len, m6);

	if (r < 0)
		return r;
	if (m6->type != D6_DHCPV4_RESPONSE)
		return -PROTO_ETYPE;
	if (!m6->has_v4msg)
		return -PROTO_EMISSING;
	r = d4_parse(m6->v4msg.p, m6->v4msg.len, m4);
	if (r < 0)
		return r;
	if (m4->op != BOOTREPLY)
		return -PROTO_ETYPE;
	return 0;
}
