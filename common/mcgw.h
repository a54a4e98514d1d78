/*
 * Definitions shared by the mcgwd processes and mcgwctl: paths, the imsg
 * catalogue and the fixed structures that travel in those messages.
 *
 * Every payload below is a fixed structure.  A receiver checks its size
 * exactly with imsg_get_data() and checks every char array for its NUL
 * with MCGW_STR_OK() before use.  A malformed message from a sibling
 * process is fatal; one from a control client closes that connection.
 */

#ifndef MCGW_H
#define MCGW_H

#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#define MCGW_VERSION		"0.1"

#ifndef PREFIX
#define PREFIX			"/usr"
#endif
#define MCGW_CONF_FILE		"/etc/mcgwd.conf"
#define MCGW_SOCKET		"/run/mcgwd.sock"
/* The read-only socket is the control socket path with ".ro" inserted. */
#define MCGW_SOCKET_RO		"/run/mcgwd.ro.sock"
#define MCGW_STATE_DIR		"/var/lib/mcgwd"
#define MCGW_USER		"_mcgwd"
#define MCGW_LIBEXEC		PREFIX "/libexec/mcgwd"
#define MCGW_DHCPD_PROG		"mcgwd-dhcpd"
#define MCGW_ROUTED_PROG	"mcgwd-routed"
/* Empty, root-owned directory under the state directory: dhcpd's root. */
#define MCGW_EMPTY_DIR		"empty"
#define MCGW_JOURNAL		"leases.journal"

/* Descriptors an engine finds at exec. */
#define MCGW_FD_PARENT		3	/* socketpair to the parent */
#define MCGW_FD_SIBLING		4	/* socketpair to the other engine */

#define MCGW_STR_OK(a)		(memchr((a), '\0', sizeof(a)) != NULL)

#define MCGW_MAX_OPTLEN		255	/* one DHCPv4 option's data */
#define MCGW_MAX_CIDLEN		255	/* DHCPv4 client identifier (61) */
#define MCGW_MAX_HWLEN		16	/* chaddr */
#define MCGW_HOSTNAME_LEN	64

enum mcgw_mode {
	MODE_ROUTED = 1,
	MODE_NAT = 2
};

enum lease_state {
	LEASE_FREE = 0,		/* in memory only: no binding */
	LEASE_OFFERED = 1,	/* in memory only: held for a DHCPREQUEST */
	LEASE_ACTIVE = 2,	/* acknowledged, stored */
	LEASE_RELEASED = 3,	/* client released it: hold-down until end */
	LEASE_EXPIRED = 4,	/* lease time ran out: hold-down until end */
	LEASE_DECLINED = 5,	/* client saw a conflict: hold-down until end */
	LEASE_ABANDONED = 6	/* operator released it: hold-down until end */
};

/*
 * The imsg catalogue.  Grouped by the pair of processes; the comment
 * names the sender, the receiver and the payload.
 */
enum imsg_type {
	IMSG_NONE,

	/* parent -> engines: configuration, sent whole at start and reload */
	IMSG_RECONF_CONF,	/* struct imsg_conf */
	IMSG_RECONF_IFACE,	/* struct imsg_iface */
	IMSG_RECONF_SUBNET,	/* struct imsg_subnet, for the last IFACE */
	IMSG_RECONF_RANGE,	/* struct imsg_range, for the last SUBNET */
	IMSG_RECONF_OPTION,	/* struct imsg_option, for the last SUBNET */
	IMSG_RECONF_HOST,	/* struct imsg_host, for the last SUBNET */
	IMSG_RECONF_END,	/* no payload: the new configuration is whole */

	/* parent -> dhcpd */
	IMSG_DHCP4_SOCKETS,	/* struct imsg_socket, fd: AF_PACKET socket */
	IMSG_DHCP4_UDP,		/* struct imsg_socket, fd: UDP port 67 */
	IMSG_DHCP4_CLOSE,	/* struct imsg_socket: stop serving ifname */

	/* parent -> routed */
	IMSG_CONTROL_FD,	/* struct imsg_socket, fd: listening socket */
	IMSG_PROCINFO,		/* struct imsg_procinfo */

	/* routed -> parent */
	IMSG_CTL_RELOAD,	/* peerid: control session; no payload */
	IMSG_CTL_LOG_VERBOSE,	/* int verbosity; also parent -> dhcpd */

	/* parent -> routed */
	IMSG_CTL_RELOAD_DONE,	/* peerid: session; struct imsg_result */

	/* routed -> dhcpd: the stored leases, before dhcpd answers anyone */
	IMSG_LEASE_RESTORE,	/* struct imsg_lease4 */
	IMSG_LEASE_RESTORE_END,	/* no payload */
	IMSG_LEASE_RELEASE,	/* struct in_addr: operator ends a lease */

	/* dhcpd -> routed */
	IMSG_DHCPD_READY,	/* no payload: dhcpd serves clients */
	/*
	 * A lease changed.  peerid is a token chosen by dhcpd; routed answers
	 * with IMSG_LEASE_STORED and the same peerid once the record is on
	 * disk (after fdatasync), or IMSG_LEASE_STORE_FAILED.  dhcpd sends a
	 * DHCPACK only after IMSG_LEASE_STORED.
	 */
	IMSG_LEASE_STORE,	/* struct imsg_lease4 */

	/* routed -> dhcpd */
	IMSG_LEASE_STORED,	/* peerid: token; no payload */
	IMSG_LEASE_STORE_FAILED, /* peerid: token; no payload */

	/* mcgwctl <-> routed: requests; peerid unused, pid is the client's */
	IMSG_CTL_SHOW_STATUS,	/* no payload */
	IMSG_CTL_SHOW_LEASES,	/* struct imsg_ctl_addr (family 0: all) */
	IMSG_CTL_RELEASE,	/* struct imsg_ctl_addr */
	/* IMSG_CTL_RELOAD and IMSG_CTL_LOG_VERBOSE above serve here too */

	/* routed -> mcgwctl: answers */
	IMSG_CTL_STATUS,	/* struct imsg_ctl_status */
	IMSG_CTL_PROC,		/* struct imsg_ctl_proc, one per process */
	IMSG_CTL_LEASE,		/* struct imsg_lease4 */
	IMSG_CTL_RESULT,	/* struct imsg_result: the request's outcome */
	IMSG_CTL_END,		/* no payload: the answer is complete */

	/*
	 * Connection authorisation and bindings.  IMSG_RECONF_AUTH,
	 * IMSG_RECONF_AUTH_KEY and IMSG_AUTH_SOCKET travel inside the
	 * configuration sequence, before IMSG_RECONF_END.  The parent
	 * sends IMSG_AUTH_SOCKET for every listening interface at each
	 * configuration: with a descriptor for a new socket, without one
	 * for a socket routed already has.  At IMSG_RECONF_END routed
	 * closes the sockets the sequence did not name.
	 */
	IMSG_RECONF_AUTH,	/* parent -> routed: struct imsg_auth_conf */
	IMSG_RECONF_AUTH_KEY,	/* parent -> routed: struct imsg_auth_key */
	IMSG_AUTH_SOCKET,	/* parent -> routed: struct imsg_socket, fd */
	IMSG_BINDING_HOLD,	/* routed -> dhcpd: struct imsg_binding_hold */
	IMSG_CTL_SHOW_BINDINGS,	/* mcgwctl -> routed: imsg_ctl_show_bindings */
	IMSG_CTL_BINDING,	/* routed -> mcgwctl: struct imsg_binding */
	IMSG_CTL_SHOW_HISTORY,	/* mcgwctl -> routed: imsg_ctl_show_history */
	IMSG_CTL_HISTORY,	/* routed -> mcgwctl: imsg_binding_history */
	/* mcgwctl -> routed (read-write socket): imsg_ctl_show_bindings */
	IMSG_CTL_CLEAR_BINDING,

	/* Uplink, framed routing and NAT (the parent checks every change). */
	IMSG_RECONF_FRAMED,	/* parent -> engines: one framed route */
	IMSG_UPLINK_ADDR,	/* parent -> engines: the UE IP changed */
	IMSG_NAT_ADD,		/* routed -> parent: SNAT rule for a binding */
	IMSG_NAT_DEL,		/* routed -> parent */
	IMSG_ROUTE_ADD,		/* engine -> parent: route for a prefix */
	IMSG_ROUTE_DEL,		/* engine -> parent */
	IMSG_KERNEL_RESULT,	/* parent -> engine: outcome of a change */
	IMSG_CTL_SHOW_ROUTES,	/* mcgwctl -> routed -> parent */
	IMSG_CTL_ROUTE,		/* parent -> routed -> mcgwctl */
	IMSG_CTL_SHOW_FRAMED,	/* mcgwctl -> routed */
	IMSG_CTL_FRAMED,	/* routed -> mcgwctl: one RADIUS attribute */

	IMSG_MAX
};

/*
 * Routing protocol number (rtm_protocol) of every route mcgwd installs,
 * from the range iproute2 leaves to local use; "ip route show proto 200"
 * lists them.  The nftables tables "inet mcgwd" and "ip mcgwd_nat" are
 * mcgwd's own in the same way.
 */
#define MCGW_RTPROT		200
#define MCGW_NFT_TABLE		"mcgwd"
#define MCGW_NFT_NAT_TABLE	"mcgwd_nat"

/* IMSG_RECONF_FRAMED and IMSG_CTL_FRAMED: one framed range. */
struct imsg_framed {
	uint8_t		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 prefixlen;
	uint8_t		 pad[2];
	struct in_addr	 addr4;
	struct in6_addr	 addr6;
};

/*
 * IMSG_UPLINK_ADDR: the uplink's addresses (the UE IP).  An unspecified
 * address (all zero) means that the uplink has none of that family.
 */
struct imsg_uplink_addr {
	char		 ifname[IF_NAMESIZE];
	uint32_t	 ifindex;	/* 0: the interface does not exist */
	struct in_addr	 addr4;
	struct in6_addr	 addr6;
};

/*
 * IMSG_ROUTE_ADD, IMSG_ROUTE_DEL and, for mcgwctl, IMSG_CTL_ROUTE.  In a
 * NAT entry dst4 is the local address and gw4 the UE IP; in a filter
 * entry dst is the framed range whose sources may leave.
 */
#define ROUTE_KIND_ROUTE	1	/* a route (rtm_protocol MCGW_RTPROT) */
#define ROUTE_KIND_NAT		2	/* an SNAT rule of a binding */
#define ROUTE_KIND_FILTER	3	/* a framed range the filter lets out */
#define ROUTE_KIND_MASQ		4	/* the fallback masquerade rule */
struct imsg_route {
	uint8_t		 kind;		/* ROUTE_KIND_* */
	uint8_t		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 prefixlen;
	uint8_t		 unreachable;	/* 1: RTN_UNREACHABLE, no next hop */
	char		 ifname[IF_NAMESIZE];
	struct in_addr	 dst4;
	struct in_addr	 gw4;		/* 0: directly connected */
	struct in6_addr	 dst6;
	struct in6_addr	 gw6;
	uint32_t	 metric;
	uint16_t	 port_first;	/* ROUTE_KIND_NAT, ROUTE_KIND_MASQ */
	uint16_t	 port_last;
};

/*
 * IMSG_NAT_ADD, IMSG_NAT_DEL: the SNAT rule of one binding, "ip saddr
 * local oif uplink snat to UE-IP:port_first-port_last".  The parent
 * fills in the UE IP itself and follows its changes.
 */
struct imsg_nat {
	struct in_addr	 local4;
	uint16_t	 port_first;
	uint16_t	 port_last;
};

/* IMSG_KERNEL_RESULT: peerid echoes the request's. */
struct imsg_kernel_result {
	uint32_t	 type;		/* the request's imsg type */
	int32_t		 code;		/* 0: done, else refused or failed */
	char		 message[128];
};

#define MCGW_SERVICE_ID_LEN	256	/* 255 bytes of UTF-8 and the NUL */

/*
 * The authorisation settings (mcgwd-auth(7)).  Without an
 * authorisation block the parent sends none and nothing listens.
 */
struct imsg_auth_conf {
	uint16_t	 port;
	uint16_t	 pad;
	uint32_t	 skew;		/* seconds */
	uint32_t	 lifetime;	/* seconds a binding lasts */
	uint32_t	 rate;		/* requests per second per source */
	uint32_t	 burst;
	uint32_t	 pad2;
	int64_t		 retention;	/* seconds the history keeps */
};

struct imsg_auth_key {
	char		 service_id[MCGW_SERVICE_ID_LEN];
	uint8_t		 key[32];	/* Ed25519 public key */
};

/*
 * One binding of a GW MC service ID, for mcgwctl.  The layout has no
 * implicit padding.  end_reason is 0 (live) for a binding in the table.
 */
struct imsg_binding {
	char		 service_id[MCGW_SERVICE_ID_LEN];
	char		 ifname[IF_NAMESIZE];
	uint8_t		 mode;
	uint8_t		 hlen;
	uint8_t		 cidlen;
	uint8_t		 end_reason;
	uint8_t		 hwaddr[MCGW_MAX_HWLEN];
	uint8_t		 cid[MCGW_MAX_CIDLEN];
	uint8_t		 pad;
	struct in_addr	 local4;
	struct in_addr	 ue4;
	struct in6_addr	 local6;
	struct in6_addr	 ue6;
	uint16_t	 port_first;
	uint16_t	 port_last;
	int64_t		 authorised;
	int64_t		 refreshed;
	int64_t		 expires;
};

/* A start or end of a binding; end 0 while it is live. */
struct imsg_binding_history {
	char		 service_id[MCGW_SERVICE_ID_LEN];
	struct in_addr	 local4;
	struct in_addr	 ue4;
	struct in6_addr	 local6;
	struct in6_addr	 ue6;
	uint16_t	 port_first;
	uint16_t	 port_last;
	uint8_t		 end_reason;
	uint8_t		 pad[3];
	int64_t		 start;
	int64_t		 end;
};

/* routed tells dhcpd to keep (hold 1) or free (hold 0) an address. */
struct imsg_binding_hold {
	struct in_addr	 addr;
	uint8_t		 hold;
	uint8_t		 pad[3];
};

/* show bindings (empty service_id: all) and clear binding. */
struct imsg_ctl_show_bindings {
	char		 service_id[MCGW_SERVICE_ID_LEN];
};

/* show history: who held an address (and port) at a time. */
struct imsg_ctl_show_history {
	uint8_t		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 has_port;
	uint8_t		 has_time;	/* 0: now */
	uint8_t		 pad;
	uint16_t	 port;
	uint16_t	 pad2;
	struct in_addr	 addr4;
	struct in6_addr	 addr6;
	int64_t		 time;
};

struct imsg_conf {
	char		 state_dir[1024];
	char		 uplink[IF_NAMESIZE];
	uint8_t		 mode;		/* enum mcgw_mode */
	uint8_t		 pad[3];
	uint32_t	 hold_down;	/* seconds a freed address waits */
	uint32_t	 decline_hold;	/* seconds a declined address waits */
	uint32_t	 offer_hold;	/* seconds an offer is reserved */
	uint16_t	 nat_port_first; /* NAT mode: ports of the blocks */
	uint16_t	 nat_port_last;
	uint16_t	 nat_block_size; /* ports per binding */
	uint16_t	 pad2;
};

struct imsg_iface {
	char		 name[IF_NAMESIZE];
	uint32_t	 ifindex;
	struct in_addr	 addr;		/* the gateway's LAN address */
	uint8_t		 prefixlen;
	uint8_t		 hwaddr[6];	/* filled in by the parent */
	uint8_t		 pad;
};

struct imsg_subnet {
	struct in_addr	 network;
	uint8_t		 prefixlen;
	uint8_t		 relayed;	/* 0: the interface's own subnet */
	uint8_t		 rapid_commit;	/* RFC 4039 allowed */
	uint8_t		 pad;
	uint32_t	 lease_time;	/* default, seconds */
	uint32_t	 max_lease_time; /* cap on the client's option 51 */
	uint32_t	 min_lease_time;
};

struct imsg_range {
	struct in_addr	 start;
	struct in_addr	 end;		/* inclusive */
};

/*
 * An option in DHCPv4 wire form (no code, no length byte), as the
 * server will send it.  The parser encodes typed values; the engine
 * adds 1, 3 (unless configured), 51, 54, 58 and 59 itself.
 */
struct imsg_option {
	uint8_t		 code;
	uint8_t		 len;
	uint8_t		 data[MCGW_MAX_OPTLEN];
	uint8_t		 pad;
};

struct imsg_host {
	char		 name[MCGW_HOSTNAME_LEN];
	uint8_t		 htype;		/* 1: Ethernet; 0: none */
	uint8_t		 hlen;
	uint8_t		 hwaddr[MCGW_MAX_HWLEN];
	uint8_t		 cidlen;	/* 0: match by hardware address */
	uint8_t		 pad;
	uint8_t		 cid[MCGW_MAX_CIDLEN];
	uint8_t		 pad2;
	struct in_addr	 fixed_addr;
};

struct imsg_socket {
	char		 ifname[IF_NAMESIZE];
	uint32_t	 ifindex;
	uint8_t		 readonly;	/* IMSG_CONTROL_FD: read-only socket */
	uint8_t		 pad[3];
};

struct imsg_procinfo {
	int64_t		 started;	/* time_t of the parent's start */
	int32_t		 parent_pid;
	int32_t		 dhcpd_pid;
	int32_t		 routed_pid;
	uint32_t	 pad;
};

/*
 * One DHCPv4 lease: what the journal stores, what dhcpd restores and
 * what mcgwctl shows.  Times are wall-clock seconds since the epoch.
 * The key is the client identifier when cidlen > 0, else htype and
 * chaddr.
 */
struct imsg_lease4 {
	struct in_addr	 addr;
	char		 ifname[IF_NAMESIZE];
	uint8_t		 state;		/* enum lease_state */
	uint8_t		 htype;
	uint8_t		 hlen;
	uint8_t		 cidlen;
	uint8_t		 chaddr[MCGW_MAX_HWLEN];
	uint8_t		 cid[MCGW_MAX_CIDLEN];
	uint8_t		 pad;
	char		 hostname[MCGW_HOSTNAME_LEN]; /* printable, from 12 */
	int64_t		 start;
	int64_t		 end;		/* lease end, or end of hold-down */
};

struct imsg_ctl_addr {
	uint8_t		 family;	/* 0: none, AF_INET, AF_INET6 */
	uint8_t		 pad[3];
	struct in_addr	 addr4;
	struct in6_addr	 addr6;
};

struct imsg_result {
	int32_t		 code;		/* 0: success */
	char		 message[256];
};

struct imsg_ctl_status {
	char		 version[16];
	uint8_t		 mode;
	uint8_t		 verbose;
	uint8_t		 dhcpd_ready;
	uint8_t		 pad;
	int64_t		 started;
	int64_t		 now;
	char		 uplink[IF_NAMESIZE];
	uint32_t	 leases_active;
	uint32_t	 leases_total;
	uint64_t	 journal_records;
	uint64_t	 journal_syncs;
	uint64_t	 journal_bytes;
	char		 state_dir[1024];
	char		 public_key[64]; /* base64; empty before it exists */
	uint32_t	 bindings;
	struct in_addr	 ue4;		/* the UE IP, 0 while there is none */
	struct in6_addr	 ue6;
};

struct imsg_ctl_proc {
	char		 name[16];	/* "parent", "dhcpd", "routed" */
	int32_t		 pid;
	uint32_t	 pad;
};

const char	*imsg_type_name(uint32_t);	/* i2s() for logs */
/*
 * Derives the read-only socket's path from the control socket's:
 * "/run/mcgwd.sock" gives "/run/mcgwd.ro.sock"; a path that does not
 * end in ".sock" gets ".ro" appended.  Returns -1 if it does not fit.
 */
int		 mcgw_ro_socket_path(const char *, char *, size_t);
/*
 * Encodes untrusted bytes (host names, service IDs) as printable ASCII
 * with vis(3): C-style escapes, octal for the rest, tabs and newlines
 * included, so a log line stays one line.  A result that does not fit
 * dst is cut before the last whole escape.
 */
void		 mcgw_vis(char *, size_t, const void *, size_t);
const char	*lease_state_name(uint8_t);
const char	*mode_name(uint8_t);

#endif /* MCGW_H */
