// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of dstmd: the DHCPv6/DHCPv4 codec (tools/proto) against
 * byte vectors built by hand from the RFC layouts, the config parser, the
 * pools and the lease logic.  Ends with "N passed, N failed".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int t_passed, t_failed;

void t_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		t_passed++;
		return;
	}
	t_failed++;
	fputs("FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

size_t t_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s) {
		unsigned int v;

		if (isspace((unsigned char)*s) || *s == '|') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1 || n >= cap)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

void t_bytes(const uint8_t *got, size_t glen, const char *want,
	     const char *what)
{
	uint8_t w[2048];
	size_t wlen = t_hex(want, w, sizeof(w)), i;
	bool ok = glen == wlen && !memcmp(got, w, wlen);

	t_check(ok, "%s: bytes differ", what);
	if (ok)
		return;
	printf("  got  (%zu):", glen);
	for (i = 0; i < glen; i++)
		printf(" %02x", got[i]);
	printf("\n  want (%zu):", wlen);
	for (i = 0; i < wlen; i++)
		printf(" %02x", w[i]);
	putchar('\n');
}

const char *t_dir(void)
{
	static char dir[] = "/tmp/dstmd-unit-XXXXXX";
	static bool made;

	if (!made && !mkdtemp(dir))
		return NULL;
	made = true;
	return dir;
}

const char *t_write(const char *name, const char *text)
{
	static char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t_dir(), name);
	f = fopen(path, "w");
	if (!f)
		return path;	/* config_load says what is missing */
	fputs(text, f);
	fclose(f);
	return path;
}

int main(void)
{
	test_dhcp6();
	test_dhcp4();
	test_auth();
	test_client();
	test_config();
	test_pool();
	test_lease();
	test_dns();
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}
