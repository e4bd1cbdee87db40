/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DSTMCTL_H
#define DSTMCTL_H

#include <stdbool.h>

#include "dstm.h"
#include "json.h"
#include "parse.h"

/* iproute2's convention. */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_KERNEL = 2,
};

/* What every command runs with. */
struct ctx {
	bool json;
	struct dstm_sock *sk;		/* opened on first use */

	/* -batch: where we are, and the requests in flight. */
	const char *file;
	unsigned long line;
	struct dstm_batch *batch;
};

struct cmd {
	const char *name;
	int (*run)(struct ctx *ctx, int argc, char **argv);
};

/* Runs argv[0] of the top-level command table; used by main and -batch. */
int run_command(struct ctx *ctx, int argc, char **argv);

int cmd_show(struct ctx *ctx, int argc, char **argv);
int cmd_set(struct ctx *ctx, int argc, char **argv);
int cmd_map(struct ctx *ctx, int argc, char **argv);
int cmd_monitor(struct ctx *ctx, int argc, char **argv);
int cmd_client(struct ctx *ctx, int argc, char **argv);
int cmd_help(struct ctx *ctx, int argc, char **argv);
int run_batch(struct ctx *ctx, const char *file);

void print_usage(FILE *f);

/*
 * Errors, one line on stderr ("dstmctl: [FILE:LINE: ]..."), returning the
 * exit status.  usage_error() first settles the requests of earlier batch
 * lines still in flight, whose failure is reported instead.
 */
int usage_error(struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int kernel_error(struct ctx *ctx, const char *what, int err);
void print_error(struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The socket for a synchronous request "what": opens it, and settles the
 * batch requests in flight first.  Returns EXIT_OK or the exit status of
 * the error it reported.
 */
int ctx_sock(struct ctx *ctx, const char *what, struct dstm_sock **skp);
/* Settles the batch requests in flight; reports a failure. */
int ctx_sync(struct ctx *ctx);
/* The pipeline for batch-able requests, or NULL when not in -batch. */
int ctx_batch(struct ctx *ctx, const char *what, struct dstm_batch **bp);
/*
 * A pipelined request returned err: report the request that failed
 * (perhaps of an earlier line), or err for "what" if none did.
 */
int batch_failed(struct ctx *ctx, const char *what, int err);

/* Batch request tags: the line number and the operation. */
enum {
	BATCH_MAP_ADD,
	BATCH_MAP_REPLACE,
	BATCH_MAP_DEL,
};
#define BATCH_TAG(line, op)	((unsigned long)(line) << 2 | (op))
#define BATCH_TAG_LINE(tag)	((tag) >> 2)
#define BATCH_TAG_OP(tag)	((tag) & 3)

/* "DEV" argument: a device name, not one of the command's keywords. */
int check_dev(struct ctx *ctx, const char *what, const char *dev,
	      struct kw *kws);

/* Output of mappings, shared by map show/get and monitor. */
void print_map(const struct dstm_map *m);
void json_map(struct json *j, const char *key, const struct dstm_map *m);

#endif /* DSTMCTL_H */
