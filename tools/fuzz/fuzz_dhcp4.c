// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the DHCPv4 decoder, and re-encoding what it accepted. */
#include "dhcp4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[2048];
	struct d4_msg m;
	struct pbuf b;

	if (d4_parse(data, size, &m) == 0) {
		pbuf_init(&b, out, sizeof(out));
		d4_build(&b, &m);
	}
	return 0;
}
