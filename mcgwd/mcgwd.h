/*
 * mcgwd parent process: configuration and the parent's own functions.
 */

#ifndef MCGWD_H
#define MCGWD_H

#include <sys/queue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>

#include "mcgw.h"

#define DEFAULT_LEASE_TIME	3600
#define DEFAULT_MAX_LEASE_TIME	86400
#define DEFAULT_MIN_LEASE_TIME	60
/* Seconds before a freed address may go to another client. */
#define DEFAULT_HOLD_DOWN	600
#define DEFAULT_DECLINE_HOLD	3600
#define DEFAULT_OFFER_HOLD	60
#define DEFAULT_AUTH_LIFETIME	3600	/* seconds a binding lasts */
/* Requests per second and at once per source: replay.h's defaults. */
#define DEFAULT_AUTH_RATE	5
#define DEFAULT_AUTH_BURST	10
#define DEFAULT_AUTH_RETENTION	90	/* days the history keeps */
/*
 * NAT port blocks.  Ports above nat_port_last serve the masquerade of
 * clients without a binding, so the default leaves 60000-65535 to it.
 */
#define DEFAULT_NAT_PORT_FIRST	20000
#define DEFAULT_NAT_PORT_LAST	59999
#define DEFAULT_NAT_BLOCK_SIZE	1000
#define NAT_MASQ_MIN_PORTS	1024	/* ports left above the blocks */

struct range_conf {
	TAILQ_ENTRY(range_conf)	 entry;
	struct in_addr		 start;
	struct in_addr		 end;
};

struct option_conf {
	TAILQ_ENTRY(option_conf) entry;
	struct imsg_option	 opt;
};

struct host_conf {
	TAILQ_ENTRY(host_conf)	 entry;
	struct imsg_host	 host;
};

/* An address block served on an interface: its own, or one behind a relay. */
struct subnet_conf {
	TAILQ_ENTRY(subnet_conf) entry;
	struct in_addr		 network;
	uint8_t			 prefixlen;
	int			 relayed;
	int			 rapid_commit;
	uint32_t		 lease_time;
	uint32_t		 max_lease_time;
	uint32_t		 min_lease_time;
	TAILQ_HEAD(, range_conf) ranges;
	TAILQ_HEAD(, option_conf) options;
	TAILQ_HEAD(, host_conf)	 hosts;
};

struct iface_conf {
	TAILQ_ENTRY(iface_conf)	 entry;
	char			 name[IF_NAMESIZE];
	struct in_addr		 addr;
	uint8_t			 prefixlen;
	/* The first subnet is the interface's own (addr/prefixlen). */
	TAILQ_HEAD(, subnet_conf) subnets;
};

struct prefix4 {
	struct in_addr		 addr;
	uint8_t			 prefixlen;
};

struct prefix6 {
	struct in6_addr		 addr;
	uint8_t			 prefixlen;
};

struct auth_key_conf {
	TAILQ_ENTRY(auth_key_conf) entry;
	char			 service_id[256];
	unsigned char		 key[32];	/* Ed25519 public key */
};

struct auth_listen_conf {
	TAILQ_ENTRY(auth_listen_conf) entry;
	char			 ifname[IF_NAMESIZE];
};

struct mcgwd_conf {
	char			 state_dir[1024];
	char			 uplink[IF_NAMESIZE];
	int			 mode;		/* enum mcgw_mode */
	uint32_t		 hold_down;
	uint32_t		 decline_hold;
	uint32_t		 offer_hold;
	struct prefix4		 framed_routes[16];
	int			 nframed_routes;
	struct prefix6		 framed_routes6[16];
	int			 nframed_routes6;
	/* NAT mode: each binding gets block_size ports of first..last. */
	uint16_t		 nat_port_first;
	uint16_t		 nat_port_last;
	uint16_t		 nat_block_size;
	TAILQ_HEAD(, iface_conf) ifaces;
	TAILQ_HEAD(, auth_listen_conf) auth_listen;
	TAILQ_HEAD(, auth_key_conf) auth_keys;
	int			 auth_block;	/* an authorisation block */
	uint16_t		 auth_port;
	uint32_t		 auth_skew;
	uint32_t		 auth_lifetime;
	uint32_t		 auth_rate;
	uint32_t		 auth_burst;
	int64_t			 auth_retention;	/* seconds */
};

/* How mcgwd.conf writes the value of a DHCPv4 option known by name. */
enum option_type {
	OPTION_TYPE_IPLIST,	/* one or more IPv4 addresses */
	OPTION_TYPE_IP,		/* one IPv4 address */
	OPTION_TYPE_DOMAIN,	/* one domain name, as text */
	OPTION_TYPE_MTU,	/* uint16, at least 68 */
	OPTION_TYPE_DOMAINLIST,	/* names in RFC 1035 wire form (RFC 3397) */
	OPTION_TYPE_REJECT	/* known, but set by the engine: rejected */
};

struct option_def {
	const char		*name;
	uint8_t			 code;
	enum option_type	 type;
};

/* parse.y */
/* Returns the named option with that code, or NULL. */
const struct option_def	*option_def_bycode(uint8_t);
/*
 * Parses the file; returns NULL after logging every error as
 * "file:line: message".  With -D macro=value definitions already made
 * by cmdline_symset().
 */
struct mcgwd_conf	*parse_config(const char *filename);
/* The first error of the last parse_config() that failed, or "". */
const char		*parse_error(void);
int			 cmdline_symset(char *);
void			 config_free(struct mcgwd_conf *);
/* Writes the configuration in normalised mcgwd.conf syntax. */
void			 print_config(FILE *, const struct mcgwd_conf *);

#endif /* MCGWD_H */
