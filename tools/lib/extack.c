// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Extended acks.  The kernel appends TLVs (NLMSGERR_ATTR_*) to NLMSG_ERROR
 * and NLMSG_DONE messages: a message text, the offset of the offending
 * attribute in our request, or the type of a missing one.  We turn them
 * into one line, naming the attribute by its dstmctl keyword.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>

#include "internal.h"

static const char *const dev_names[DSTM_A_MAX + 1] = {
	[DSTM_A_IFINDEX]	= "ifindex",
	[DSTM_A_IFNAME]		= "ifname",
	[DSTM_A_MODE]		= "mode",
	[DSTM_A_LOCAL]		= "local",
	[DSTM_A_TEP]		= "tep",
	[DSTM_A_ADDR]		= "addr",
	[DSTM_A_PSID_OFFSET]	= "psid-offset",
	[DSTM_A_PSID_LEN]	= "psid-len",
	[DSTM_A_PSID]		= "psid",
	[DSTM_A_HOPLIMIT]	= "hoplimit",
	[DSTM_A_QUEUE_LEN]	= "queue-len",
	[DSTM_A_QUEUE_TIMEOUT]	= "queue-timeout",
	[DSTM_A_MAP_COUNT]	= "map-count",
	[DSTM_A_GENERATION]	= "generation",
	[DSTM_A_STATS]		= "stats",
	[DSTM_A_DROPS]		= "drops",
	[DSTM_A_MAP]		= "map",
	[DSTM_A_DST]		= "dst",
};

static const char *const map_names[DSTM_MAP_A_MAX + 1] = {
	[DSTM_MAP_A_IPV4]	= "ipv4",
	[DSTM_MAP_A_IPV6]	= "ipv6",
	[DSTM_MAP_A_PSID_OFFSET] = "psid-offset",
	[DSTM_MAP_A_PSID_LEN]	= "psid-len",
	[DSTM_MAP_A_PSID]	= "psid",
	[DSTM_MAP_A_LIFETIME]	= "lifetime",
	[DSTM_MAP_A_EXPIRES]	= "expires",
	[DSTM_MAP_A_TX_PACKETS]	= "tx-packets",
	[DSTM_MAP_A_TX_BYTES]	= "tx-bytes",
	[DSTM_MAP_A_RX_PACKETS]	= "rx-packets",
	[DSTM_MAP_A_RX_BYTES]	= "rx-bytes",
	[DSTM_MAP_A_LAST_USE]	= "last-use",
};

static const char *attr_name(bool in_map, int type, char *buf, size_t len)
{
	const char *name = NULL;

	if (!in_map && type >= 0 && type <= DSTM_A_MAX)
		name = dev_names[type];
	else if (in_map && type >= 0 && type <= DSTM_MAP_A_MAX)
		name = map_names[type];
	if (name)
		return name;
	snprintf(buf, len, "%s%d", in_map ? "map attribute " : "attribute ",
		 type);
	return buf;
}

/* The attribute of the request that starts at byte offset off, if any. */
static struct nlattr *attr_at(const struct nlmsghdr *req, uint32_t off,
			      bool *in_map)
{
	const struct genlmsghdr *gnlh = nlmsg_data(req);
	struct nlattr *a, *b;
	int rem, rem2;

	nla_for_each_attr(a, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), rem) {
		uint32_t aoff = (const char *)a - (const char *)req;

		if (aoff == off) {
			*in_map = false;
			return a;
		}
		if (nla_type(a) != DSTM_A_MAP || off < aoff ||
		    off >= aoff + nla_total_size(nla_len(a)))
			continue;
		nla_for_each_nested(b, a, rem2) {
			if ((uint32_t)((const char *)b - (const char *)req) == off) {
				*in_map = true;
				return b;
			}
		}
	}
	return NULL;
}

int dstm_extack(const struct nlmsghdr *nlh, const struct nlmsghdr *req,
		char *errmsg, size_t len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };
	const char *text = "";
	char where[96] = "", buf[32];
	size_t off;
	int err;

	if (len)
		errmsg[0] = '\0';
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = nlmsg_data(nlh);

		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
			return -EPROTO;
		err = e->error;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(int))
			return 0;
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		off = sizeof(int);
	} else {
		return 0;
	}
	if (err > 0)
		err = -err;
	if (err == 0 || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return err;

	off = NLMSG_HDRLEN + NLMSG_ALIGN(off);
	if (off >= nlh->nlmsg_len)
		return err;
	nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		  nlh->nlmsg_len - off, NULL);

	/* Attribute names only make sense for requests of our family. */
	if (req && req->nlmsg_type == GENL_ID_CTRL)
		req = NULL;

	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0) {
		text = nla_data(tb[NLMSGERR_ATTR_MSG]);
		/* Not trusting the kernel to terminate it. */
		if (strnlen(text, nla_len(tb[NLMSGERR_ATTR_MSG])) ==
		    (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]))
			text = "";
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= 4) {
		bool in_map = false;

		if (req && tb[NLMSGERR_ATTR_MISS_NEST] &&
		    nla_len(tb[NLMSGERR_ATTR_MISS_NEST]) >= 4) {
			struct nlattr *nest;

			nest = attr_at(req, nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]),
				       &in_map);
			in_map = nest && !in_map && nla_type(nest) == DSTM_A_MAP;
		}
		snprintf(where, sizeof(where), "missing attribute %s",
			 attr_name(in_map,
				   nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]),
				   buf, sizeof(buf)));
	} else if (req && tb[NLMSGERR_ATTR_OFFS] &&
		   nla_len(tb[NLMSGERR_ATTR_OFFS]) >= 4) {
		struct nlattr *a;
		bool in_map;

		a = attr_at(req, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]), &in_map);
		if (a)
			snprintf(where, sizeof(where), "attribute %s",
				 attr_name(in_map, nla_type(a), buf, sizeof(buf)));
	}

	if (!*text && *where)
		text = strerror(-err);
	if (*where)
		snprintf(errmsg, len, "%s (%s)", text, where);
	else
		snprintf(errmsg, len, "%s", text);
	return err;
}
