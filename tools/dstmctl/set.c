// SPDX-License-Identifier: GPL-2.0
/* dstmctl set DEV [KEYWORD VALUE]...: DSTM_CMD_DEV_SET. */
#include <net/if.h>
#include <string.h>

#include "dstmctl.h"

int cmd_set(struct ctx *ctx, int argc, char **argv)
{
	struct kw kws[] = {
		{ .name = "mode", .type = KW_MODE },
		{ .name = "local", .type = KW_IPV6 },
		{ .name = "tep", .type = KW_IPV6 },
		{ .name = "addr", .type = KW_IPV4 },
		{ .name = "psid-offset", .type = KW_UINT, .max = 15 },
		{ .name = "psid-len", .type = KW_UINT, .max = 16 },
		{ .name = "psid", .type = KW_UINT, .max = 65535 },
		{ .name = "hoplimit", .type = KW_UINT, .min = 1, .max = 255 },
		{ .name = "queue-len", .type = KW_UINT, .max = 4096 },
		{ .name = "queue-timeout", .type = KW_UINT, .min = 1, .max = 60000 },
		{ .name = "fastpath", .type = KW_IFLIST },
		KW_END
	};
	struct kw *mode = &kws[0], *local = &kws[1], *tep = &kws[2];
	struct kw *addr = &kws[3], *off = &kws[4], *len = &kws[5];
	struct kw *psid = &kws[6], *hop = &kws[7], *qlen = &kws[8];
	struct kw *qtime = &kws[9], *fast = &kws[10];
	struct dstm_device d = { 0 };
	struct dstm_sock *sk;
	char err[ERRLEN];
	unsigned int n;
	int i, ret;

	ret = check_dev(ctx, "set", argc ? argv[0] : NULL, kws);
	if (ret)
		return ret;
	if (argc == 1)
		return usage_error(ctx, "set: nothing to set (expected mode, local, tep, addr, psid-offset, psid-len, psid, hoplimit, queue-len, queue-timeout or fastpath)");

	/* "addr none" removes the address: 0.0.0.0 in the API. */
	for (i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "addr") && !strcmp(argv[i + 1], "none"))
			argv[i + 1] = "0.0.0.0";
	if (!parse_kws(kws, argc - 1, argv + 1, err, sizeof(err)))
		return usage_error(ctx, "set: %s", err);

	if (psid->seen && len->seen && psid->num >= 1ul << len->num)
		return usage_error(ctx, "set: psid %lu does not fit in psid-len %lu (expected 0..%lu)",
				   psid->num, len->num, (1ul << len->num) - 1);
	if (off->seen && len->seen && off->num + len->num > 16)
		return usage_error(ctx, "set: psid-offset %lu + psid-len %lu exceeds the 16 bits of a port",
				   off->num, len->num);

	if (mode->seen) {
		d.present |= DSTM_BIT(DSTM_A_MODE);
		d.mode = mode->num;
	}
	if (local->seen) {
		d.present |= DSTM_BIT(DSTM_A_LOCAL);
		d.local = local->ipv6;
	}
	if (tep->seen) {
		d.present |= DSTM_BIT(DSTM_A_TEP);
		d.tep = tep->ipv6;
	}
	if (addr->seen) {
		d.present |= DSTM_BIT(DSTM_A_ADDR);
		d.addr = addr->ipv4;
	}
	if (off->seen) {
		d.present |= DSTM_BIT(DSTM_A_PSID_OFFSET);
		d.psid_offset = off->num;
	}
	if (len->seen) {
		d.present |= DSTM_BIT(DSTM_A_PSID_LEN);
		d.psid_len = len->num;
	}
	if (psid->seen) {
		d.present |= DSTM_BIT(DSTM_A_PSID);
		d.psid = psid->num;
	}
	if (hop->seen) {
		d.present |= DSTM_BIT(DSTM_A_HOPLIMIT);
		d.hoplimit = hop->num;
	}
	if (qlen->seen) {
		d.present |= DSTM_BIT(DSTM_A_QUEUE_LEN);
		d.queue_len = qlen->num;
	}
	if (qtime->seen) {
		d.present |= DSTM_BIT(DSTM_A_QUEUE_TIMEOUT);
		d.queue_timeout = qtime->num;
	}
	if (fast->seen) {
		/* Names of this namespace, which is the kernel's too. */
		d.present |= DSTM_BIT(DSTM_A_FASTPATH);
		for (n = 0; n < fast->nifs; n++) {
			d.fastpath[n] = if_nametoindex(fast->ifs[n]);
			if (!d.fastpath[n])
				return usage_error(ctx, "set: unknown fastpath device '%s'",
						   fast->ifs[n]);
		}
		d.fastpath_count = fast->nifs;
	}

	ret = ctx_sock(ctx, "set", &sk);
	if (ret)
		return ret;
	ret = dstm_dev_set(sk, argv[0], &d);
	if (ret < 0)
		return kernel_error(ctx, "set", ret);
	return EXIT_OK;
}
