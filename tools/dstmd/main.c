// SPDX-License-Identifier: GPL-2.0
/*
 * dstmd - the DSTM server.  main(): the init ladder only.
 *
 *   dstmd -c FILE [-d] [--check]     serve (or only check the config)
 *   dstmd --leases [-c FILE | --db PATH] [-j]
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "leases.h"
#include "server.h"
#include "state.h"
#include "store.h"
#include "tep.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dstmd [-c FILE] [-d] [--check]\n"
		"       dstmd --leases [-c FILE | --db PATH] [-j]\n"
		"\n"
		"  -c, --config FILE  configuration (default %s)\n"
		"  -d, --debug        debug logging\n"
		"      --check        check the configuration and exit\n"
		"  -l, --leases       list the leases of the store and exit\n"
		"      --db PATH      the store to list (default: from the config)\n"
		"  -j, --json         --leases as JSON\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this help\n"
		"\nSee dstmd(8) and dstmd.conf(5).\n", DSTMD_CONF_DEFAULT);
}

static int mkdir_parent(const char *path)
{
	char buf[PATH_MAX], *dir;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (mkdir(dir, 0750) && errno != EEXIST)
		return -1;
	return 0;
}

static int server_duid(struct dstmd *d)
{
	size_t n = 0;
	int r;

	if (d->cfg->duid_len) {
		memcpy(d->duid, d->cfg->duid, d->cfg->duid_len);
		d->duid_len = d->cfg->duid_len;
		return 0;
	}
	r = store_get_meta(d->store, "duid", d->duid, sizeof(d->duid), &n);
	if (r == 1 && n >= 3) {
		d->duid_len = (uint16_t)n;
		return 0;
	}
	/* DUID-UUID (RFC 6355): type 4 and 16 random bytes, kept. */
	d->duid[0] = 0;
	d->duid[1] = 4;
	if (RAND_bytes(d->duid + 2, 16) != 1)
		return -1;
	d->duid_len = 18;
	return store_set_meta(d->store, "duid", d->duid, d->duid_len);
}

static void load_replay(struct dstmd *d)
{
	unsigned int i;

	for (i = 0; i < d->cfg->n_keys; i++) {
		struct dstmd_key *k = &d->cfg->keys[i];
		char name[80];
		uint8_t v[8];
		size_t n = 0;
		int j;

		snprintf(name, sizeof(name), "replay:%s", k->name);
		if (store_get_meta(d->store, name, v, sizeof(v), &n) == 1 &&
		    n == 8) {
			k->have_replay = true;
			k->replay = 0;
			for (j = 0; j < 8; j++)
				k->replay = k->replay << 8 | v[j];
		}
	}
}

static bool wants_tep(const struct dstmd_config *c)
{
	unsigned int i;

	for (i = 0; i < c->n_pools; i++)
		if (c->pools[i].tep_dev[0])
			return true;
	return false;
}

static int serve(struct dstmd_config *cfg, bool debug)
{
	struct store *store = NULL;
	struct tep *tep;
	struct dstmd d;
	sigset_t mask;
	char e[512];
	int fd, ret = 1;

	/* Signals wait for the event loop's signalfd from the start: a
	 * SIGTERM during start-up must still stop the server cleanly. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	log_open(cfg->log, debug);
	if (mkdir_parent(cfg->lease_db)) {
		err("cannot create the directory of %s: %m", cfg->lease_db);
		return 1;
	}
	if (store_open(&store, cfg->lease_db, cfg->sync_full, false, e, sizeof(e))) {
		err("lease store: %s", e);
		return 1;
	}
	tep = wants_tep(cfg) ? tep_local_open(e, sizeof(e)) : tep_mem_open();
	if (!tep) {
		err("TEP: %s", e);
		goto err_store;
	}
	if (dstmd_init(&d, cfg, store, tep))
		goto err_tep;
	if (server_duid(&d)) {
		err("cannot set the server DUID: %s", store_errmsg(store));
		goto err_dstmd;
	}
	load_replay(&d);

	/* Leases that ran out while we were down, then the TEPs. */
	d.now = time(NULL);
	if (!store_begin(store)) {
		dstmd_expire(&d);
		if (store_commit(store))
			err("lease store: %s", store_errmsg(store));
	}
	d.n_ops = 0;	/* reconciliation below covers them */
	dstmd_reconcile(&d);

	fd = server_socket(cfg, e, sizeof(e));
	if (fd < 0) {
		err("%s", e);
		goto err_dstmd;
	}
	if (dns_open(&d, fd, e, sizeof(e))) {
		err("%s", e);
		close(fd);
		goto err_dstmd;
	}
	info("serving %u pool%s on [%s]:%u, %zu leases, store %s", cfg->n_pools,
	     cfg->n_pools == 1 ? "" : "s", cfg->listen, cfg->port, d.n_leases,
	     cfg->lease_db);
	sd_notifyf("READY=1\nSTATUS=serving %zu leases", d.n_leases);
	ret = server_run(&d, fd) ? 1 : 0;
	sd_notifyf("STOPPING=1");
	dstmd_log_counters(&d);
	dns_close(&d);
	close(fd);
err_dstmd:
	dstmd_free(&d);
err_tep:
	tep->ops->close(tep);
err_store:
	store_close(store);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'C' },
		{ "leases", no_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *conf = NULL, *db = NULL;
	bool debug = false, check = false, leases = false, json = false;
	struct dstmd_config cfg;
	char e[512];
	int o, ret;

	while ((o = getopt_long(argc, argv, "c:dljVh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': conf = optarg; break;
		case 'd': debug = true; break;
		case 'C': check = true; break;
		case 'l': leases = true; break;
		case 'D': db = optarg; break;
		case 'j': json = true; break;
		case 'V':
			printf("dstmd %s\n", DSTM_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dstmd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if ((json || db) && !leases) {
		fprintf(stderr, "dstmd: -j and --db go with --leases\n");
		return 2;
	}
	if (leases && db && !conf)
		return leases_list(db, json) ? 1 : 0;
	if (config_load(&cfg, conf ? conf : DSTMD_CONF_DEFAULT, e, sizeof(e))) {
		fprintf(stderr, "dstmd: %s\n", e);
		return 1;
	}
	if (check) {
		printf("%s: OK (%u pool%s)\n", cfg.path, cfg.n_pools,
		       cfg.n_pools == 1 ? "" : "s");
		ret = 0;
	} else if (leases) {
		ret = leases_list(db ? db : cfg.lease_db, json) ? 1 : 0;
	} else {
		ret = serve(&cfg, debug);
	}
	config_free(&cfg);
	return ret;
}
