/*
 * The uplink watch: an rtnetlink socket subscribed to link, address and
 * route changes.  A burst of messages (a PDN/PDU session coming back
 * brings the link, its addresses and its routes at once) is folded into
 * one look at the uplink after UPLINK_SETTLE_MS, so that the engines
 * hear of a new UE IP once.
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <string.h>

#include "log.h"
#include "mcgw.h"
#include "parent.h"

#define UPLINK_SETTLE_MS	100
#define REMOVED_MAX		64

static struct mnl_socket	*mon;
static struct event		 ev_mon;
static struct event		 ev_settle;
static struct imsg_uplink_addr	 cur;
static uplink_cb		 callback;
/*
 * Links removed since the last look (RTM_DELLINK): one that is back by
 * then with the same index is still a new link, whose packet sockets
 * the kernel unbound.  Past REMOVED_MAX every link counts as removed.
 */
static unsigned int		 removed[REMOVED_MAX];
static size_t			 nremoved;
static int			 removed_many;

static void	uplink_read(int, short, void *);
static void	uplink_settled(int, short, void *);
static void	uplink_scan(struct imsg_uplink_addr *);

/*
 * The UE IP of each family: the interface's first IPv4 address and its
 * first IPv6 address outside fe80::/10, since a link-local address
 * never reaches the MC system.
 */
static void
uplink_scan(struct imsg_uplink_addr *u)
{
	struct ifaddrs		*ifap, *ifa;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	int			 have4 = 0, have6 = 0;

	u->ifindex = if_nametoindex(u->ifname);
	memset(&u->addr4, 0, sizeof(u->addr4));
	memset(&u->addr6, 0, sizeof(u->addr6));
	if (u->ifindex == 0)
		return;
	if (getifaddrs(&ifap) == -1) {
		log_warn("%s: getifaddrs", __func__);
		return;
	}
	for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL ||
		    strcmp(ifa->ifa_name, u->ifname) != 0)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET && !have4) {
			sin = (struct sockaddr_in *)(void *)ifa->ifa_addr;
			u->addr4 = sin->sin_addr;
			have4 = 1;
		} else if (ifa->ifa_addr->sa_family == AF_INET6 && !have6) {
			sin6 = (struct sockaddr_in6 *)(void *)ifa->ifa_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
				continue;
			/* XXX a tentative or deprecated address counts too */
			u->addr6 = sin6->sin6_addr;
			have6 = 1;
		}
	}
	freeifaddrs(ifap);
}

static void
uplink_log(const struct imsg_uplink_addr *old,
    const struct imsg_uplink_addr *new)
{
	char	 a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (old->addr4.s_addr != new->addr4.s_addr) {
		inet_ntop(AF_INET, &old->addr4, a, sizeof(a));
		inet_ntop(AF_INET, &new->addr4, b, sizeof(b));
		log_info("uplink %s: UE IPv4 address %s -> %s", new->ifname,
		    old->addr4.s_addr ? a : "none",
		    new->addr4.s_addr ? b : "none");
	}
	if (memcmp(&old->addr6, &new->addr6, sizeof(new->addr6)) != 0) {
		inet_ntop(AF_INET6, &old->addr6, a, sizeof(a));
		inet_ntop(AF_INET6, &new->addr6, b, sizeof(b));
		log_info("uplink %s: UE IPv6 address %s -> %s", new->ifname,
		    IN6_IS_ADDR_UNSPECIFIED(&old->addr6) ? "none" : a,
		    IN6_IS_ADDR_UNSPECIFIED(&new->addr6) ? "none" : b);
	}
}

static void
uplink_settled(int fd, short event, void *arg)
{
	struct imsg_uplink_addr	 new;
	int			 changed;

	(void)fd;
	(void)event;
	(void)arg;
	new = cur;
	uplink_scan(&new);
	changed = new.ifindex != cur.ifindex ||
	    new.addr4.s_addr != cur.addr4.s_addr ||
	    memcmp(&new.addr6, &cur.addr6, sizeof(new.addr6)) != 0;
	if (changed)
		uplink_log(&cur, &new);
	cur = new;
	callback(&cur, changed);
	nremoved = 0;
	removed_many = 0;
}

/* Notes the index of each link that an RTM_DELLINK message removes. */
static int
uplink_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg	*ifi;

	(void)arg;
	if (nlh->nlmsg_type != RTM_DELLINK ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (nremoved < REMOVED_MAX)
		removed[nremoved++] = (unsigned int)ifi->ifi_index;
	else
		removed_many = 1;
	return MNL_CB_OK;
}

int
uplink_link_removed(unsigned int ifindex)
{
	size_t	 i;

	if (removed_many)
		return 1;
	for (i = 0; i < nremoved; i++)
		if (removed[i] == ifindex)
			return 1;
	return 0;
}

/* Any message may concern the uplink or mcgwd's routes: look again. */
static void
uplink_read(int fd, short event, void *arg)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct timeval	 tv = { 0, UPLINK_SETTLE_MS * 1000 };
	ssize_t		 n;

	(void)fd;
	(void)event;
	(void)arg;
	while ((n = mnl_socket_recvfrom(mon, buf, sizeof(buf))) > 0)
		mnl_cb_run(buf, n, 0, 0, uplink_msg, NULL);
	/*
	 * ENOBUFS: messages were lost.  A fresh look makes good for the
	 * uplink, and a lost RTM_DELLINK may concern any LAN link.
	 */
	if (n == -1 && errno == ENOBUFS)
		removed_many = 1;
	else if (n == -1 && errno != EAGAIN)
		log_warn("%s: rtnetlink", __func__);
	if (!evtimer_pending(&ev_settle, NULL))
		evtimer_add(&ev_settle, &tv);
}

void
uplink_start(const char *ifname, uplink_cb cb)
{
	unsigned int	 groups;

	callback = cb;
	memset(&cur, 0, sizeof(cur));
	strlcpy(cur.ifname, ifname, sizeof(cur.ifname));
	groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
	    RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
	if ((mon = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == NULL)
		fatal("%s: mnl_socket_open", __func__);
	if (mnl_socket_bind(mon, groups, MNL_SOCKET_AUTOPID) == -1)
		fatal("%s: mnl_socket_bind", __func__);
	event_set(&ev_mon, mnl_socket_get_fd(mon), EV_READ | EV_PERSIST,
	    uplink_read, NULL);
	event_add(&ev_mon, NULL);
	evtimer_set(&ev_settle, uplink_settled, NULL);

	/* The first look stands for the initial dump. */
	uplink_scan(&cur);
	if (cur.ifindex == 0)
		log_warnx("uplink %s not found: waiting for it", ifname);
	else {
		struct imsg_uplink_addr	 none = cur;

		memset(&none.addr4, 0, sizeof(none.addr4));
		memset(&none.addr6, 0, sizeof(none.addr6));
		uplink_log(&none, &cur);
	}
	callback(&cur, 1);
}

/* A reload may name another uplink. */
void
uplink_rename(const char *ifname)
{
	if (strcmp(cur.ifname, ifname) == 0)
		return;
	/*
	 * The old UE IP stays in cur for the comparison, so that a new
	 * uplink without an address counts as a change and routed and the
	 * SNAT rules drop the old address.
	 */
	strlcpy(cur.ifname, ifname, sizeof(cur.ifname));
	cur.ifindex = 0;
	uplink_settled(-1, 0, NULL);
}

const struct imsg_uplink_addr *
uplink_current(void)
{
	return &cur;
}
