// SPDX-License-Identifier: GPL-2.0
/* Error reporting and the socket/pipeline every command shares. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dstmctl.h"

static void vprint_error(struct ctx *ctx, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("dstmctl: ", stderr);
	if (ctx->file)
		fprintf(stderr, "%s:%lu: ", ctx->file, ctx->line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void print_error(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(ctx, fmt, ap);
	va_end(ap);
}

int usage_error(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int ret;

	/* An earlier line that failed in the kernel is the first error. */
	ret = ctx_sync(ctx);
	if (ret)
		return ret;
	va_start(ap, fmt);
	vprint_error(ctx, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int kernel_error(struct ctx *ctx, const char *what, int err)
{
	const char *msg = ctx->sk ? dstm_errmsg(ctx->sk) : NULL;

	if (msg)
		print_error(ctx, "%s: %s", what, msg);
	else if (err == -EPERM)
		print_error(ctx, "%s: %s (dstmctl needs CAP_NET_ADMIN)", what,
			    strerror(-err));
	else
		print_error(ctx, "%s: %s", what, strerror(-err));
	return EXIT_KERNEL;
}

static int ctx_open(struct ctx *ctx, const char *what)
{
	const char *msg;
	int ret;

	if (ctx->sk)
		return EXIT_OK;
	ret = dstm_open(&ctx->sk);
	if (ret < 0) {
		ctx->sk = NULL;
		msg = dstm_open_errmsg();
		print_error(ctx, "%s: %s", what, msg ? msg : strerror(-ret));
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

static const char *const batch_ops[] = {
	[BATCH_MAP_ADD] = "map add",
	[BATCH_MAP_REPLACE] = "map replace",
	[BATCH_MAP_DEL] = "map del",
};

int batch_failed(struct ctx *ctx, const char *what, int err)
{
	unsigned long tag, line = ctx->line;
	int ret, berr;

	berr = dstm_batch_error(ctx->batch, &tag);
	if (!berr)
		return kernel_error(ctx, what, err);
	/* Report the line that failed, which may be an earlier one. */
	ctx->line = BATCH_TAG_LINE(tag);
	ret = kernel_error(ctx, batch_ops[BATCH_TAG_OP(tag)], berr);
	ctx->line = line;
	return ret;
}

int ctx_sync(struct ctx *ctx)
{
	int ret;

	if (!ctx->batch || dstm_batch_error(ctx->batch, NULL))
		return EXIT_OK;
	ret = dstm_batch_sync(ctx->batch);
	if (ret < 0)
		return batch_failed(ctx, "batch", ret);
	return EXIT_OK;
}

int ctx_sock(struct ctx *ctx, const char *what, struct dstm_sock **skp)
{
	int ret;

	ret = ctx_open(ctx, what);
	if (!ret)
		ret = ctx_sync(ctx);
	*skp = ctx->sk;
	return ret;
}

int ctx_batch(struct ctx *ctx, const char *what, struct dstm_batch **bp)
{
	int ret;

	*bp = NULL;
	if (!ctx->file)
		return EXIT_OK;
	ret = ctx_open(ctx, what);
	if (ret)
		return ret;
	if (!ctx->batch) {
		ret = dstm_batch_new(ctx->sk, 0, &ctx->batch);
		if (ret < 0)
			return kernel_error(ctx, what, ret);
	}
	*bp = ctx->batch;
	return EXIT_OK;
}

int check_dev(struct ctx *ctx, const char *what, const char *dev,
	      struct kw *kws)
{
	if (!dev)
		return usage_error(ctx, "%s: expected a device name", what);
	if (dev[0] == '-')
		return usage_error(ctx, "%s: unexpected option '%s' (options go before the command)",
				   what, dev);
	if (kws && kw_find(kws, dev))
		return usage_error(ctx, "%s: expected a device name before '%s'",
				   what, dev);
	if (!valid_ifname(dev))
		return usage_error(ctx, "%s: bad device name '%s' (expected 1 to %d characters without '/', ':' or blanks)",
				   what, dev, IF_NAMESIZE - 1);
	return EXIT_OK;
}
