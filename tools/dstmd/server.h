/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DSTMD_SERVER_H
#define DSTMD_SERVER_H

#include <stddef.h>

struct dstmd;
struct dstmd_config;

/* The bound UDP socket, or -1 with err set. */
int server_socket(const struct dstmd_config *c, char *err, size_t errlen);
/* Until SIGINT/SIGTERM: 0, or -1 on a fatal error. */
int server_run(struct dstmd *d, int fd);

#endif
