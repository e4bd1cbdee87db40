// SPDX-License-Identifier: GPL-2.0
/* dstmctl: global options and the table of subcommands. */
#include <stdio.h>
#include <string.h>

#include "dstmctl.h"

static const struct cmd commands[] = {
	{ "show",	cmd_show },
	{ "set",	cmd_set },
	{ "map",	cmd_map },
	{ "monitor",	cmd_monitor },
	{ "client",	cmd_client },
	{ "help",	cmd_help },
};

void print_usage(FILE *f)
{
	fputs(
"Usage: dstmctl [OPTIONS] COMMAND\n"
"       dstmctl [-j] -batch FILE\n"
"\n"
"Commands:\n"
"  show [DEV]                       configuration, statistics and drops\n"
"  set DEV [mode client|tep] [local IPV6] [tep IPV6] [addr IPV4|none]\n"
"          [psid-offset A] [psid-len K] [psid P] [hoplimit N]\n"
"          [queue-len N] [queue-timeout MS] [fastpath IF[,IF]...|none]\n"
"  map add DEV ipv4 IPV4 ipv6 IPV6 [psid P psid-len K [psid-offset A]]\n"
"          [lifetime SECONDS]\n"
"  map replace DEV ...              as add, renewing an existing mapping\n"
"  map del DEV ipv4 IPV4 [psid P]\n"
"  map show DEV\n"
"  map get DEV ipv4 IPV4 [psid P]\n"
"  map flush DEV\n"
"  monitor [DEV]                    print events as they come\n"
"  client DEV [server IPV6] [key KEYID SECRET-FILE] [fqdn NAME] [...]\n"
"                                   the DSTM host agent (see dstmctl(8))\n"
"  help\n"
"\n"
"Options:\n"
"  -j, -json          JSON output\n"
"  -batch FILE        run the commands of FILE ('-' = stdin), one a line\n"
"  -V, --version      print the version\n"
"  -h, --help         print this help\n"
"\n"
"Exit status: 0 ok, 1 usage error, 2 the kernel refused.\n", f);
}

int cmd_help(struct ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	print_usage(stdout);
	return EXIT_OK;
}

int run_command(struct ctx *ctx, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].run(ctx, argc - 1, argv + 1);
	return usage_error(ctx, "unknown command '%s' (expected show, set, map, monitor, client or help)",
			   argv[0]);
}

static bool is_opt(const char *arg, const char *s1, const char *s2,
		   const char *s3)
{
	return !strcmp(arg, s1) || (s2 && !strcmp(arg, s2)) ||
	       (s3 && !strcmp(arg, s3));
}

int main(int argc, char **argv)
{
	struct ctx ctx = { 0 };
	const char *batch = NULL;
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (is_opt(a, "-j", "-json", "--json")) {
			ctx.json = true;
		} else if (is_opt(a, "-batch", "--batch", "-b")) {
			if (++i == argc)
				return usage_error(&ctx, "'%s' needs a file name ('-' = stdin)",
						   a);
			batch = argv[i];
		} else if (is_opt(a, "-h", "--help", "-help")) {
			print_usage(stdout);
			return EXIT_OK;
		} else if (is_opt(a, "-V", "--version", "-version")) {
			printf("dstmctl %s (dstm netlink API version %d)\n",
			       DSTM_VERSION, DSTM_GENL_VERSION);
			return EXIT_OK;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else {
			return usage_error(&ctx, "unknown option '%s' (try 'dstmctl help')",
					   a);
		}
	}

	if (batch) {
		if (i < argc)
			return usage_error(&ctx, "unexpected '%s' after -batch FILE",
					   argv[i]);
		ret = run_batch(&ctx, batch);
	} else if (i == argc) {
		print_usage(stderr);
		ret = EXIT_USAGE;
	} else {
		ret = run_command(&ctx, argc - i, argv + i);
	}

	if (ctx.batch)
		dstm_batch_free(ctx.batch);
	dstm_close(ctx.sk);
	if (fflush(stdout) || ferror(stdout)) {
		/* e.g. ENOSPC: the output is incomplete, say so. */
		perror("dstmctl: writing output");
		if (!ret)
			ret = EXIT_USAGE;
	}
	return ret;
}
