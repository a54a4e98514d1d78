/*
 * The parent's view of the kernel's interfaces and addresses.  Changes
 * go through rtnetlink with libmnl.
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcgw.h"
#include "parent.h"

static int	kr_rtnl_dump(uint16_t, uint8_t, size_t, mnl_cb_t, void *);

int
kr_iface_info(const char *ifname, unsigned int *ifindex, uint8_t *hwaddr)
{
	struct ifaddrs		*ifap, *ifa;
	struct sockaddr_ll	*sll;

	if ((*ifindex = if_nametoindex(ifname)) == 0)
		return -1;
	memset(hwaddr, 0, 6);
	if (getifaddrs(&ifap) == -1) {
		log_warn("getifaddrs");
		return 0;
	}
	for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL ||
		    ifa->ifa_addr->sa_family != AF_PACKET ||
		    strcmp(ifa->ifa_name, ifname) != 0)
			continue;
		sll = (struct sockaddr_ll *)(void *)ifa->ifa_addr;
		if (sll->sll_halen == 6)
			memcpy(hwaddr, sll->sll_addr, 6);
	}
	freeifaddrs(ifap);
	return 0;
}

int
kr_addr4_present(const char *ifname, struct in_addr addr)
{
	struct ifaddrs		*ifap, *ifa;
	struct sockaddr_in	*sin;
	int			 found = 0;

	if (getifaddrs(&ifap) == -1) {
		log_warn("getifaddrs");
		return -1;
	}
	for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL ||
		    ifa->ifa_addr->sa_family != AF_INET ||
		    strcmp(ifa->ifa_name, ifname) != 0)
			continue;
		sin = (struct sockaddr_in *)(void *)ifa->ifa_addr;
		if (sin->sin_addr.s_addr == addr.s_addr)
			found = 1;
	}
	freeifaddrs(ifap);
	return found;
}

/* Sends one request and waits for the kernel's acknowledgement. */
static int
kr_request(struct nlmsghdr *nlh)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket	*nl;
	unsigned int		 portid, seq;
	ssize_t			 n;
	int			 r = -1;

	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL) {
		log_warn("%s: mnl_socket_open", __func__);
		return -1;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		log_warn("%s: mnl_socket_bind", __func__);
		goto done;
	}
	portid = mnl_socket_get_portid(nl);
	seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1) {
		log_warn("%s: mnl_socket_sendto", __func__);
		goto done;
	}
	if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1) {
		log_warn("%s: mnl_socket_recvfrom", __func__);
		goto done;
	}
	if (mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) == -1) {
		log_warn("%s: rtnetlink", __func__);
		goto done;
	}
	r = 0;
 done:
	mnl_socket_close(nl);
	return r;
}

int
kr_addr4_add(unsigned int ifindex, struct in_addr addr, uint8_t prefixlen)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	struct ifaddrmsg *ifm;
	struct in_addr	 bcast;
	uint32_t	 mask;

	mask = prefixlen == 0 ? 0 : htonl(0xffffffffU << (32 - prefixlen));
	bcast.s_addr = addr.s_addr | ~mask;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL |
	    NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifa_family = AF_INET;
	ifm->ifa_prefixlen = prefixlen;
	ifm->ifa_scope = RT_SCOPE_UNIVERSE;
	ifm->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	if (prefixlen < 31)
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof(bcast), &bcast);
	/* The marker that lets a later start find what mcgwd added. */
	mnl_attr_put_u8(nlh, IFA_PROTO, MCGW_RTPROT);
	return kr_request(nlh);
}

int
kr_addr4_del(const struct kr_addr *ka)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	struct ifaddrmsg *ifm;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifa_family = AF_INET;
	ifm->ifa_prefixlen = ka->prefixlen;
	ifm->ifa_index = ka->ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(ka->addr), &ka->addr);
	return kr_request(nlh);
}

struct kr_addr_dump {
	struct kr_addr		*addrs;
	size_t			 n;
	size_t			 max;
};

static int
kr_addr_attr(const struct nlattr *attr, void *arg)
{
	const struct nlattr	**tb = arg;

	if (mnl_attr_type_valid(attr, IFA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* Keeps each IPv4 address that carries mcgwd's marker. */
static int
kr_addr_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr	*tb[IFA_MAX + 1] = { NULL };
	const struct ifaddrmsg	*ifm = mnl_nlmsg_get_payload(nlh);
	struct kr_addr_dump	*d = arg;
	struct kr_addr		*ka;

	if (ifm->ifa_family != AF_INET || d->n >= d->max)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifm), kr_addr_attr, tb);
	if (tb[IFA_PROTO] == NULL ||
	    mnl_attr_get_u8(tb[IFA_PROTO]) != MCGW_RTPROT ||
	    tb[IFA_LOCAL] == NULL ||
	    mnl_attr_get_payload_len(tb[IFA_LOCAL]) != 4)
		return MNL_CB_OK;
	ka = &d->addrs[d->n++];
	memset(ka, 0, sizeof(*ka));
	ka->ifindex = ifm->ifa_index;
	ka->prefixlen = ifm->ifa_prefixlen;
	memcpy(&ka->addr, mnl_attr_get_payload(tb[IFA_LOCAL]), 4);
	if (if_indextoname(ka->ifindex, ka->ifname) == NULL)
		ka->ifname[0] = '\0';
	return MNL_CB_OK;
}

size_t
kr_addrs_own(struct kr_addr *addrs, size_t max)
{
	struct kr_addr_dump	 d = { addrs, 0, max };

	kr_rtnl_dump(RTM_GETADDR, AF_INET, sizeof(struct ifaddrmsg),
	    kr_addr_dump_cb, &d);
	return d.n;
}

/*
 * Routes.  Every route mcgwd installs carries rtm_protocol MCGW_RTPROT,
 * so that a dump finds exactly mcgwd's own and nothing else is touched.
 */

static void
kr_route_msg(struct nlmsghdr *nlh, uint16_t type, uint16_t flags,
    const struct imsg_route *r, unsigned int ifindex)
{
	struct rtmsg	*rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->prefixlen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = MCGW_RTPROT;
	if (r->unreachable) {
		rtm->rtm_type = RTN_UNREACHABLE;
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	} else {
		rtm->rtm_type = RTN_UNICAST;
		rtm->rtm_scope = (r->family == AF_INET ?
		    r->gw4.s_addr == INADDR_ANY :
		    IN6_IS_ADDR_UNSPECIFIED(&r->gw6)) ? RT_SCOPE_LINK :
		    RT_SCOPE_UNIVERSE;
	}
	if (r->family == AF_INET) {
		mnl_attr_put(nlh, RTA_DST, sizeof(r->dst4), &r->dst4);
		if (r->gw4.s_addr != INADDR_ANY)
			mnl_attr_put(nlh, RTA_GATEWAY, sizeof(r->gw4),
			    &r->gw4);
	} else {
		mnl_attr_put(nlh, RTA_DST, sizeof(r->dst6), &r->dst6);
		if (!IN6_IS_ADDR_UNSPECIFIED(&r->gw6))
			mnl_attr_put(nlh, RTA_GATEWAY, sizeof(r->gw6),
			    &r->gw6);
	}
	if (!r->unreachable && ifindex != 0)
		mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	if (r->metric != 0)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
}

int
kr_route_add(const struct imsg_route *r, unsigned int ifindex)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;

	nlh = mnl_nlmsg_put_header(buf);
	kr_route_msg(nlh, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r,
	    ifindex);
	return kr_request(nlh);
}

int
kr_route_del(const struct imsg_route *r, unsigned int ifindex)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;

	nlh = mnl_nlmsg_put_header(buf);
	kr_route_msg(nlh, RTM_DELROUTE, 0, r, ifindex);
	return kr_request(nlh);
}

struct kr_dump {
	struct imsg_route	*routes;
	size_t			 n;
	size_t			 max;
};

static int
kr_dump_attr(const struct nlattr *attr, void *arg)
{
	const struct nlattr	**tb = arg;
	int			 type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, RTA_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* Keeps each route of the main table that carries mcgwd's protocol. */
static int
kr_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr	*tb[RTA_MAX + 1] = { NULL };
	const struct rtmsg	*rtm = mnl_nlmsg_get_payload(nlh);
	struct kr_dump		*d = arg;
	struct imsg_route	*r;
	size_t			 alen;

	if (rtm->rtm_protocol != MCGW_RTPROT ||
	    rtm->rtm_table != RT_TABLE_MAIN || d->n >= d->max)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), kr_dump_attr, tb);
	r = &d->routes[d->n];
	memset(r, 0, sizeof(*r));
	r->kind = ROUTE_KIND_ROUTE;
	r->family = rtm->rtm_family;
	r->prefixlen = rtm->rtm_dst_len;
	r->unreachable = rtm->rtm_type == RTN_UNREACHABLE;
	alen = rtm->rtm_family == AF_INET ? 4 : 16;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == alen)
		memcpy(r->family == AF_INET ? (void *)&r->dst4 :
		    (void *)&r->dst6, mnl_attr_get_payload(tb[RTA_DST]), alen);
	if (tb[RTA_GATEWAY] &&
	    mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == alen)
		memcpy(r->family == AF_INET ? (void *)&r->gw4 :
		    (void *)&r->gw6, mnl_attr_get_payload(tb[RTA_GATEWAY]),
		    alen);
	if (tb[RTA_PRIORITY])
		r->metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_OIF] && !r->unreachable)
		if_indextoname(mnl_attr_get_u32(tb[RTA_OIF]), r->ifname);
	d->n++;
	return MNL_CB_OK;
}

/*
 * Dumps one rtnetlink table (RTM_GETROUTE, RTM_GETADDR) of one family
 * through cb.  hdrlen is the size of the request's family header,
 * whose first byte is the family in both rtmsg and ifaddrmsg.
 */
static int
kr_rtnl_dump(uint16_t type, uint8_t family, size_t hdrlen, mnl_cb_t cb,
    void *arg)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket	*nl;
	struct nlmsghdr		*nlh;
	uint8_t			*hdr;
	unsigned int		 portid, seq;
	ssize_t			 n;
	int			 r = -1, ret;

	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL) {
		log_warn("%s: mnl_socket_open", __func__);
		return -1;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		log_warn("%s: mnl_socket_bind", __func__);
		goto done;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = (uint32_t)time(NULL);
	hdr = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	hdr[0] = family;
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1) {
		log_warn("%s: mnl_socket_sendto", __func__);
		goto done;
	}
	do {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1) {
			log_warn("%s: mnl_socket_recvfrom", __func__);
			goto done;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, arg);
	} while (ret > MNL_CB_STOP);
	if (ret == -1) {
		log_warn("%s: rtnetlink dump", __func__);
		goto done;
	}
	r = 0;
 done:
	mnl_socket_close(nl);
	return r;
}

static int
kr_dump_family(struct kr_dump *d, uint8_t family)
{
	return kr_rtnl_dump(RTM_GETROUTE, family, sizeof(struct rtmsg),
	    kr_dump_cb, d);
}

size_t
kr_routes_own(struct imsg_route *routes, size_t max)
{
	struct kr_dump	 d;

	d.routes = routes;
	d.n = 0;
	d.max = max;
	kr_dump_family(&d, AF_INET);
	kr_dump_family(&d, AF_INET6);
	return d.n;
}

/* Deletes every route of mcgwd's protocol: stale ones, or at a stop. */
void
kr_routes_flush(void)
{
	struct imsg_route	 routes[KR_MAX_ROUTES];
	size_t			 i, n;
	char			 a[INET6_ADDRSTRLEN];

	n = kr_routes_own(routes, KR_MAX_ROUTES);
	for (i = 0; i < n; i++) {
		inet_ntop(routes[i].family, routes[i].family == AF_INET ?
		    (void *)&routes[i].dst4 : (void *)&routes[i].dst6, a,
		    sizeof(a));
		if (kr_route_del(&routes[i], 0) == -1)
			log_warnx("cannot remove route %s/%u", a,
			    routes[i].prefixlen);
		else
			log_debug("removed route %s/%u", a,
			    routes[i].prefixlen);
	}
}

/* Routed and NAT mode both forward between the LAN and the uplink. */
int
kr_forwarding(void)
{
	const char	*paths[] = { "/proc/sys/net/ipv4/ip_forward",
			    "/proc/sys/net/ipv6/conf/all/forwarding" };
	size_t		 i;
	int		 fd, r = 0;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if ((fd = open(paths[i], O_WRONLY | O_CLOEXEC)) == -1 ||
		    write(fd, "1\n", 2) != 2) {
			log_warn("%s: %s", __func__, paths[i]);
			r = -1;
		}
		if (fd != -1)
			close(fd);
	}
	return r;
}
