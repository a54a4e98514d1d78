/*
 * mcgwd-dhcpd: the DHCP engine.  It runs unprivileged in an empty
 * chroot, receives its packet sockets and configuration from the parent
 * and stores every lease change through routed-engine.
 */

#ifndef DHCPD_H
#define DHCPD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mcgw.h"

#define BOOTREQUEST		1
#define BOOTREPLY		2
#define DHCP4_SERVER_PORT	67
#define DHCP4_CLIENT_PORT	68
#define DHCP4_MAGIC		0x63825363U
#define DHCP4_FLAG_BROADCAST	0x8000

/* RFC 2131 2: op .. file is 236 octets, then the 4-octet magic cookie. */
#define DHCP4_FIXED_LEN		236
#define DHCP4_SNAME_OFF		44
#define DHCP4_SNAME_LEN		64
#define DHCP4_FILE_OFF		108
#define DHCP4_FILE_LEN		128
#define DHCP4_OPTIONS_OFF	240
#define DHCP4_MIN_LEN		(DHCP4_FIXED_LEN + 4)
/* RFC 1542 2.1: some relays drop BOOTP messages shorter than 300 octets. */
#define DHCP4_MIN_REPLY		300
/*
 * RFC 2131 2: a client must accept a 576-octet IP datagram, so the
 * options field (cookie included) is at least 312 octets.
 */
#define DHCP4_MIN_DATAGRAM	576
#define IPV4_UDP_HDRLEN		28
/* Replies never exceed an Ethernet MTU, whatever option 57 allows. */
#define DHCP4_MAX_DATAGRAM	1500
#define DHCP4_MAX_REPLY		(DHCP4_MAX_DATAGRAM - IPV4_UDP_HDRLEN)
/* Largest DHCP payload accepted from the network (jumbo frames). */
#define DHCP4_MAX_PKT		9000

/* Message types, option 53 (RFC 2132 9.6). */
#define DHCPDISCOVER		1
#define DHCPOFFER		2
#define DHCPREQUEST		3
#define DHCPDECLINE		4
#define DHCPACK			5
#define DHCPNAK			6
#define DHCPRELEASE		7
#define DHCPINFORM		8

/* Option codes (RFC 2132 unless stated). */
#define DHO_PAD			0
#define DHO_SUBNET_MASK		1
#define DHO_ROUTERS		3
#define DHO_DNS			6
#define DHO_HOST_NAME		12
#define DHO_DOMAIN_NAME		15
#define DHO_MTU			26
#define DHO_REQUESTED_ADDR	50
#define DHO_LEASE_TIME		51
#define DHO_OVERLOAD		52
#define DHO_MESSAGE_TYPE	53
#define DHO_SERVER_ID		54
#define DHO_PRL			55
#define DHO_MESSAGE		56
#define DHO_MAX_MSG_SIZE	57
#define DHO_T1			58
#define DHO_T2			59
#define DHO_CLIENT_ID		61
#define DHO_RAPID_COMMIT	80	/* RFC 4039 */
#define DHO_RELAY_AGENT_INFO	82	/* RFC 3046 */
#define DHO_END			255

/* Option 52 values: which fixed fields carry options. */
#define DHCP4_OVERLOAD_FILE	1
#define DHCP4_OVERLOAD_SNAME	2
#define DHCP4_OVERLOAD_BOTH	3

/* The BOOTP fixed fields, in host byte order except the addresses. */
struct dhcp4_hdr {
	uint8_t		 op;
	uint8_t		 htype;
	uint8_t		 hlen;
	uint8_t		 hops;
	uint32_t	 xid;
	uint16_t	 secs;
	uint16_t	 flags;
	struct in_addr	 ciaddr;
	struct in_addr	 yiaddr;
	struct in_addr	 siaddr;
	struct in_addr	 giaddr;
	uint8_t		 chaddr[MCGW_MAX_HWLEN];
};

/*
 * A parsed request.  The data of all instances of one option code,
 * concatenated in the order of RFC 3396 (options field, then file, then
 * sname), sits at optbuf + optoff[code] for optlen[code] octets.
 */
struct dhcp4_packet {
	struct dhcp4_hdr hdr;
	uint8_t		 msgtype;
	uint8_t		 overload;
	uint8_t		 missing_end;	/* some field had no END option */
	uint8_t		 present[32];	/* bitmap by option code */
	uint16_t	 optoff[256];
	uint16_t	 optlen[256];
	uint8_t		 optbuf[DHCP4_MAX_PKT];
};

/* Reply options before layout; see dhcp4_build(). */
#define DHCP4_MAX_OPTS		64
#define DHCP4_OPTDATA_MAX	2048
enum dhcp4_prio {
	DHCP4_PRIO_LOW,		/* may be dropped when the reply is full */
	DHCP4_PRIO_HIGH		/* never dropped */
};

struct dhcp4_optent {
	uint8_t		 code;
	uint8_t		 prio;
	uint16_t	 len;
	uint16_t	 off;
};

struct dhcp4_optlist {
	struct dhcp4_optent ent[DHCP4_MAX_OPTS];
	int		 n;
	size_t		 used;
	uint8_t		 data[DHCP4_OPTDATA_MAX];
};

/* dhcp4_opt.c */
/* Parses buf; returns 0, or -1 with *errstr set. */
int		 dhcp4_parse(const uint8_t *, size_t, struct dhcp4_packet *,
		    const char **);
/* Returns the option's concatenated data or NULL; *len may be 0. */
const uint8_t	*dhcp4_opt_get(const struct dhcp4_packet *, uint8_t,
		    size_t *);
int		 dhcp4_opt_present(const struct dhcp4_packet *, uint8_t);
void		 dhcp4_optlist_init(struct dhcp4_optlist *);
/* Appends an option; returns -1 when the list is full. */
int		 dhcp4_optlist_add(struct dhcp4_optlist *, uint8_t,
		    const void *, size_t, enum dhcp4_prio);
int		 dhcp4_optlist_has(const struct dhcp4_optlist *, uint8_t);
/* Largest reply the client accepts (option 57), UDP payload octets. */
size_t		 dhcp4_max_reply(const struct dhcp4_packet *);
/*
 * Lays out a BOOTREPLY: hdr's fixed fields, then the options with 53
 * first and 82 last in the options field.  Returns the message length,
 * or -1 when even the high-priority options do not fit in maxlen.
 */
ssize_t		 dhcp4_build(const struct dhcp4_hdr *,
		    const struct dhcp4_optlist *, size_t, int, uint8_t *,
		    size_t);

/* pool.c */
struct pool;

/*
 * One address's entry, 112 bytes on x86-64, allocated in slabs.  A
 * client without a client identifier is keyed by htype and chaddr,
 * which are the bytes of hwkey.  So is a client whose identifier is
 * those same bytes (RFC 2132 9.14 suggests that form).  Only another
 * option 61 key takes memory of its own.
 */
struct lease {
	struct lease		*addr_next;	/* address hash chain */
	struct lease		*client_next;	/* client key hash chain */
	TAILQ_ENTRY(lease)	 free_entry;	/* the pool's LRU free list */
	struct pool		*free_pool;	/* non-NULL: on that list */
	uint8_t			*cidbuf;	/* option 61 key unlike hwkey */
	char			*hostname;
	int64_t			 start;
	int64_t			 end;
	int64_t			 log_window;	/* start of its log budget */
	uint32_t		 heap_idx;	/* 0: not in the timer heap */
	struct in_addr		 addr;
	uint8_t			 state;		/* enum lease_state */
	uint8_t			 keylen;	/* 0: no client */
	uint8_t			 hlen;
	uint8_t			 hashed;	/* in the client hash */
	uint8_t			 held;		/* a binding keeps it */
	uint8_t			 log_lines;	/* records in log_window */
	uint8_t			 cid;		/* the key is option 61 */
	uint8_t			 hwkey[1 + MCGW_MAX_HWLEN]; /* htype, chaddr */
};

/* A client's identity as the lease table keys it. */
struct lease_client {
	const uint8_t		*key;
	size_t			 keylen;
	int			 cid;
	uint8_t			 htype;
	uint8_t			 hlen;
	const uint8_t		*chaddr;
};

struct lease_db;

typedef void	(*lease_expire_cb)(struct lease *, uint8_t, void *);

struct lease_db	*lease_db_new(void);
void		 lease_db_free(struct lease_db *);
size_t		 lease_db_count(const struct lease_db *);
struct lease	*lease_find(const struct lease_db *, struct in_addr);
/* The client's lease whose address lies in network/prefixlen. */
struct lease	*lease_find_client(const struct lease_db *,
		    const struct lease_client *, struct in_addr, uint8_t);
int		 lease_key_equal(const struct lease *,
		    const struct lease_client *);
struct lease	*lease_get(struct lease_db *, struct in_addr);
void		 lease_set_client(struct lease_db *, struct lease *,
		    const struct lease_client *);
void		 lease_clear_client(struct lease_db *, struct lease *);
void		 lease_set_hostname(struct lease *, const char *);
/* Moves the lease to state until end (unused for LEASE_FREE). */
void		 lease_set_state(struct lease_db *, struct lease *, uint8_t,
		    int64_t);
/* Applies one record from the journal. */
void		 lease_restore(struct lease_db *, const struct imsg_lease4 *);
void		 lease_to_imsg(const struct lease *, const char *,
		    struct imsg_lease4 *);
/*
 * Runs the state machine for every lease whose end has passed: OFFERED
 * becomes FREE, ACTIVE becomes EXPIRED for hold_down seconds, a held
 * lease becomes FREE.  Calls cb with the old state after each change.
 */
void		 lease_db_expire(struct lease_db *, int64_t, uint32_t,
		    lease_expire_cb, void *);
/* Seconds until the next lease ends, or -1. */
int64_t		 lease_db_next_end(const struct lease_db *);

struct pool	*pool_new(struct lease_db *, struct in_addr, uint8_t);
int		 pool_add_range(struct pool *, struct in_addr,
		    struct in_addr);
/* Keeps addr out of dynamic allocation (fixed host, our address). */
void		 pool_add_reserved(struct pool *, struct in_addr);
/* Puts the pool in service and collects its free leases. */
void		 pool_activate(struct pool *);
void		 pool_free(struct pool *);
int		 pool_in_range(const struct pool *, struct in_addr);
int		 pool_is_reserved(const struct pool *, struct in_addr);
/*
 * Whether addr may go to client now: 1 when it is in a range and free,
 * or held by or last used by this client; 0 otherwise.
 */
int		 pool_addr_ok(struct pool *, struct in_addr,
		    const struct lease_client *, int64_t);
/*
 * Picks an address for client: its current or previous lease, then
 * the requested address (INADDR_ANY for none) if pool_addr_ok(), then
 * a never-used address, then the free address unused the longest.
 * Returns the lease (possibly still LEASE_FREE) or NULL.
 */
struct lease	*pool_select(struct pool *, const struct lease_client *,
		    struct in_addr, int64_t);

/* dhcp4.c and dhcpd.c: the running configuration. */
struct host {
	struct imsg_host	 h;
};

struct subnet {
	TAILQ_ENTRY(subnet)	 entry;
	struct imsg_subnet	 s;
	struct iface		*iface;
	struct imsg_range	*ranges;
	size_t			 nranges;
	struct imsg_option	*options;
	size_t			 noptions;
	struct host		*hosts;
	size_t			 nhosts;
	struct pool		*pool;
};

struct iface {
	TAILQ_ENTRY(iface)	 entry;
	struct imsg_iface	 i;
	TAILQ_HEAD(, subnet)	 subnets;
};

struct dhcpd_conf {
	struct imsg_conf	 c;
	TAILQ_HEAD(, iface)	 ifaces;
};

/* The destination of a reply (RFC 2131 4.1). */
enum dhcp4_dest {
	DEST_RELAY,		/* UDP to giaddr:67 */
	DEST_CIADDR,		/* UDP to ciaddr:68 */
	DEST_BROADCAST,		/* packet socket, 255.255.255.255 */
	DEST_HWADDR		/* packet socket, chaddr and yiaddr */
};

struct dhcp4_out {
	TAILQ_ENTRY(dhcp4_out)	 entry;
	uint32_t		 token;
	struct in_addr		 lease_addr;	/* INADDR_ANY: no lease */
	int64_t			 lease_prev_end; /* the lease it renews */
	char			 ifname[IF_NAMESIZE];
	struct in_addr		 src;
	struct in_addr		 dst;
	uint8_t			 dest;		/* enum dhcp4_dest */
	uint8_t			 hwaddr[6];
	size_t			 len;
	uint8_t			 buf[DHCP4_MAX_REPLY];
};

/* dhcp4.c */
void		 dhcp4_init(struct lease_db *);
void		 dhcp4_set_conf(struct dhcpd_conf *);
void		 dhcp4_receive(struct iface *, const uint8_t *, size_t,
		    struct in_addr, struct in_addr);
void		 dhcp4_expire(int64_t);
void		 dhcp4_release(struct in_addr);
void		 dhcp4_store_failed(struct in_addr, int64_t);
void		 dhcp4_restore(const struct imsg_lease4 *);
void		 dhcp4_hold(struct in_addr, int);
/* Builds the pools of every subnet in conf. */
void		 dhcp4_conf_pools(struct dhcpd_conf *);
void		 dhcp4_conf_free(struct dhcpd_conf *);

/* dhcpd.c */
int64_t		 dhcpd_now(void);
/*
 * Sends the lease to routed for storage.  A non-NULL out is sent to the
 * client once routed confirms; dhcpd.c owns it from then on.
 */
void		 dhcpd_store(const struct lease *, const char *,
		    struct dhcp4_out *);
struct dhcp4_out *dhcpd_out_get(void);
void		 dhcpd_out_put(struct dhcp4_out *);
void		 dhcpd_send(struct dhcp4_out *);
void		 dhcpd_relay_route(const char *, struct in_addr, uint8_t,
		    struct in_addr);

#endif /* DHCPD_H */
