/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libdstm internals shared by its files; not installed. */
#ifndef LIBDSTM_INTERNAL_H
#define LIBDSTM_INTERNAL_H

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "dstm.h"

#define DSTM_ERRMSG_MAX		256
/* Big enough for any skb the kernel puts in a dump (capped at 32 KiB). */
#define DSTM_RECV_BUF		65536
#define DSTM_RCVBUF		(4 << 20)

struct dstm_sock {
	struct nl_sock *nl;
	int family;
	int events_grp;
	unsigned int version;
	bool subscribed;

	/* The request being answered: for its sequence number and for
	 * turning an extack attribute offset back into a name. */
	struct nl_msg *req;
	uint32_t seq;
	bool done;
	bool intr;
	int err;			/* kernel's errno (negative) */
	char errmsg[DSTM_ERRMSG_MAX];

	/* Reply handler of the request being answered. */
	int (*reply)(struct dstm_sock *sk, struct nlmsghdr *nlh, void *arg);
	void *reply_arg;
	int reply_err;			/* first error of the handler */
};

/* A fresh request of the family: genl header, then DSTM_A_IFNAME if any. */
struct nl_msg *dstm_msg_new(struct dstm_sock *sk, uint8_t cmd, int flags,
			    const char *ifname);
/*
 * Send a request and process replies until its ack, its NLMSG_DONE or its
 * error; reply() is called for each reply message.  Consumes msg.
 */
int dstm_transact(struct dstm_sock *sk, struct nl_msg *msg,
		  int (*reply)(struct dstm_sock *, struct nlmsghdr *, void *),
		  void *arg);

/*
 * The records of a dump, parsed into a growing array before anybody sees
 * them, so that a dump flagged NLM_F_DUMP_INTR (it raced with a change)
 * can be redone from the start: a caller that had already printed half of
 * it could not undo that.
 */
struct dstm_dump {
	void *rec;		/* n records of elem bytes, room for size */
	size_t n, size, elem;
};

/* A zeroed slot at the end of d, or NULL when memory runs out. */
void *dstm_dump_slot(struct dstm_dump *d);
/*
 * Dump cmd (of ifname, if not NULL) into d with parse() as the reply
 * handler, retrying up to DSTM_DUMP_RETRIES times while the kernel flags
 * the dump inconsistent; what names the table in that error.  Returns 0
 * or a negative errno; d->rec is the caller's to free either way.
 */
int dstm_dump_run(struct dstm_sock *sk, uint8_t cmd, const char *ifname,
		  int (*parse)(struct dstm_sock *, struct nlmsghdr *, void *),
		  struct dstm_dump *d, const char *what);

/* Encoding and decoding of the DSTM_A_MAP nest. */
int dstm_put_map(struct nl_msg *msg, const struct dstm_map *map);
int dstm_parse_map(struct nlattr *nest, struct dstm_map *map);
/*
 * The DSTM_A_FASTPATH nest of a DEV_SET: dev->fastpath[0 .. count - 1], an
 * empty nest (which clears the set) when the count is 0.
 */
int dstm_put_fastpath(struct nl_msg *msg, const struct dstm_device *dev);
/* A DEV_GET reply (or dump record) into dev. */
int dstm_parse_dev(struct nlmsghdr *nlh, struct dstm_device *dev);
/* Parse a message of the family into tb[0..DSTM_A_MAX]. */
int dstm_parse_attrs(struct nlmsghdr *nlh, struct nlattr **tb);

/*
 * Extended ack: fill errmsg from an NLMSG_ERROR or NLMSG_DONE message,
 * naming the attribute the kernel pointed at when req (the request, may be
 * NULL) allows.  Returns the errno carried (negative) or 0.
 */
int dstm_extack(const struct nlmsghdr *nlh, const struct nlmsghdr *req,
		char *errmsg, size_t len);
void dstm_set_errmsg(struct dstm_sock *sk, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dstm_clear_err(struct dstm_sock *sk);
/* libnl error code to errno (negative). */
int dstm_nlerr(int nlerr);

#endif /* LIBDSTM_INTERNAL_H */
