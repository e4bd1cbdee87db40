// SPDX-License-Identifier: GPL-2.0
/*
 * dstmctl -batch FILE: one command a line, as on the command line without
 * "dstmctl" and its options.  map add/replace/del are pipelined (libdstm's
 * dstm_batch) so that a million of them take seconds; any other command
 * first waits for the requests in flight.  The batch stops at the first
 * error, which names the file and line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstmctl.h"

#define MAX_WORDS 64

int run_batch(struct ctx *ctx, const char *file)
{
	char *argv[MAX_WORDS], err[ERRLEN];
	char *line = NULL;
	size_t size = 0;
	int argc, ret = EXIT_OK;
	FILE *f;

	if (!strcmp(file, "-")) {
		f = stdin;
		ctx->file = "stdin";
	} else {
		f = fopen(file, "r");
		if (!f) {
			print_error(ctx, "-batch: cannot open '%s': %s", file,
				    strerror(errno));
			return EXIT_USAGE;
		}
		ctx->file = file;
	}

	ctx->line = 0;
	while (getline(&line, &size, f) >= 0) {
		ctx->line++;
		argc = split_line(line, argv, MAX_WORDS, err, sizeof(err));
		if (argc < 0) {
			ret = usage_error(ctx, "%s", err);
			break;
		}
		if (argc == 0)
			continue;
		if (argv[0][0] == '-') {
			ret = usage_error(ctx, "'%s': options go on the command line, not in the batch",
					  argv[0]);
			break;
		}
		ret = run_command(ctx, argc, argv);
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		print_error(ctx, "reading: %s", strerror(errno));
		ret = EXIT_USAGE;
	}
	/* What is still in flight must succeed too. */
	if (!ret)
		ret = ctx_sync(ctx);

	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}
