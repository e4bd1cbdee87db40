// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the DHCPv6 decoder, the auth option parsers and the 4o6
 * response parser. */
#include "client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct d6_auth_delayed ad;
	const uint8_t *v;
	struct d6_msg m;
	struct d4_msg a;
	uint8_t t;

	if (d6_parse(data, size, &m) == 0 && m.has_auth) {
		if (!d6_auth_delayed_parse(&m.auth, &ad))
			d6_auth_verify_sha256(data, size, &m.auth,
					      (const uint8_t *)"k", 1);
		if (!d6_auth_reconf_parse(&m.auth, &t, &v))
			d6_auth_verify_reconf(data, size, &m.auth,
					      (const uint8_t *)"0123456789abcdef");
	}
	d4o6_parse_response(data, size, &m, &a);
	return 0;
}
