// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Port sets of RFC 7597 section 5.1.  A port is split, from the most
 * significant bit, into A (a bits), PSID (k bits) and M (m = 16 - a - k
 * bits).  A port set is all ports with a given PSID, except those whose A
 * bits are all zero (the well-known ports, when a > 0): 2^a - 1 blocks of
 * 2^m contiguous ports.  k = 0 means the whole address.
 */
#include "dstm.h"

bool dstm_portset_valid(unsigned int a, unsigned int k, unsigned int psid)
{
	return a <= 15 && k <= 16 && a + k <= 16 && psid < (1u << k);
}

uint32_t dstm_portset_ports(unsigned int a, unsigned int k)
{
	unsigned int m = 16 - a - k;

	if (k == 0)
		return 65536;
	if (a == 0)
		return 1u << m;
	return ((1u << a) - 1) << m;
}

size_t dstm_portset_ranges(unsigned int a, unsigned int k, unsigned int psid,
			   struct dstm_port_range *out, size_t max)
{
	unsigned int m = 16 - a - k;
	uint32_t i, lo;
	size_t n = 0;

	if (!dstm_portset_valid(a, k, psid))
		return 0;
	if (k == 0) {
		if (max)
			*out = (struct dstm_port_range){ 0, 65535 };
		return 1;
	}
	/* With k > 0 the blocks are never adjacent: nothing to merge. */
	for (i = a ? 1 : 0; i < (1u << a); i++) {
		lo = i << (16 - a) | psid << m;
		if (n < max) {
			out[n].lo = lo;
			out[n].hi = lo + (1u << m) - 1;
		}
		n++;
	}
	return n;
}

bool dstm_port_psid(unsigned int a, unsigned int k, uint16_t port,
		    unsigned int *psid)
{
	unsigned int m = 16 - a - k;

	if (k == 0) {
		*psid = 0;
		return true;
	}
	if (a && !(port >> (16 - a)))
		return false;
	*psid = (port >> m) & ((1u << k) - 1);
	return true;
}
