/*
 * Functions of the parent process, grouped by file.
 */

#ifndef MCGWD_PARENT_H
#define MCGWD_PARENT_H

#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>

#include "mcgw.h"

/* sockets.c */
int	sock_dhcp4_packet(const char *, unsigned int);
int	sock_dhcp4_udp(const char *);
int	sock_auth_udp(const char *, uint16_t);
int	control_listen(const char *, mode_t, gid_t);

/* kroute.c */
/*
 * Fills the interface's index and Ethernet address; returns -1 if the
 * interface does not exist.
 */
int	kr_iface_info(const char *, unsigned int *, uint8_t *);
/* Returns 1 if the address is on the interface, 0 if not, -1 on error. */
int	kr_addr4_present(const char *, struct in_addr);
int	kr_addr4_add(unsigned int, struct in_addr, uint8_t);

/* An IPv4 address mcgwd added to a LAN interface (marked MCGW_RTPROT). */
struct kr_addr {
	char		 ifname[IF_NAMESIZE];
	unsigned int	 ifindex;
	struct in_addr	 addr;
	uint8_t		 prefixlen;
};
#define KR_MAX_ADDRS	64
int	kr_addr4_del(const struct kr_addr *);
/* Lists the addresses that carry mcgwd's marker, at most max. */
size_t	kr_addrs_own(struct kr_addr *, size_t);
#define KR_MAX_ROUTES	512
/* Adds or replaces, and removes, a route of protocol MCGW_RTPROT. */
int	kr_route_add(const struct imsg_route *, unsigned int);
int	kr_route_del(const struct imsg_route *, unsigned int);
/* Fills at most max routes of protocol MCGW_RTPROT; returns the count. */
size_t	kr_routes_own(struct imsg_route *, size_t);
void	kr_routes_flush(void);
int	kr_forwarding(void);

/* nft.c */
struct mcgwd_conf;
/* Rebuilds mcgwd's nftables tables for the mode, the UE IP and rules. */
int	nft_apply(const struct mcgwd_conf *, struct in_addr,
	    const struct imsg_nat *, size_t);
int	nft_remove(void);

/* uplink.c */
/* Called after each settled burst of changes; changed: the UE IP moved. */
typedef void	(*uplink_cb)(const struct imsg_uplink_addr *, int changed);
void	uplink_start(const char *, uplink_cb);
void	uplink_rename(const char *);
const struct imsg_uplink_addr *uplink_current(void);
/* Whether a link of this index went away since the last callback. */
int	uplink_link_removed(unsigned int);

/* kernel.c: what the parent installs, and the check of each request */
struct imsg;
/*
 * Called after each burst of link and address changes; changed is 1
 * when the uplink's addresses or index changed.
 */
typedef void	(*kernel_notify_cb)(const struct imsg_uplink_addr *, int);
void	kernel_start(struct mcgwd_conf *, kernel_notify_cb);
void	kernel_reconf(struct mcgwd_conf *);
void	kernel_stop(void);
/*
 * Checks and carries out an engine's IMSG_ROUTE_* or IMSG_NAT_*; fills
 * the answer.  Fatal on a malformed message.
 */
void	kernel_request(const char *, struct imsg *,
	    struct imsg_kernel_result *);
/* Fills at most max entries for "show routes"; returns the count. */
size_t	kernel_list(struct imsg_route *, size_t);

#endif /* MCGWD_PARENT_H */
