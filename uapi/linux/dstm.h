/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * dstm - Dual Stack Transition Mechanism (4over6) tunnel driver.
 *
 * Generic netlink family "dstm", version 1.
 *
 * A dstm device ("ip link add dstm0 type dstm") carries IPv4 packets inside
 * IPv6 (next header 4) between DSTM hosts and a tunnel end point (TEP).  It
 * runs in one of two modes:
 *
 *   DSTM_MODE_CLIENT  the DSTM host.  IPv4 packets routed to the device are
 *                     encapsulated from DSTM_A_LOCAL (or the source address
 *                     the kernel selects for the route) to DSTM_A_TEP.  Only
 *                     4over6 packets from the TEP, addressed to DSTM_A_ADDR
 *                     (and, if a port set is configured, to one of its
 *                     ports) are decapsulated.  While DSTM_A_ADDR is unset,
 *                     outgoing packets wait in a bounded queue and an
 *                     ADDR_NEEDED event is multicast (rate limited); setting
 *                     the address sends the queue in order, and packets
 *                     still queued after DSTM_A_QUEUE_TIMEOUT get an ICMP
 *                     host unreachable.
 *
 *   DSTM_MODE_TEP     the tunnel end point.  4over6 packets sent to
 *                     DSTM_A_LOCAL are decapsulated only when the mapping
 *                     for (inner IPv4 source, PSID of the inner source port)
 *                     names the outer IPv6 source (anti-spoofing, RFC 7596
 *                     section 6.2) and are then forwarded by the IPv4
 *                     routing table.  IPv4 packets routed to the device are
 *                     encapsulated to the IPv6 address of the mapping for
 *                     (destination, PSID of the destination port).
 *
 * Port sets follow RFC 7597 section 5.1: a 16-bit port is split into
 * A (offset bits, DSTM_MAP_A_PSID_OFFSET = a), PSID (k bits,
 * DSTM_MAP_A_PSID_LEN = k) and M (16 - a - k bits).  A mapping with k = 0
 * owns the whole IPv4 address.  All mappings of one IPv4 address share the
 * same (a, k).  Ports whose A bits are all zero (0 .. 2^(16-a) - 1, when
 * a > 0) belong to no port set.  ICMP echo uses its identifier as the port.
 *
 * Conventions
 *   - IPv4 addresses are NLA_BE32 (network byte order); IPv6 addresses are
 *     exactly 16 bytes; lifetimes and timeouts are u32; counters are u64
 *     padded with DSTM_A_PAD / DSTM_MAP_A_PAD.
 *   - Every command names the device with DSTM_A_IFINDEX or DSTM_A_IFNAME
 *     (ifindex wins if both are given), except dumps of DEV_GET.
 *   - Every rejection carries an extended-ack message and, where one
 *     attribute is at fault, points at it.
 *   - Commands need CAP_NET_ADMIN in the user namespace owning the network
 *     namespace (GENL_UNS_ADMIN_PERM); DEV_GET and MAP_GET too, because
 *     mappings name the hosts using the tunnel.  For the same reason,
 *     joining the events group needs CAP_NET_ADMIN.
 *
 * Commands
 *
 *   DSTM_CMD_DEV_GET  do: device attributes below.  dump: every dstm device
 *                     of the namespace.  Reply: IFINDEX, IFNAME, MODE, LOCAL,
 *                     TEP, ADDR, PSID_OFFSET, PSID_LEN, PSID, HOPLIMIT,
 *                     QUEUE_LEN, QUEUE_TIMEOUT, MAP_COUNT, GENERATION,
 *                     STATS (nest of DSTM_STATS_A_*), DROPS (nest of
 *                     DSTM_DROP_A_*).
 *   DSTM_CMD_DEV_SET  change any of MODE, LOCAL, TEP, ADDR, PSID_OFFSET,
 *                     PSID_LEN, PSID, HOPLIMIT, QUEUE_LEN, QUEUE_TIMEOUT.
 *                     Changing MODE flushes the mapping table.  ADDR
 *                     0.0.0.0 removes the client's address (lease gone).
 *                     The whole request is checked before anything changes.
 *   DSTM_CMD_MAP_NEW  DSTM_A_MAP nest: IPV4, IPV6, optional PSID, PSID_LEN,
 *                     PSID_OFFSET, LIFETIME.  Adds a mapping, or fails with
 *                     EEXIST if its key exists.  With the DSTM_A_REPLACE
 *                     flag it adds the mapping or, if the key exists,
 *                     updates its IPv6 address and restarts its lifetime
 *                     (a lease renewal), keeping its counters; without
 *                     LIFETIME a renewal keeps the lifetime it had.
 *                     (Generic netlink accepts no NLM_F_REPLACE, CREATE or
 *                     EXCL on new families, hence the attribute.)  TEP
 *                     mode only.
 *   DSTM_CMD_MAP_DEL  DSTM_A_MAP nest: IPV4 and PSID (default 0).
 *   DSTM_CMD_MAP_GET  do: DSTM_A_MAP nest with IPV4 and PSID; reply carries
 *                     the mapping.  dump: every mapping of the device; the
 *                     dump resumes across messages and each message is
 *                     checked against the table's generation counter, so a
 *                     dump that raced with a change is flagged with
 *                     NLM_F_DUMP_INTR (user space retries).
 *   DSTM_CMD_MAP_FLUSH remove every mapping of the device.
 *
 * Notifications (multicast group DSTM_MCGRP_EVENTS)
 *
 *   DSTM_CMD_ADDR_NEEDED  IFINDEX, IFNAME, DST (the IPv4 destination that
 *                         needed the address).  Client mode.
 *   DSTM_CMD_MAP_NEW      IFINDEX, IFNAME, MAP: a mapping was added/renewed.
 *   DSTM_CMD_MAP_DEL      IFINDEX, IFNAME, MAP: a mapping was deleted
 *                         (MAP_DEL or MAP_FLUSH, one per mapping).
 *   DSTM_CMD_MAP_EXPIRED  IFINDEX, IFNAME, MAP: a mapping's lifetime ran out
 *                         and the kernel removed it.
 */
#ifndef _UAPI_LINUX_DSTM_H
#define _UAPI_LINUX_DSTM_H

#define DSTM_GENL_NAME		"dstm"
#define DSTM_GENL_VERSION	1
#define DSTM_MCGRP_EVENTS	"events"

enum dstm_mode {
	DSTM_MODE_CLIENT,
	DSTM_MODE_TEP,
	__DSTM_MODE_MAX
};

#define DSTM_MODE_MAX (__DSTM_MODE_MAX - 1)

enum dstm_cmd {
	DSTM_CMD_UNSPEC,
	DSTM_CMD_DEV_GET,
	DSTM_CMD_DEV_SET,
	DSTM_CMD_MAP_NEW,
	DSTM_CMD_MAP_DEL,
	DSTM_CMD_MAP_GET,
	DSTM_CMD_MAP_FLUSH,
	DSTM_CMD_ADDR_NEEDED,
	DSTM_CMD_MAP_EXPIRED,
	__DSTM_CMD_MAX
};

#define DSTM_CMD_MAX (__DSTM_CMD_MAX - 1)

enum dstm_attr {
	DSTM_A_UNSPEC,
	DSTM_A_PAD,
	DSTM_A_IFINDEX,		/* u32 */
	DSTM_A_IFNAME,		/* string, < IFNAMSIZ */
	DSTM_A_MODE,		/* u8, enum dstm_mode */
	DSTM_A_LOCAL,		/* binary, 16: local IPv6 (:: = chosen by route) */
	DSTM_A_TEP,		/* binary, 16: the TEP (client mode) */
	DSTM_A_ADDR,		/* be32: the client's IPv4 address (client mode) */
	DSTM_A_PSID_OFFSET,	/* u8, 0..15: client's port set offset a */
	DSTM_A_PSID_LEN,	/* u8, 0..16: client's PSID length k */
	DSTM_A_PSID,		/* u16: client's PSID, < 2^k */
	DSTM_A_HOPLIMIT,	/* u8, 1..255: outer hop limit (default 64) */
	DSTM_A_QUEUE_LEN,	/* u32, 0..4096: packets held while no address */
	DSTM_A_QUEUE_TIMEOUT,	/* u32, 1..60000 ms: how long they are held */
	DSTM_A_MAP_COUNT,	/* u32: mappings in the table */
	DSTM_A_GENERATION,	/* u32: bumped on every table change */
	DSTM_A_STATS,		/* nest, enum dstm_stats_attr */
	DSTM_A_DROPS,		/* nest, enum dstm_drop_attr */
	DSTM_A_MAP,		/* nest, enum dstm_map_attr */
	DSTM_A_DST,		/* be32: destination that needed an address */
	DSTM_A_REPLACE,		/* flag: MAP_NEW may update an existing mapping */
	/* nest, enum dstm_fastpath_attr: the devices whose ingress takes the
	 * fast path (TEP mode).  DEV_SET replaces the whole set; an empty
	 * nest clears it.  See Documentation/fastpath.md.
	 */
	DSTM_A_FASTPATH,
	__DSTM_A_MAX
};

#define DSTM_A_MAX (__DSTM_A_MAX - 1)

enum dstm_map_attr {
	DSTM_MAP_A_UNSPEC,
	DSTM_MAP_A_PAD,
	DSTM_MAP_A_IPV4,	/* be32 */
	DSTM_MAP_A_IPV6,	/* binary, 16 */
	DSTM_MAP_A_PSID_OFFSET,	/* u8, 0..15 (default 6 when PSID_LEN > 0) */
	DSTM_MAP_A_PSID_LEN,	/* u8, 0..16 (default 0) */
	DSTM_MAP_A_PSID,	/* u16, < 2^PSID_LEN (default 0) */
	DSTM_MAP_A_LIFETIME,	/* u32 seconds, 0 = permanent (default) */
	DSTM_MAP_A_EXPIRES,	/* u32 seconds left (reply only) */
	DSTM_MAP_A_TX_PACKETS,	/* u64: IPv4 -> host (encapsulated) */
	DSTM_MAP_A_TX_BYTES,	/* u64 */
	DSTM_MAP_A_RX_PACKETS,	/* u64: host -> IPv4 (decapsulated) */
	DSTM_MAP_A_RX_BYTES,	/* u64 */
	DSTM_MAP_A_LAST_USE,	/* u32 ms since last packet, absent if never */
	__DSTM_MAP_A_MAX
};

#define DSTM_MAP_A_MAX (__DSTM_MAP_A_MAX - 1)

enum dstm_fastpath_attr {
	DSTM_FASTPATH_A_UNSPEC,
	DSTM_FASTPATH_A_IFINDEX,	/* u32, repeated: one per device */
	__DSTM_FASTPATH_A_MAX
};

#define DSTM_FASTPATH_A_MAX (__DSTM_FASTPATH_A_MAX - 1)
/* At most this many fast-path devices per dstm device. */
#define DSTM_FASTPATH_MAX_DEVS	16

enum dstm_stats_attr {
	DSTM_STATS_A_UNSPEC,
	DSTM_STATS_A_PAD,
	DSTM_STATS_A_TX_PACKETS,	/* u64: encapsulated and sent */
	DSTM_STATS_A_TX_BYTES,		/* u64 */
	DSTM_STATS_A_RX_PACKETS,	/* u64: decapsulated and delivered */
	DSTM_STATS_A_RX_BYTES,		/* u64 */
	DSTM_STATS_A_QUEUED,		/* u64: packets held for an address */
	DSTM_STATS_A_ADDR_NEEDED,	/* u64: ADDR_NEEDED events raised */
	DSTM_STATS_A_FAST_TX_PACKETS,	/* u64: encapsulated at ingress */
	DSTM_STATS_A_FAST_RX_PACKETS,	/* u64: decapsulated at ingress */
	__DSTM_STATS_A_MAX
};

#define DSTM_STATS_A_MAX (__DSTM_STATS_A_MAX - 1)

/*
 * Why packets were dropped.  Each reason is a u64 attribute of the
 * DSTM_A_DROPS nest, numbered DSTM_DROP_<reason> + 1 (the "A" form below).
 */
enum dstm_drop_reason {
	DSTM_DROP_NO_MAPPING,	/* TEP: no mapping for IPv4 destination/port */
	DSTM_DROP_SPOOFED,	/* TEP: inner source not mapped to outer source */
	DSTM_DROP_WRONG_TEP,	/* client: 4over6 from someone not our TEP */
	DSTM_DROP_NOT_OURS,	/* client: inner destination/port not ours */
	DSTM_DROP_MALFORMED,	/* bad inner IPv4 header or truncated packet */
	DSTM_DROP_TOO_BIG,	/* DF set and larger than the path MTU */
	DSTM_DROP_NO_ROUTE,	/* no IPv6 route to the TEP / the client */
	DSTM_DROP_NO_CONFIG,	/* device not configured (no local/TEP) */
	/* Portless packet (non-first fragment) for a shared address. */
	DSTM_DROP_FRAGMENT,
	DSTM_DROP_QUEUE_FULL,	/* client: no address and the queue is full */
	DSTM_DROP_QUEUE_TIMEOUT,/* client: held packet not sent in time */
	DSTM_DROP_NOT_IPV4,	/* non-IPv4 packet given to the device */
	__DSTM_DROP_MAX
};

#define DSTM_DROP_MAX (__DSTM_DROP_MAX - 1)

enum dstm_drop_attr {
	DSTM_DROP_A_UNSPEC,
	DSTM_DROP_A_NO_MAPPING,
	DSTM_DROP_A_SPOOFED,
	DSTM_DROP_A_WRONG_TEP,
	DSTM_DROP_A_NOT_OURS,
	DSTM_DROP_A_MALFORMED,
	DSTM_DROP_A_TOO_BIG,
	DSTM_DROP_A_NO_ROUTE,
	DSTM_DROP_A_NO_CONFIG,
	DSTM_DROP_A_FRAGMENT,
	DSTM_DROP_A_QUEUE_FULL,
	DSTM_DROP_A_QUEUE_TIMEOUT,
	DSTM_DROP_A_NOT_IPV4,
	DSTM_DROP_A_PAD,
	__DSTM_DROP_A_MAX
};

#define DSTM_DROP_A_MAX (__DSTM_DROP_A_MAX - 1)

#endif /* _UAPI_LINUX_DSTM_H */
