/* SPDX-License-Identifier: GPL-2.0 */
/* Tiny test harness shared by dstmd's host unit tests. */
#ifndef DSTMD_TEST_CHECK_H
#define DSTMD_TEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern int t_passed, t_failed;

void t_check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Parse "0b 12 34" (blanks and '|' ignored) into out; returns the length. */
size_t t_hex(const char *s, uint8_t *out, size_t cap);
/* Compare got[0..glen) with the hex vector want; prints both on mismatch. */
void t_bytes(const uint8_t *got, size_t glen, const char *want,
	     const char *what);

/* The tests' temporary directory, made on first use (NULL if it cannot). */
const char *t_dir(void);
/* Write text to the file name of t_dir(); returns its path (static). */
const char *t_write(const char *name, const char *text);

void test_dhcp6(void);
void test_dhcp4(void);
void test_auth(void);
void test_client(void);
void test_config(void);
void test_pool(void);
void test_lease(void);
void test_dns(void);

#endif
