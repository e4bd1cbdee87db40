/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdstm - a small C library over libnl-genl-3 for the "dstm" generic
 * netlink family (see <linux/dstm.h> for the protocol itself).
 *
 * Conventions
 *   - Every function returning int returns 0 (or a count, where said) on
 *     success and a negative errno on failure.  When the kernel refused a
 *     request, the errno is the kernel's and dstm_errmsg() returns its
 *     extended-ack message (or NULL when the kernel sent none).
 *   - Devices are named by interface name (DSTM_A_IFNAME).
 *   - Structures carry a "present" bit mask: bit (1 << DSTM_A_x) (devices)
 *     or (1 << DSTM_MAP_A_x) (mappings) is set for every attribute a reply
 *     carried, and selects the attributes a request sends.
 *   - A socket is not thread safe; use one per thread.  A socket subscribed
 *     to events (dstm_event_subscribe) should not be used for requests:
 *     notifications that arrive while a request waits for its reply are
 *     discarded.
 */
#ifndef LIBDSTM_H
#define LIBDSTM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/dstm.h>

#define DSTM_BIT(attr)		(1u << (attr))

struct dstm_sock;

struct dstm_device {
	uint32_t present;		/* DSTM_BIT(DSTM_A_*) */
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	uint8_t mode;			/* enum dstm_mode */
	struct in6_addr local;
	struct in6_addr tep;
	struct in_addr addr;
	uint8_t psid_offset;
	uint8_t psid_len;
	uint16_t psid;
	uint8_t hoplimit;
	uint32_t queue_len;
	uint32_t queue_timeout;		/* ms */
	uint32_t map_count;
	uint32_t generation;
	/*
	 * DSTM_A_FASTPATH (TEP mode): the ifindexes of the devices whose
	 * ingress takes the fast path.  A reply carries the nest only when
	 * the set is not empty (fastpath_count 0 and no present bit when it
	 * is); ifindexes beyond DSTM_FASTPATH_MAX_DEVS are ignored.
	 */
	uint32_t fastpath_count;
	uint32_t fastpath[DSTM_FASTPATH_MAX_DEVS];
	uint32_t stats_present;		/* DSTM_BIT(DSTM_STATS_A_*) */
	uint64_t stats[DSTM_STATS_A_MAX + 1];	/* indexed by DSTM_STATS_A_* */
	uint32_t drops_present;		/* DSTM_BIT(DSTM_DROP_A_*) */
	uint64_t drops[DSTM_DROP_A_MAX + 1];	/* indexed by DSTM_DROP_A_* */
};

struct dstm_map {
	uint32_t present;		/* DSTM_BIT(DSTM_MAP_A_*) */
	struct in_addr ipv4;
	struct in6_addr ipv6;
	uint8_t psid_offset;
	uint8_t psid_len;
	uint16_t psid;
	uint32_t lifetime;		/* s, 0 = permanent */
	uint32_t expires;		/* s left */
	uint32_t last_use;		/* ms since last packet */
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t rx_packets;
	uint64_t rx_bytes;
};

struct dstm_event {
	uint8_t cmd;			/* DSTM_CMD_ADDR_NEEDED, _MAP_NEW, ... */
	uint32_t present;		/* DSTM_BIT(DSTM_A_*) */
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	struct in_addr dst;		/* ADDR_NEEDED */
	struct dstm_map map;		/* MAP_NEW, MAP_DEL, MAP_EXPIRED */
};

/* Callbacks return 0 to go on, or a negative errno to stop (returned). */
typedef int (*dstm_dev_cb)(const struct dstm_device *dev, void *arg);
typedef int (*dstm_map_cb)(const struct dstm_map *map, void *arg);
typedef int (*dstm_event_cb)(const struct dstm_event *ev, void *arg);

/*
 * Socket.  dstm_open() resolves the family; it returns -ENOENT when the
 * kernel has no "dstm" family (module not loaded and not loadable), and
 * -EPROTO when the kernel's API version is older than ours.
 */
int dstm_open(struct dstm_sock **skp);
void dstm_close(struct dstm_sock *sk);
int dstm_fd(const struct dstm_sock *sk);
unsigned int dstm_kernel_version(const struct dstm_sock *sk);
/*
 * The last error's extack message (naming the attribute it points at), or
 * NULL; dstm_open_errmsg() is the same for the last failed dstm_open() of
 * the calling thread.
 */
const char *dstm_errmsg(const struct dstm_sock *sk);
const char *dstm_open_errmsg(void);

/* Devices. */
int dstm_dev_get(struct dstm_sock *sk, const char *ifname,
		 struct dstm_device *dev);
int dstm_dev_dump(struct dstm_sock *sk, dstm_dev_cb cb, void *arg);
/*
 * Sends only the attributes whose bits are set in dev->present.  With
 * DSTM_BIT(DSTM_A_FASTPATH) the fast-path set becomes fastpath[0 ..
 * fastpath_count - 1] (fastpath_count 0 clears it); a count above
 * DSTM_FASTPATH_MAX_DEVS is -EINVAL without asking the kernel.
 */
int dstm_dev_set(struct dstm_sock *sk, const char *ifname,
		 const struct dstm_device *dev);

/*
 * Mappings.  dstm_map_new() sends IPV4, IPV6 and whichever of PSID,
 * PSID_LEN, PSID_OFFSET and LIFETIME are present; replace sets
 * DSTM_A_REPLACE (create or renew).  dstm_map_dump() calls cb for every
 * mapping of
 * one consistent snapshot of the table: a dump the kernel flags
 * NLM_F_DUMP_INTR is restarted transparently, up to DSTM_DUMP_RETRIES
 * times (then -EAGAIN).  It returns the number of mappings.
 */
#define DSTM_DUMP_RETRIES	16

int dstm_map_new(struct dstm_sock *sk, const char *ifname,
		 const struct dstm_map *map, bool replace);
int dstm_map_del(struct dstm_sock *sk, const char *ifname,
		 struct in_addr ipv4, uint16_t psid);
int dstm_map_get(struct dstm_sock *sk, const char *ifname,
		 struct in_addr ipv4, uint16_t psid, struct dstm_map *map);
int dstm_map_dump(struct dstm_sock *sk, const char *ifname,
		  dstm_map_cb cb, void *arg);
int dstm_map_flush(struct dstm_sock *sk, const char *ifname);

/*
 * Events.  After dstm_event_subscribe(), dstm_event_read() waits for the
 * next notifications (unless the socket is non-blocking: -EAGAIN) and calls
 * cb for each.  -ENOBUFS means events were lost (receive buffer overrun);
 * the socket stays usable.  Use dstm_fd() with poll() to integrate.
 */
int dstm_event_subscribe(struct dstm_sock *sk);
int dstm_event_read(struct dstm_sock *sk, dstm_event_cb cb, void *arg);

/*
 * Pipelined batches.  Requests are queued with a caller's tag (e.g. a line
 * number) and sent back to back, "window" of them (0: DSTM_BATCH_WINDOW)
 * in one system call; the answers are read as they come and matched to
 * their requests by sequence number (errors always come back; of the
 * successes only the last of a window is acked).  The first failure stops
 * the batch: that call, or a later one, returns its errno;
 * dstm_batch_error() then tells which request (tag) failed, and
 * dstm_errmsg() its extack message.  Requests queued after the failing one
 * in the same window may already have been applied.  dstm_batch_sync()
 * sends what is queued and waits for all of it.  A batch shares its socket
 * with synchronous requests: call dstm_batch_sync() before them.
 */
#define DSTM_BATCH_WINDOW	256

struct dstm_batch;

int dstm_batch_new(struct dstm_sock *sk, unsigned int window,
		   struct dstm_batch **bp);
int dstm_batch_map_new(struct dstm_batch *b, const char *ifname,
		       const struct dstm_map *map, bool replace,
		       unsigned long tag);
int dstm_batch_map_del(struct dstm_batch *b, const char *ifname,
		       struct in_addr ipv4, uint16_t psid, unsigned long tag);
int dstm_batch_sync(struct dstm_batch *b);
/* 0 if no request failed, else its errno (negative), with *tag set. */
int dstm_batch_error(const struct dstm_batch *b, unsigned long *tag);
void dstm_batch_free(struct dstm_batch *b);

/*
 * Port sets (RFC 7597 section 5.1), pure arithmetic.  a = PSID offset,
 * k = PSID length, psid < 2^k, a + k <= 16, a <= 15.  k = 0 is the whole
 * address.
 */
struct dstm_port_range {
	uint16_t lo;
	uint16_t hi;
};

bool dstm_portset_valid(unsigned int a, unsigned int k, unsigned int psid);
/* Number of ports in the set. */
uint32_t dstm_portset_ports(unsigned int a, unsigned int k);
/* Ranges in ascending order; fills up to max, returns the total number. */
size_t dstm_portset_ranges(unsigned int a, unsigned int k, unsigned int psid,
			   struct dstm_port_range *out, size_t max);
/* PSID of a port; false if the port belongs to no set (A bits zero). */
bool dstm_port_psid(unsigned int a, unsigned int k, uint16_t port,
		    unsigned int *psid);

#endif /* LIBDSTM_H */
