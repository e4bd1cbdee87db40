/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The server the dstmd fuzz targets drive: a real configuration file and
 * SQLite store in a fresh temporary directory, the in-memory TEP, no
 * sockets, logging off.
 */
#ifndef DSTM_FUZZ_SERVER_SETUP_H
#define DSTM_FUZZ_SERVER_SETUP_H

#include "state.h"
#include "store.h"

/*
 * conf: the configuration that follows the [server] section (which
 * holds the store's path, sync = normal, no rate limit).  Aborts on any
 * failure: a target that cannot set up must not report "no crash".
 */
void fuzz_server_setup(struct dstmd *d, struct dstmd_config *cfg,
		       struct store **st, const char *conf);

#endif
