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
	[DSTM_A_FASTPATH]	= "fastpath",
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

/*
 * The name of attribute type in nest (0: the top level, DSTM_A_MAP or
 * DSTM_A_FASTPATH).
 */
static const char *attr_name(int nest, int type, char *buf, size_t len)
{
	const char *name = NULL;

	if (nest == DSTM_A_FASTPATH) {
		/* Its one attribute names the device: "fastpath" is the
		 * keyword a user knows. */
		if (type == DSTM_FASTPATH_A_IFINDEX)
			return "fastpath";
		snprintf(buf, len, "fastpath attribute %d", type);
		return buf;
	}
	if (nest != DSTM_A_MAP && type >= 0 && type <= DSTM_A_MAX)
		name = dev_names[type];
	else if (nest == DSTM_A_MAP && type >= 0 && type <= DSTM_MAP_A_MAX)
		name = map_names[type];
	if (name)
		return name;
	snprintf(buf, len, "%s%d", nest == DSTM_A_MAP ? "map attribute " :
		 "attribute ", type);
	return buf;
}

/*
 * The attribute of the request that starts at byte offset off, if any;
 * *nest is the type of the nest it sits in (DSTM_A_MAP, DSTM_A_FASTPATH)
 * or 0 at the top level.
 */
static struct nlattr *attr_at(const struct nlmsghdr *req, uint32_t off,
			      int *nest)
{
	const struct genlmsghdr *gnlh = nlmsg_data(req);
	struct nlattr *a, *b;
	int rem, rem2;

	nla_for_each_attr(a, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), rem) {
		uint32_t aoff = (const char *)a - (const char *)req;

		if (aoff == off) {
			*nest = 0;
			return a;
		}
		if ((nla_type(a) != DSTM_A_MAP &&
		     nla_type(a) != DSTM_A_FASTPATH) || off < aoff ||
		    off >= aoff + nla_total_size(nla_len(a)))
			continue;
		nla_for_each_nested(b, a, rem2) {
			if ((uint32_t)((const char *)b - (const char *)req) == off) {
				*nest = nla_type(a);
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
		int in = 0;

		if (req && tb[NLMSGERR_ATTR_MISS_NEST] &&
		    nla_len(tb[NLMSGERR_ATTR_MISS_NEST]) >= 4) {
			struct nlattr *nest;

			/* The nest itself, at the top level. */
			nest = attr_at(req, nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]),
				       &in);
			in = nest && !in ? nla_type(nest) : 0;
		}
		snprintf(where, sizeof(where), "missing attribute %s",
			 attr_name(in,
				   nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]),
				   buf, sizeof(buf)));
	} else if (req && tb[NLMSGERR_ATTR_OFFS] &&
		   nla_len(tb[NLMSGERR_ATTR_OFFS]) >= 4) {
		struct nlattr *a;
		int in;

		a = attr_at(req, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]), &in);
		if (a && in == DSTM_A_FASTPATH &&
		    nla_type(a) == DSTM_FASTPATH_A_IFINDEX && nla_len(a) == 4)
			/* Which device of the list. */
			snprintf(where, sizeof(where), "attribute fastpath, ifindex %u",
				 nla_get_u32(a));
		else if (a)
			snprintf(where, sizeof(where), "attribute %s",
				 attr_name(in, nla_type(a), buf, sizeof(buf)));
	}

	if (!*text && *where)
		text = strerror(-err);
	if (*where)
		snprintf(errmsg, len, "%s (%s)", text, where);
	else
		snprintf(errmsg, len, "%s", text);
	return err;
}
