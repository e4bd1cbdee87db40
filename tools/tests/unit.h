/* SPDX-License-Identifier: GPL-2.0 */
/* The checks shared by the files of the "unit" test binary. */
#ifndef DSTM_UNIT_H
#define DSTM_UNIT_H

#include <stdbool.h>

void check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void check_str(const char *got, const char *want, const char *what);
void test_lib(void);

#endif
