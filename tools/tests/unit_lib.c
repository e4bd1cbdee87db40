// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of libdstm's message code that needs no kernel: the extended
 * ack parser (NLMSG_ERROR and NLMSG_DONE with NLMSGERR_ATTR_* TLVs, as the
 * kernel builds them) and the DSTM_A_MAP codec.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "internal.h"
#include "unit.h"

/* A MAP_NEW request as dstmctl sends it; *psid_off = offset of PSID. */
static struct nl_msg *request(uint32_t *psid_off, uint32_t *nest_off)
{
	struct dstm_map m = {
		.present = DSTM_BIT(DSTM_MAP_A_IPV6) | DSTM_BIT(DSTM_MAP_A_PSID) |
			   DSTM_BIT(DSTM_MAP_A_PSID_LEN),
		.psid = 99,
		.psid_len = 6,
	};
	struct dstm_sock sk = { .family = 0x20 };
	struct nl_msg *msg = dstm_msg_new(&sk, DSTM_CMD_MAP_NEW, NLM_F_ACK,
					  "dstm0");
	struct nlmsghdr *nlh;
	struct nlattr *a, *b;
	int rem, rem2;

	dstm_put_map(msg, &m);
	nlh = nlmsg_hdr(msg);
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(a) != DSTM_A_MAP)
			continue;
		*nest_off = (char *)a - (char *)nlh;
		nla_for_each_nested(b, a, rem2)
			if (nla_type(b) == DSTM_MAP_A_PSID)
				*psid_off = (char *)b - (char *)nlh;
	}
	return msg;
}

/* An NLMSG_ERROR answering req, the way netlink_ack() lays it out. */
static struct nlmsghdr *error_msg(char *buf, const struct nlmsghdr *req,
				  int error, bool capped, const char *text,
				  int text_len, int offs, int miss_type,
				  int miss_nest)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t len = NLMSG_HDRLEN + sizeof(*e);
	struct nlattr *a;

	memset(buf, 0, 1024);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = req->nlmsg_seq;
	e->error = error;
	e->msg = *req;
	if (capped) {
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	} else {
		memcpy(&e->msg, req, req->nlmsg_len);
		len += req->nlmsg_len - NLMSG_HDRLEN;
	}
	len = NLMSG_ALIGN(len);

#define PUT(type, data, dlen)						\
	do {								\
		a = (struct nlattr *)(buf + len);			\
		a->nla_type = (type);					\
		a->nla_len = NLA_HDRLEN + (dlen);			\
		memcpy((char *)a + NLA_HDRLEN, (data), (dlen));		\
		len += NLA_ALIGN(a->nla_len);				\
	} while (0)

	if (text)
		PUT(NLMSGERR_ATTR_MSG, text, text_len);
	if (offs >= 0)
		PUT(NLMSGERR_ATTR_OFFS, &offs, 4);
	if (miss_type >= 0)
		PUT(NLMSGERR_ATTR_MISS_TYPE, &miss_type, 4);
	if (miss_nest >= 0)
		PUT(NLMSGERR_ATTR_MISS_NEST, &miss_nest, 4);
#undef PUT
	if (text || offs >= 0 || miss_type >= 0)
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	nlh->nlmsg_len = len;
	return nlh;
}

static void test_extack(void)
{
	uint32_t psid_off = 0, nest_off = 0;
	struct nl_msg *msg = request(&psid_off, &nest_off);
	struct nlmsghdr *req = nlmsg_hdr(msg), *nlh;
	char buf[1024], err[256];
	const char t[] = "PSID does not fit in PSID length bits";
	int ret;

	check(psid_off && nest_off, "request has a PSID in a MAP nest");

	nlh = error_msg(buf, req, -ERANGE, true, t, sizeof(t), psid_off, -1, -1);
	ret = dstm_extack(nlh, req, err, sizeof(err));
	check(ret == -ERANGE, "extack errno %d", ret);
	check_str(err, "PSID does not fit in PSID length bits (attribute psid)",
		  "extack capped, message and offset");

	nlh = error_msg(buf, req, -ERANGE, false, t, sizeof(t), psid_off, -1, -1);
	dstm_extack(nlh, req, err, sizeof(err));
	check_str(err, "PSID does not fit in PSID length bits (attribute psid)",
		  "extack with the request echoed");

	nlh = error_msg(buf, req, -ENODEV, true, "no device with this name", 25,
			sizeof(struct nlmsghdr) + GENL_HDRLEN, -1, -1);
	dstm_extack(nlh, req, err, sizeof(err));
	check_str(err, "no device with this name (attribute ifname)",
		  "extack top-level attribute");

	nlh = error_msg(buf, req, -EINVAL, true, NULL, 0, -1, DSTM_MAP_A_IPV4,
			nest_off);
	dstm_extack(nlh, req, err, sizeof(err));
	check_str(err, "Invalid argument (missing attribute ipv4)",
		  "extack missing attribute in the nest");

	nlh = error_msg(buf, req, -EINVAL, true, "Missing attribute", 18, -1,
			DSTM_A_IFNAME, -1);
	dstm_extack(nlh, req, err, sizeof(err));
	check_str(err, "Missing attribute (missing attribute ifname)",
		  "extack missing top-level attribute");

	nlh = error_msg(buf, req, -EINVAL, true, NULL, 0, 3, -1, -1);
	dstm_extack(nlh, req, err, sizeof(err));
	check_str(err, "", "extack offset at no attribute");

	nlh = error_msg(buf, req, -EINVAL, true, "unterminated", 12, psid_off,
			-1, -1);
	dstm_extack(nlh, req, err, sizeof(err));
	check_str(err, "Invalid argument (attribute psid)",
		  "extack message without its NUL is not trusted");

	nlh = error_msg(buf, req, -EEXIST, true, NULL, 0, -1, -1, -1);
	strcpy(err, "stale");
	ret = dstm_extack(nlh, req, err, sizeof(err));
	check(ret == -EEXIST && !err[0], "extack without TLVs: %d '%s'", ret,
	      err);

	nlh = error_msg(buf, req, 0, true, NULL, 0, -1, -1, -1);
	check(dstm_extack(nlh, req, err, sizeof(err)) == 0, "ack is no error");

	nlh = error_msg(buf, req, -EPERM, true, t, sizeof(t), psid_off, -1, -1);
	dstm_extack(nlh, NULL, err, sizeof(err));
	check_str(err, t, "extack without the request: message only");

	/* A dump's NLMSG_DONE: the error, then the TLVs. */
	{
		struct nlmsghdr *d = (struct nlmsghdr *)buf;
		int e = -ENOENT;
		struct nlattr *a;

		memset(buf, 0, sizeof(buf));
		d->nlmsg_type = NLMSG_DONE;
		d->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
		memcpy(NLMSG_DATA(d), &e, 4);
		a = (struct nlattr *)(buf + NLMSG_HDRLEN + 4);
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = NLA_HDRLEN + 9;
		memcpy((char *)a + NLA_HDRLEN, "not a TEP", 10);
		d->nlmsg_len = NLMSG_HDRLEN + 4 + NLA_ALIGN(a->nla_len);
		ret = dstm_extack(d, req, err, sizeof(err));
		check(ret == -ENOENT, "DONE errno %d", ret);
		check_str(err, "", "DONE message not NUL-terminated is dropped");
		a->nla_len = NLA_HDRLEN + 10;
		d->nlmsg_len = NLMSG_HDRLEN + 4 + NLA_ALIGN(a->nla_len);
		dstm_extack(d, req, err, sizeof(err));
		check_str(err, "not a TEP", "DONE with an extack message");
		e = 0;
		memcpy(NLMSG_DATA(d), &e, 4);
		check(dstm_extack(d, req, err, sizeof(err)) == 0, "DONE ok");
	}
	nlmsg_free(msg);
}

static void test_map_codec(void)
{
	struct dstm_map in = {
		.present = DSTM_BIT(DSTM_MAP_A_IPV6) | DSTM_BIT(DSTM_MAP_A_PSID) |
			   DSTM_BIT(DSTM_MAP_A_PSID_LEN) |
			   DSTM_BIT(DSTM_MAP_A_PSID_OFFSET) |
			   DSTM_BIT(DSTM_MAP_A_LIFETIME),
		.psid = 5, .psid_len = 6, .psid_offset = 4, .lifetime = 180,
	}, out;
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest;
	uint64_t big = 1ull << 40;

	inet_pton(AF_INET, "1.1.1.120", &in.ipv4);
	inet_pton(AF_INET6, "2001:db8::7", &in.ipv6);
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, DSTM_CMD_MAP_NEW, 1);
	check(dstm_put_map(msg, &in) == 0, "put_map");
	nest = nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN, DSTM_A_MAP);
	check(nest && dstm_parse_map(nest, &out) == 0, "parse_map");
	check(out.ipv4.s_addr == in.ipv4.s_addr &&
	      !memcmp(&out.ipv6, &in.ipv6, 16) && out.psid == 5 &&
	      out.psid_len == 6 && out.psid_offset == 4 &&
	      out.lifetime == 180, "map round trip");
	check(out.present == (in.present | DSTM_BIT(DSTM_MAP_A_IPV4)),
	      "map round trip present bits %#x", out.present);
	nlmsg_free(msg);

	/* Counters, a wrong-sized attribute, an unknown one, padding. */
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, DSTM_CMD_MAP_NEW, 1);
	nest = nla_nest_start(msg, DSTM_A_MAP);
	nla_put_u32(msg, DSTM_MAP_A_IPV4, in.ipv4.s_addr);
	nla_put_u64(msg, DSTM_MAP_A_TX_BYTES, big);
	nla_put_u16(msg, DSTM_MAP_A_LIFETIME, 7);
	nla_put_u32(msg, DSTM_MAP_A_MAX + 5, 1);
	nla_put(msg, DSTM_MAP_A_PAD, 0, NULL);
	nla_nest_end(msg, nest);
	check(dstm_parse_map(nest, &out) == 0 && out.tx_bytes == big,
	      "u64 counter");
	check(!(out.present & DSTM_BIT(DSTM_MAP_A_LIFETIME)) && !out.lifetime,
	      "wrong-sized attribute ignored");
	check(out.present == (DSTM_BIT(DSTM_MAP_A_IPV4) |
			      DSTM_BIT(DSTM_MAP_A_TX_BYTES)),
	      "unknown attributes and padding ignored: %#x", out.present);
	nlmsg_free(msg);

	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, DSTM_CMD_MAP_NEW, 1);
	nest = nla_nest_start(msg, DSTM_A_MAP);
	nla_put_u16(msg, DSTM_MAP_A_PSID, 1);
	nla_nest_end(msg, nest);
	check(dstm_parse_map(nest, &out) == -EPROTO, "mapping without ipv4");
	nlmsg_free(msg);
}

/* DEV_SET's fast-path nest, and DEV_GET's, with the fast-path counters. */
static void test_fastpath_codec(void)
{
	struct dstm_device in = {
		.present = DSTM_BIT(DSTM_A_FASTPATH),
		.fastpath_count = 2, .fastpath = { 7, 42 },
	}, out;
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest, *a, *st;
	uint32_t got[4], n = 0;
	int rem, i;

	genlmsg_put(msg, 0, 0, 0x20, 0, 0, DSTM_CMD_DEV_SET, 1);
	check(dstm_put_fastpath(msg, &in) == 0, "put_fastpath");
	nest = nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN, DSTM_A_FASTPATH);
	check(nest && (nest->nla_type & NLA_F_NESTED), "fastpath nest flagged NLA_F_NESTED");
	if (nest)
		nla_for_each_nested(a, nest, rem)
			if (n < 4 && nla_type(a) == DSTM_FASTPATH_A_IFINDEX &&
			    nla_len(a) == 4)
				got[n++] = nla_get_u32(a);
	check(n == 2 && got[0] == 7 && got[1] == 42,
	      "fastpath nest: %u ifindexes", n);
	nlmsg_free(msg);

	/* Clearing: the kernel must see an empty nest, not none. */
	in.fastpath_count = 0;
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, DSTM_CMD_DEV_SET, 1);
	check(dstm_put_fastpath(msg, &in) == 0, "put_fastpath empty");
	nest = nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN, DSTM_A_FASTPATH);
	check(nest && nla_len(nest) == 0 && (nest->nla_type & NLA_F_NESTED),
	      "empty fastpath nest is sent");
	nlmsg_free(msg);

	/* A DEV_GET reply: the set, the counters, something newer. */
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, DSTM_CMD_DEV_GET, 1);
	nla_put_u32(msg, DSTM_A_IFINDEX, 5);
	nla_put_u8(msg, DSTM_A_MODE, DSTM_MODE_TEP);
	nest = nla_nest_start(msg, DSTM_A_FASTPATH);
	nla_put_u32(msg, DSTM_FASTPATH_A_IFINDEX, 3);
	nla_put_u16(msg, DSTM_FASTPATH_A_IFINDEX, 9);	/* wrong size */
	nla_put_u32(msg, DSTM_FASTPATH_A_MAX + 1, 11);	/* newer */
	nla_put_u32(msg, DSTM_FASTPATH_A_IFINDEX, 4);
	nla_nest_end(msg, nest);
	st = nla_nest_start(msg, DSTM_A_STATS);
	nla_put_u64(msg, DSTM_STATS_A_TX_PACKETS, 10);
	nla_put_u64(msg, DSTM_STATS_A_FAST_TX_PACKETS, 8);
	nla_put_u64(msg, DSTM_STATS_A_FAST_RX_PACKETS, 1ull << 33);
	nla_nest_end(msg, st);
	check(dstm_parse_dev(nlmsg_hdr(msg), &out) == 0, "parse_dev");
	check((out.present & DSTM_BIT(DSTM_A_FASTPATH)) &&
	      out.fastpath_count == 2 && out.fastpath[0] == 3 &&
	      out.fastpath[1] == 4, "parse_dev fastpath: %u", out.fastpath_count);
	check(out.stats[DSTM_STATS_A_FAST_TX_PACKETS] == 8 &&
	      out.stats[DSTM_STATS_A_FAST_RX_PACKETS] == 1ull << 33 &&
	      (out.stats_present & DSTM_BIT(DSTM_STATS_A_FAST_TX_PACKETS)) &&
	      (out.stats_present & DSTM_BIT(DSTM_STATS_A_FAST_RX_PACKETS)),
	      "parse_dev fast counters");
	nlmsg_free(msg);

	/* More than we have room for: the first DSTM_FASTPATH_MAX_DEVS. */
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, DSTM_CMD_DEV_GET, 1);
	nest = nla_nest_start(msg, DSTM_A_FASTPATH);
	for (i = 0; i < DSTM_FASTPATH_MAX_DEVS + 3; i++)
		nla_put_u32(msg, DSTM_FASTPATH_A_IFINDEX, 100 + i);
	nla_nest_end(msg, nest);
	check(dstm_parse_dev(nlmsg_hdr(msg), &out) == 0 &&
	      out.fastpath_count == DSTM_FASTPATH_MAX_DEVS &&
	      out.fastpath[DSTM_FASTPATH_MAX_DEVS - 1] ==
	      100 + DSTM_FASTPATH_MAX_DEVS - 1, "parse_dev caps the set");
	nlmsg_free(msg);

	/* Without the attribute: an empty set. */
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, DSTM_CMD_DEV_GET, 1);
	nla_put_u32(msg, DSTM_A_IFINDEX, 5);
	check(dstm_parse_dev(nlmsg_hdr(msg), &out) == 0 &&
	      !(out.present & DSTM_BIT(DSTM_A_FASTPATH)) && !out.fastpath_count,
	      "parse_dev without fastpath");
	nlmsg_free(msg);
}

/* The extack pointing into the fast-path nest names the device. */
static void test_fastpath_extack(void)
{
	struct dstm_device d = {
		.present = DSTM_BIT(DSTM_A_FASTPATH),
		.fastpath_count = 2, .fastpath = { 7, 999 },
	};
	struct dstm_sock sk = { .family = 0x20 };
	struct nl_msg *msg = dstm_msg_new(&sk, DSTM_CMD_DEV_SET, NLM_F_ACK,
					  "dstm0");
	struct nlmsghdr *req, *nlh;
	struct nlattr *nest, *a;
	uint32_t nest_off, second = 0;
	char buf[1024], err[256];
	int rem, k = 0;

	dstm_put_fastpath(msg, &d);
	req = nlmsg_hdr(msg);
	nest = nlmsg_find_attr(req, GENL_HDRLEN, DSTM_A_FASTPATH);
	nest_off = (char *)nest - (char *)req;
	nla_for_each_nested(a, nest, rem)
		if (k++ == 1)
			second = (char *)a - (char *)req;

	nlh = error_msg(buf, req, -ENODEV, true, "fast path device not found",
			27, second, -1, -1);
	check(dstm_extack(nlh, req, err, sizeof(err)) == -ENODEV,
	      "fastpath extack errno");
	check_str(err, "fast path device not found (attribute fastpath, ifindex 999)",
		  "extack at a fastpath ifindex");
	nlh = error_msg(buf, req, -E2BIG, true, "too many fast path devices",
			27, nest_off, -1, -1);
	dstm_extack(nlh, req, err, sizeof(err));
	check_str(err, "too many fast path devices (attribute fastpath)",
		  "extack at the fastpath nest");
	nlmsg_free(msg);
}

void test_lib(void)
{
	test_extack();
	test_map_codec();
	test_fastpath_codec();
	test_fastpath_extack();
}
