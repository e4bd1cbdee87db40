// SPDX-License-Identifier: GPL-2.0
/* Logging: stderr, syslog, or both; rate-limited messages for floods. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "dstmd.h"

static bool to_stderr = true, to_syslog, debug_on, quiet;

void log_set_quiet(bool q)
{
	quiet = q;
}

void log_open(int where, bool debug)
{
	debug_on = debug;
	if (where == DSTMD_LOG_AUTO)
		where = isatty(STDERR_FILENO) ? DSTMD_LOG_STDERR : DSTMD_LOG_SYSLOG;
	to_syslog = where == DSTMD_LOG_SYSLOG;
	/* Under systemd stderr goes to the journal too: keep it. */
	to_stderr = true;
	if (to_syslog)
		openlog("dstmd", LOG_PID, LOG_DAEMON);
}

static void vlog(int lvl, const char *fmt, va_list ap)
{
	static const char *const names[8] = {
		[LOG_LVL_ERR] = "error: ", [LOG_LVL_WARN] = "warning: ",
		[LOG_LVL_INFO] = "", [LOG_LVL_DEBUG] = "debug: ",
	};
	char msg[512];

	if (quiet || (lvl == LOG_LVL_DEBUG && !debug_on))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to_stderr)
		fprintf(stderr, "dstmd: %s%s\n", names[lvl & 7], msg);
	if (to_syslog)
		syslog(lvl, "%s", msg);
}

void log_msg(int lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

#define LIMIT_REASONS 32

void log_limited(int reason, int lvl, const char *fmt, ...)
{
	static time_t last[LIMIT_REASONS];
	static unsigned long suppressed[LIMIT_REASONS];
	time_t now = time(NULL);
	va_list ap;

	reason &= LIMIT_REASONS - 1;
	if (last[reason] == now) {
		suppressed[reason]++;
		return;
	}
	last[reason] = now;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
	if (suppressed[reason]) {
		log_msg(lvl, "(%lu similar messages suppressed)", suppressed[reason]);
		suppressed[reason] = 0;
	}
}
