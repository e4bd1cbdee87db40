/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DSTMD_LEASES_H
#define DSTMD_LEASES_H

#include <stdbool.h>

/* "dstmd --leases": print the store's leases (table or JSON). */
int leases_list(const char *db, bool json);

#endif
