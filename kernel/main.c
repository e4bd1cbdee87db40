// SPDX-License-Identifier: GPL-2.0
/*
 * dstm - Dual Stack Transition Mechanism (4over6) tunnel driver.
 *
 * Module init ladder only; each concern lives in its own file:
 * device.c (link type, configuration), table.c (mappings), xmit.c,
 * rcv.c, icmp.c, queue.c (on-demand addresses), fastpath.c (a TEP's
 * ingress short-cut) and netlink.c (the API).
 */

#include <linux/module.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>

#include "dstm.h"

/*
 * Order matters on the way out: devices go first, so no worker of theirs
 * can send an event after the family is gone; the receive hook goes before
 * the per-namespace state it walks.
 */
static int __init dstm_init(void)
{
	int err;

	err = dstm_pernet_init();
	if (err)
		goto err_pernet;
	err = dstm_rcv_init();
	if (err)
		goto err_rcv;
	err = dstm_genl_init();
	if (err)
		goto err_genl;
	err = dstm_fastpath_init();
	if (err)
		goto err_fastpath;
	err = dstm_link_init();
	if (err)
		goto err_link;

	pr_info("dstm: DSTM 4over6 tunnel driver, netlink API v%d\n",
		DSTM_GENL_VERSION);
	return 0;

err_link:
	dstm_fastpath_uninit();
err_fastpath:
	dstm_genl_uninit();
err_genl:
	dstm_rcv_uninit();
err_rcv:
	dstm_pernet_uninit();
err_pernet:
	return err;
}

static void __exit dstm_exit(void)
{
	dstm_link_uninit();
	dstm_fastpath_uninit();
	dstm_genl_uninit();
	dstm_rcv_uninit();
	dstm_pernet_uninit();
}

module_init(dstm_init);
module_exit(dstm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DSTM (Dual Stack Transition Mechanism) 4over6 tunnel");
MODULE_ALIAS_RTNL_LINK("dstm");
MODULE_ALIAS_GENL_FAMILY(DSTM_GENL_NAME);
MODULE_VERSION("0.1");
