// SPDX-License-Identifier: GPL-2.0
/* dstmctl [-j] monitor [DEV]: one line per event, as they come. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dstmctl.h"

struct monitor {
	struct ctx *ctx;
	const char *dev;
	struct json j;
};

/* Human names; JSON uses the same with '_' (the uapi enum, lower case). */
static const char *event_name(uint8_t cmd, bool json)
{
	switch (cmd) {
	case DSTM_CMD_ADDR_NEEDED:
		return json ? "addr_needed" : "addr-needed";
	case DSTM_CMD_MAP_NEW:
		return json ? "map_new" : "map-new";
	case DSTM_CMD_MAP_DEL:
		return json ? "map_del" : "map-del";
	case DSTM_CMD_MAP_EXPIRED:
		return json ? "map_expired" : "map-expired";
	}
	return NULL;
}

static int print_event(const struct dstm_event *ev, void *arg)
{
	struct monitor *mon = arg;
	const char *name = event_name(ev->cmd, mon->ctx->json);
	bool has_dst = ev->present & DSTM_BIT(DSTM_A_DST);
	bool has_map = ev->present & DSTM_BIT(DSTM_A_MAP);
	char buf[INET_ADDRSTRLEN];

	if (mon->dev && strcmp(mon->dev, ev->ifname))
		return 0;
	if (has_dst)
		inet_ntop(AF_INET, &ev->dst, buf, sizeof(buf));

	if (mon->ctx->json) {
		json_object(&mon->j, NULL);
		if (name)
			json_string(&mon->j, "event", name);
		else
			json_uint(&mon->j, "event", ev->cmd);
		json_uint(&mon->j, "ifindex", ev->ifindex);
		json_string(&mon->j, "ifname", ev->ifname);
		if (has_dst)
			json_string(&mon->j, "dst", buf);
		if (has_map)
			json_map(&mon->j, "map", &ev->map);
		json_end(&mon->j);
	} else {
		if (name)
			printf("%s %s", name, ev->ifname);
		else
			printf("event-%u %s", ev->cmd, ev->ifname);
		if (has_dst)
			printf(" dst %s", buf);
		if (has_map) {
			putchar(' ');
			print_map(&ev->map);
		} else {
			putchar('\n');
		}
	}
	/* Someone is reading this line by line, perhaps through a pipe. */
	if (fflush(stdout))
		return -errno;
	return 0;
}

int cmd_monitor(struct ctx *ctx, int argc, char **argv)
{
	struct monitor mon = { .ctx = ctx };
	struct dstm_sock *sk;
	int ret;

	if (argc > 1)
		return usage_error(ctx, "monitor: unexpected '%s' (expected monitor [DEV])",
				   argv[1]);
	if (argc == 1) {
		ret = check_dev(ctx, "monitor", argv[0], NULL);
		if (ret)
			return ret;
		mon.dev = argv[0];
	}
	ret = ctx_sock(ctx, "monitor", &sk);
	if (ret)
		return ret;
	ret = dstm_event_subscribe(sk);
	if (ret < 0)
		return kernel_error(ctx, "monitor", ret);
	json_init(&mon.j, stdout);

	for (;;) {
		ret = dstm_event_read(sk, print_event, &mon);
		if (ret == -ENOBUFS) {
			/* Say so, and go on: later events are still good. */
			print_error(ctx, "monitor: %s", dstm_errmsg(sk));
			continue;
		}
		if (ret < 0 && ferror(stdout)) {
			print_error(ctx, "monitor: writing output: %s",
				    strerror(-ret));
			return EXIT_USAGE;
		}
		if (ret < 0)
			return kernel_error(ctx, "monitor", ret);
	}
}
