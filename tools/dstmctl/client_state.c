// SPDX-License-Identifier: GPL-2.0
/*
 * dstmctl client: the state file.  It keeps what must survive a restart:
 *
 *   duid HEX          our DHCPv6 DUID (a DUID-UUID made once), so the
 *                     server knows us again and gives the same lease back
 *   replay N          the authentication replay counter's reservation:
 *                     every value used is below N, so a restart (or a
 *                     crash) never sends a value twice
 *   reconf-key HEX    the RFC 8415 Reconfigure Key the server gave us
 *   server-replay N   the last replay value seen from the server
 *   last-addr A.B.C.D the last leased address, asked for again
 *
 * Written to a temporary file, fsync'ed and renamed over the old one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* Values reserved per write: a write every REPLAY_BLOCK messages. */
#define REPLAY_BLOCK	1000

static bool unhex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = 0;
	unsigned int v;

	while (*s && *s != '\n') {
		if (*s == ':' || *s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		if (n == max || sscanf(s, "%2x", &v) != 1 || !s[1] ||
		    !strchr("0123456789abcdefABCDEF", s[0]) ||
		    !strchr("0123456789abcdefABCDEF", s[1]))
			return false;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
	return true;
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static int mkdirs(const char *path)
{
	char dir[4096], *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

static int new_duid(struct agent *ag)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	/* DUID-UUID (RFC 6355): type 4, then a random (version 4) UUID. */
	ag->duid[0] = 0;
	ag->duid[1] = 4;
	n = read(fd, ag->duid + 2, 16);
	close(fd);
	if (n != 16)
		return -EIO;
	ag->duid[2 + 6] = (uint8_t)((ag->duid[2 + 6] & 0x0f) | 0x40);
	ag->duid[2 + 8] = (uint8_t)((ag->duid[2 + 8] & 0x3f) | 0x80);
	ag->duid_len = 18;
	return 0;
}

int state_load(struct agent *ag)
{
	uint64_t replay = 0, now_replay;
	char line[512];
	bool have_duid = false;
	FILE *f;
	int ret;

	f = fopen(ag->o.state_file, "re");
	if (!f && errno != ENOENT) {
		ret = -errno;
		ag_log(ag, "state file %s: %s", ag->o.state_file, strerror(-ret));
		return ret;
	}
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ' ');
		size_t n;

		if (line[0] == '#' || !v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (!strcmp(line, "duid")) {
			have_duid = unhex(v, ag->duid, sizeof(ag->duid), &n) &&
				    n >= 3;
			ag->duid_len = n;
		} else if (!strcmp(line, "replay")) {
			replay = strtoull(v, NULL, 10);
		} else if (!strcmp(line, "reconf-key")) {
			ag->has_rkey = unhex(v, ag->rkey, sizeof(ag->rkey), &n) &&
				       n == D6_RECONF_KEY_LEN;
		} else if (!strcmp(line, "server-replay")) {
			ag->srv_replay = strtoull(v, NULL, 10);
			ag->has_srv_replay = true;
		} else if (!strcmp(line, "last-addr")) {
			inet_pton(AF_INET, v, &ag->last_addr);
		}
	}
	if (f)
		fclose(f);
	if (!have_duid) {
		ret = new_duid(ag);
		if (ret)
			return ret;
	}
	/*
	 * Never below the reservation, nor below the clock (seconds << 20):
	 * even a lost state file does not make us replay an old counter.
	 */
	now_replay = (uint64_t)time(NULL) << 20;
	ag->c.replay = replay > now_replay ? replay : now_replay;
	ag->replay_ceiling = ag->c.replay + 1 + REPLAY_BLOCK;
	ret = mkdirs(ag->o.state_file);
	if (ret) {
		ag_log(ag, "state file %s: cannot create its directory: %s",
		       ag->o.state_file, strerror(-ret));
		return ret;
	}
	return state_save(ag);
}

int state_save(struct agent *ag)
{
	char tmp[4200], a[INET_ADDRSTRLEN];
	FILE *f;
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", ag->o.state_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		ag_log(ag, "state file %s: %s", tmp, strerror(-ret));
		return ret;
	}
	fprintf(f, "# dstmctl client %s: written by the agent, do not edit while it runs\n",
		ag->o.dev);
	fputs("duid ", f);
	hex(f, ag->duid, ag->duid_len);
	fprintf(f, "\nreplay %" PRIu64 "\n", ag->replay_ceiling);
	if (ag->has_rkey) {
		fputs("reconf-key ", f);
		hex(f, ag->rkey, sizeof(ag->rkey));
		fputc('\n', f);
	}
	if (ag->has_srv_replay)
		fprintf(f, "server-replay %" PRIu64 "\n", ag->srv_replay);
	if (ag->last_addr.s_addr)
		fprintf(f, "last-addr %s\n",
			inet_ntop(AF_INET, &ag->last_addr, a, sizeof(a)));
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, ag->o.state_file))
		ret = -errno;
	if (ret) {
		ag_log(ag, "state file %s: cannot write: %s", ag->o.state_file,
		       strerror(-ret));
		unlink(tmp);
	}
	return ret;
}

int state_replay_reserve(struct agent *ag)
{
	if (!ag->o.key_name || ag->c.replay + 1 < ag->replay_ceiling)
		return 0;
	ag->replay_ceiling = ag->c.replay + 1 + REPLAY_BLOCK;
	return state_save(ag);
}
