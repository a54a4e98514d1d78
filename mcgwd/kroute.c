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
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "parent.h"

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
	return kr_request(nlh);
}
