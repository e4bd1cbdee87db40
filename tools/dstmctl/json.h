/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON emitter: compact output, one document per line,
 * keys in the order emitted.  Keys are NULL inside arrays.
 */
#ifndef DSTMCTL_JSON_H
#define DSTMCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH 16

struct json {
	FILE *f;
	int depth;
	char close[JSON_DEPTH];		/* '}' or ']' for each open level */
	bool first[JSON_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_object(struct json *j, const char *key);
void json_array(struct json *j, const char *key);
/* Closes the innermost object or array; a newline after the outermost. */
void json_end(struct json *j);
void json_string(struct json *j, const char *key, const char *val);
void json_uint(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/*
 * A quoted JSON string: '"', '\\' and control characters escaped, valid
 * UTF-8 kept, each byte of invalid UTF-8 replaced by U+FFFD.
 */
void json_quote(FILE *f, const char *s);

#endif /* DSTMCTL_JSON_H */
