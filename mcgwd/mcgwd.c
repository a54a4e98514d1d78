/*
 * mcgwd parent process: reads the configuration, starts the DHCP engine
 * and the routed-engine as separate programs, hands them every
 * privileged descriptor, and is the only process that keeps root.
 */

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "mcgw.h"
#include "mcgwd.h"
#include "parent.h"

#define LOCK_FILE	"mcgwd.lock"
#define FD_LOCK		5	/* the engines hold the state lock here */
#define LOCK_WAIT	10	/* seconds to wait for a dying daemon */
#define NETNS_LOCK	"mcgwd"	/* abstract socket name, one per namespace */

struct engine {
	const char	*name;		/* "dhcpd", "routed" */
	const char	*prog;
	pid_t		 pid;
	struct imsgbuf	 ibuf;
	struct event	 ev;
	short		 events;
	int		 ev_set;
};

/* An interface whose sockets dhcpd already has. */
struct served_iface {
	TAILQ_ENTRY(served_iface) entry;
	char		 name[IF_NAMESIZE];
	unsigned int	 ifindex;	/* of the sockets dhcpd has */
};

/* An interface whose authorisation socket routed already has. */
struct auth_iface {
	TAILQ_ENTRY(auth_iface)	 entry;
	char		 name[IF_NAMESIZE];
	uint16_t	 port;
	int		 seen;
};

static struct mcgwd_conf	*conf;
static const char		*conf_file = MCGW_CONF_FILE;
static const char		*ctl_path = MCGW_SOCKET;
static char			 ctl_ro_path[PATH_MAX];
static struct engine		 dhcpd;
static struct engine		 routed;
static TAILQ_HEAD(, served_iface) served = TAILQ_HEAD_INITIALIZER(served);
static TAILQ_HEAD(, auth_iface)	 auth_ifaces =
				    TAILQ_HEAD_INITIALIZER(auth_ifaces);
static int			 debug, verbose, seccomp_debug;
static int			 shutting_down;
static time_t			 started;
static gid_t			 mcgw_gid;
static uid_t			 mcgw_uid;

static void	usage(void) __attribute__((noreturn));
static void	engine_start(struct engine *, int, int, int, const char *);
static void	engine_dispatch(int, short, void *);
static void	engine_event_add(struct engine *);
static int	config_send(struct engine *, const struct mcgwd_conf *);
static void	ifaces_prepare(struct mcgwd_conf *, int);
static void	auth_config_send(const struct mcgwd_conf *);
static void	auth_socket_send(const struct mcgwd_conf *, const char *);
static void	ifaces_send_sockets(const struct mcgwd_conf *);
static void	ifaces_watch(void);
static int	reload(void);
static void	shutdown_engines(void);
static void	engine_lost(struct engine *) __attribute__((noreturn));
static void	log_child_status(const char *, pid_t, int);

static void
usage(void)
{
	fprintf(stderr, "usage: mcgwd [-dnSv] [-D macro=value] [-f file] "
	    "[-s socket]\n");
	exit(1);
}

/* Path of an engine: beside this program, or in the libexec directory. */
static void
engine_path(const char *prog, char *buf, size_t len)
{
	char	 self[PATH_MAX], *slash;
	ssize_t	 n;
	int	 r;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			/* A build tree keeps the engines beside mcgwd. */
			r = snprintf(buf, len, "%s/%s", self, prog);
			if (r > 0 && (size_t)r < len && access(buf, X_OK) == 0)
				return;
			/* An installed tree: PREFIX/sbin and PREFIX/libexec. */
			if ((slash = strrchr(self, '/')) != NULL &&
			    strcmp(slash, "/sbin") == 0) {
				*slash = '\0';
				r = snprintf(buf, len, "%s/libexec/mcgwd/%s",
				    self, prog);
				if (r > 0 && (size_t)r < len &&
				    access(buf, X_OK) == 0)
					return;
			}
		}
	}
	snprintf(buf, len, "%s/%s", MCGW_LIBEXEC, prog);
}

static void
engine_start(struct engine *e, int parent_fd, int sibling_fd, int lock_fd,
    const char *root)
{
	char	 path[PATH_MAX], *argv[8];
	int	 argc = 0;

	engine_path(e->prog, path, sizeof(path));
	switch (e->pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		return;
	}

	/* Child: the descriptors go to the fixed numbers the engine expects. */
	if (dup2(parent_fd, MCGW_FD_PARENT) == -1 ||
	    dup2(sibling_fd, MCGW_FD_SIBLING) == -1 ||
	    dup2(lock_fd, FD_LOCK) == -1)
		fatal("dup2");
	closefrom(FD_LOCK + 1);

	argv[argc++] = strdup(e->prog);
	argv[argc++] = strdup("-r");
	argv[argc++] = strdup(root);
	if (debug)
		argv[argc++] = strdup("-d");
	if (seccomp_debug)
		argv[argc++] = strdup("-S");
	if (verbose)
		argv[argc++] = strdup("-v");
	argv[argc] = NULL;
	execv(path, argv);
	fatal("execv %s", path);
}

static void
engine_event_add(struct engine *e)
{
	e->events = EV_READ;
	if (e->ibuf.w.queued)
		e->events |= EV_WRITE;
	if (e->ev_set)
		event_del(&e->ev);
	e->ev_set = 1;
	event_set(&e->ev, e->ibuf.fd, e->events, engine_dispatch, e);
	event_add(&e->ev, NULL);
}

static int
engine_compose(struct engine *e, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	int	 r;

	r = imsg_compose(&e->ibuf, type, peerid, 0, fd, data, len);
	if (r == -1)
		fatal("%s: imsg_compose %s", e->name, imsg_type_name(type));
	engine_event_add(e);
	return r;
}

/* A request relayed from a control session through routed. */
static void
engine_ctl_request(struct engine *e, struct imsg *imsg)
{
	struct imsg_result	 res;
	int			 v;

	switch (imsg->hdr.type) {
	case IMSG_CTL_RELOAD:
		memset(&res, 0, sizeof(res));
		if (reload() == 0)
			strlcpy(res.message, "configuration reloaded",
			    sizeof(res.message));
		else {
			res.code = 1;
			snprintf(res.message, sizeof(res.message),
			    "kept the running configuration: %s%s",
			    parse_error()[0] != '\0' ? parse_error() :
			    conf_file, parse_error()[0] != '\0' ? "" :
			    " is invalid (see the log)");
		}
		engine_compose(e, IMSG_CTL_RELOAD_DONE, imsg->hdr.peerid, -1,
		    &res, sizeof(res));
		break;
	case IMSG_CTL_LOG_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1)
			fatalx("%s: malformed %s", e->name,
			    imsg_type_name(imsg->hdr.type));
		log_setverbose(v);
		verbose = v;
		engine_compose(&dhcpd, IMSG_CTL_LOG_VERBOSE, 0, -1, &v,
		    sizeof(v));
		log_info("log level %s", v ? "verbose" : "brief");
		break;
	}
}

/* A change of the kernel's tables, or "show routes" for a session. */
static void
engine_kernel_request(struct engine *e, struct imsg *imsg)
{
	struct imsg_kernel_result	 res;
	struct imsg_route		 routes[KR_MAX_ROUTES];
	size_t				 i, n;

	if (imsg->hdr.type != IMSG_CTL_SHOW_ROUTES) {
		kernel_request(e->name, imsg, &res);
		engine_compose(e, IMSG_KERNEL_RESULT, imsg->hdr.peerid, -1,
		    &res, sizeof(res));
		return;
	}
	n = kernel_list(routes, KR_MAX_ROUTES);
	for (i = 0; i < n; i++)
		engine_compose(e, IMSG_CTL_ROUTE, imsg->hdr.peerid, -1,
		    &routes[i], sizeof(routes[i]));
	engine_compose(e, IMSG_CTL_END, imsg->hdr.peerid, -1, NULL, 0);
}

/* The UE IP appeared, changed or went away. */
static void
uplink_notify(const struct imsg_uplink_addr *u, int changed)
{
	if (changed)
		engine_compose(&routed, IMSG_UPLINK_ADDR, 0, -1, u,
		    sizeof(*u));
	ifaces_watch();
}

/* routed's part of the configuration: the framed ranges. */
static void
config_send_framed(struct engine *e, const struct mcgwd_conf *c)
{
	struct imsg_framed	 f;
	int			 i;

	for (i = 0; i < c->nframed_routes + c->nframed_routes6; i++) {
		memset(&f, 0, sizeof(f));
		if (i < c->nframed_routes) {
			f.family = AF_INET;
			f.addr4 = c->framed_routes[i].addr;
			f.prefixlen = c->framed_routes[i].prefixlen;
		} else {
			f.family = AF_INET6;
			f.addr6 = c->framed_routes6[i -
			    c->nframed_routes].addr;
			f.prefixlen = c->framed_routes6[i -
			    c->nframed_routes].prefixlen;
		}
		engine_compose(e, IMSG_RECONF_FRAMED, 0, -1, &f, sizeof(f));
	}
}

static void
engine_dispatch(int fd, short event, void *arg)
{
	struct engine	*e = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (event & EV_READ) {
		n = imsg_read(&e->ibuf);
		if ((n == -1 && errno != EAGAIN) || n == 0) {
			if (shutting_down)
				return;
			engine_lost(e);
		}
	}
	if (event & EV_WRITE) {
		n = msgbuf_write(&e->ibuf.w);
		if ((n == -1 && errno != EAGAIN) || n == 0) {
			if (shutting_down)
				return;
			engine_lost(e);
		}
	}
	for (;;) {
		if ((n = imsg_get(&e->ibuf, &imsg)) == -1)
			fatal("%s: imsg_get", e->name);
		if (n == 0)
			break;
		if (e == &routed && (imsg.hdr.type == IMSG_CTL_RELOAD ||
		    imsg.hdr.type == IMSG_CTL_LOG_VERBOSE))
			engine_ctl_request(e, &imsg);
		else if (imsg.hdr.type == IMSG_ROUTE_ADD ||
		    imsg.hdr.type == IMSG_ROUTE_DEL ||
		    imsg.hdr.type == IMSG_NAT_ADD ||
		    imsg.hdr.type == IMSG_NAT_DEL ||
		    (e == &routed && imsg.hdr.type == IMSG_CTL_SHOW_ROUTES))
			engine_kernel_request(e, &imsg);
		else
			fatalx("%s: unexpected %s", e->name,
			    imsg_type_name(imsg.hdr.type));
		imsg_free(&imsg);
	}
	engine_event_add(e);
}

static void
send_subnet(struct engine *e, const struct subnet_conf *sc)
{
	struct imsg_subnet	 s;
	struct imsg_range	 r;
	struct range_conf	*rc;
	struct option_conf	*oc;
	struct host_conf	*hc;

	memset(&s, 0, sizeof(s));
	s.network = sc->network;
	s.prefixlen = sc->prefixlen;
	s.relayed = sc->relayed ? 1 : 0;
	s.rapid_commit = sc->rapid_commit ? 1 : 0;
	s.lease_time = sc->lease_time;
	s.max_lease_time = sc->max_lease_time;
	s.min_lease_time = sc->min_lease_time;
	engine_compose(e, IMSG_RECONF_SUBNET, 0, -1, &s, sizeof(s));
	TAILQ_FOREACH(rc, &sc->ranges, entry) {
		memset(&r, 0, sizeof(r));
		r.start = rc->start;
		r.end = rc->end;
		engine_compose(e, IMSG_RECONF_RANGE, 0, -1, &r, sizeof(r));
	}
	TAILQ_FOREACH(oc, &sc->options, entry)
		engine_compose(e, IMSG_RECONF_OPTION, 0, -1, &oc->opt,
		    sizeof(oc->opt));
	TAILQ_FOREACH(hc, &sc->hosts, entry)
		engine_compose(e, IMSG_RECONF_HOST, 0, -1, &hc->host,
		    sizeof(hc->host));
}

static int
config_send(struct engine *e, const struct mcgwd_conf *c)
{
	struct imsg_conf	 ic;
	struct imsg_iface	 ii;
	struct iface_conf	*ifc;
	struct subnet_conf	*sc;

	memset(&ic, 0, sizeof(ic));
	strlcpy(ic.state_dir, c->state_dir, sizeof(ic.state_dir));
	strlcpy(ic.uplink, c->uplink, sizeof(ic.uplink));
	ic.mode = (uint8_t)c->mode;
	ic.hold_down = c->hold_down;
	ic.decline_hold = c->decline_hold;
	ic.offer_hold = c->offer_hold;
	ic.nat_port_first = c->nat_port_first;
	ic.nat_port_last = c->nat_port_last;
	ic.nat_block_size = c->nat_block_size;
	engine_compose(e, IMSG_RECONF_CONF, 0, -1, &ic, sizeof(ic));

	TAILQ_FOREACH(ifc, &c->ifaces, entry) {
		memset(&ii, 0, sizeof(ii));
		strlcpy(ii.name, ifc->name, sizeof(ii.name));
		ii.addr = ifc->addr;
		ii.prefixlen = ifc->prefixlen;
		if (kr_iface_info(ifc->name, &ii.ifindex, ii.hwaddr) == -1)
			ii.ifindex = 0;
		engine_compose(e, IMSG_RECONF_IFACE, 0, -1, &ii, sizeof(ii));
		TAILQ_FOREACH(sc, &ifc->subnets, entry)
			send_subnet(e, sc);
	}
	if (e == &routed)
		config_send_framed(e, c);
	if (e == &routed)
		auth_config_send(c);
	engine_compose(e, IMSG_RECONF_END, 0, -1, NULL, 0);
	return 0;
}

/*
 * The authorisation block goes to routed inside the configuration
 * sequence: settings, keys, and one IMSG_AUTH_SOCKET per listening
 * interface, with a descriptor only for a socket routed lacks.  routed
 * closes the sockets the sequence does not name.
 */
static void
auth_config_send(const struct mcgwd_conf *c)
{
	struct imsg_auth_conf		 ac;
	struct imsg_auth_key		 ak;
	const struct auth_key_conf	*k;
	const struct auth_listen_conf	*l;
	struct auth_iface		*ai, *next;

	TAILQ_FOREACH(ai, &auth_ifaces, entry)
		ai->seen = 0;
	if (c->auth_block) {
		memset(&ac, 0, sizeof(ac));
		ac.port = c->auth_port;
		ac.skew = c->auth_skew;
		ac.lifetime = c->auth_lifetime;
		ac.retention = c->auth_retention;
		ac.rate = c->auth_rate;
		ac.burst = c->auth_burst;
		engine_compose(&routed, IMSG_RECONF_AUTH, 0, -1, &ac,
		    sizeof(ac));
		TAILQ_FOREACH(k, &c->auth_keys, entry) {
			memset(&ak, 0, sizeof(ak));
			strlcpy(ak.service_id, k->service_id,
			    sizeof(ak.service_id));
			memcpy(ak.key, k->key, sizeof(ak.key));
			engine_compose(&routed, IMSG_RECONF_AUTH_KEY, 0, -1,
			    &ak, sizeof(ak));
		}
		TAILQ_FOREACH(l, &c->auth_listen, entry)
			auth_socket_send(c, l->ifname);
	}
	for (ai = TAILQ_FIRST(&auth_ifaces); ai != NULL; ai = next) {
		next = TAILQ_NEXT(ai, entry);
		if (ai->seen)
			continue;
		TAILQ_REMOVE(&auth_ifaces, ai, entry);
		free(ai);
	}
}

static void
auth_socket_send(const struct mcgwd_conf *c, const char *ifname)
{
	struct imsg_socket	 is;
	struct auth_iface	*ai;
	unsigned int		 ifindex;
	uint8_t			 hw[6];
	int			 fd = -1;

	TAILQ_FOREACH(ai, &auth_ifaces, entry)
		if (strcmp(ai->name, ifname) == 0)
			break;
	memset(&is, 0, sizeof(is));
	strlcpy(is.ifname, ifname, sizeof(is.ifname));
	if (ai == NULL || ai->port != c->auth_port) {
		if (kr_iface_info(ifname, &ifindex, hw) == -1)
			return;
		is.ifindex = ifindex;
		if ((fd = sock_auth_udp(ifname, c->auth_port)) == -1)
			return;
		if (ai == NULL) {
			if ((ai = calloc(1, sizeof(*ai))) == NULL)
				fatal("calloc");
			strlcpy(ai->name, ifname, sizeof(ai->name));
			TAILQ_INSERT_TAIL(&auth_ifaces, ai, entry);
		}
		ai->port = c->auth_port;
	}
	ai->seen = 1;
	engine_compose(&routed, IMSG_AUTH_SOCKET, 0, fd, &is, sizeof(is));
}

/* Whether the configuration puts this address on this interface. */
static int
addr_configured(const struct mcgwd_conf *c, const struct kr_addr *ka)
{
	struct iface_conf	*ifc;

	TAILQ_FOREACH(ifc, &c->ifaces, entry)
		if (strcmp(ifc->name, ka->ifname) == 0 &&
		    ifc->addr.s_addr == ka->addr.s_addr &&
		    ifc->prefixlen == ka->prefixlen)
			return 1;
	return 0;
}

/*
 * Removes the LAN addresses mcgwd added that the configuration no
 * longer names, or all of them at a stop (c is NULL).  They carry
 * mcgwd's marker, so a start after a crash finds them too.
 */
static void
ifaces_addrs_sync(const struct mcgwd_conf *c)
{
	struct kr_addr	 own[KR_MAX_ADDRS];
	size_t		 i, n;
	char		 a[INET_ADDRSTRLEN];

	n = kr_addrs_own(own, KR_MAX_ADDRS);
	for (i = 0; i < n; i++) {
		if (c != NULL && addr_configured(c, &own[i]))
			continue;
		inet_ntop(AF_INET, &own[i].addr, a, sizeof(a));
		if (kr_addr4_del(&own[i]) == -1)
			log_warnx("%s: cannot remove address %s/%u",
			    own[i].ifname, a, own[i].prefixlen);
		else
			log_info("%s: removed address %s/%u", own[i].ifname,
			    a, own[i].prefixlen);
	}
}

/* Makes dhcpd close an interface's sockets and drops it from served. */
static void
iface_unserve(struct served_iface *si)
{
	struct imsg_socket	 is;

	memset(&is, 0, sizeof(is));
	strlcpy(is.ifname, si->name, sizeof(is.ifname));
	is.ifindex = si->ifindex;
	engine_compose(&dhcpd, IMSG_DHCP4_CLOSE, 0, -1, &is, sizeof(is));
	TAILQ_REMOVE(&served, si, entry);
	free(si);
}

/* Closes the sockets of interfaces the configuration no longer has. */
static void
ifaces_prune(const struct mcgwd_conf *c)
{
	struct served_iface	*si, *next;
	struct iface_conf	*ifc;
	int			 found;

	for (si = TAILQ_FIRST(&served); si != NULL; si = next) {
		next = TAILQ_NEXT(si, entry);
		found = 0;
		TAILQ_FOREACH(ifc, &c->ifaces, entry)
			if (strcmp(ifc->name, si->name) == 0)
				found = 1;
		if (found)
			continue;
		log_info("%s: no longer in the configuration, not serving it",
		    si->name);
		iface_unserve(si);
	}
}

/*
 * Adds each LAN interface's configured address where it is missing.
 * warn: log the interfaces that do not exist.
 */
static void
ifaces_prepare(struct mcgwd_conf *c, int warn)
{
	struct iface_conf	*ifc;
	unsigned int		 ifindex;
	uint8_t			 hw[6];
	char			 a[INET_ADDRSTRLEN];

	TAILQ_FOREACH(ifc, &c->ifaces, entry) {
		inet_ntop(AF_INET, &ifc->addr, a, sizeof(a));
		if (kr_iface_info(ifc->name, &ifindex, hw) == -1) {
			if (warn)
				log_warnx("interface %s not found: not serving "
				    "it until it appears", ifc->name);
			continue;
		}
		if (kr_addr4_present(ifc->name, ifc->addr) != 0)
			continue;
		if (kr_addr4_add(ifindex, ifc->addr, ifc->prefixlen) == -1)
			log_warnx("%s: cannot add address %s/%u", ifc->name, a,
			    ifc->prefixlen);
		else
			log_info("%s: added address %s/%u", ifc->name, a,
			    ifc->prefixlen);
	}
}

static int
iface_served(const char *name)
{
	struct served_iface	*si;

	TAILQ_FOREACH(si, &served, entry)
		if (strcmp(si->name, name) == 0)
			return 1;
	return 0;
}

/* Opens the sockets of each interface dhcpd does not have yet. */
static void
ifaces_send_sockets(const struct mcgwd_conf *c)
{
	struct iface_conf	*ifc;
	struct served_iface	*si;
	struct imsg_socket	 is;
	unsigned int		 ifindex;
	uint8_t			 hw[6];
	int			 pfd, ufd;

	TAILQ_FOREACH(ifc, &c->ifaces, entry) {
		if (iface_served(ifc->name))
			continue;
		if (kr_iface_info(ifc->name, &ifindex, hw) == -1)
			continue;
		if ((pfd = sock_dhcp4_packet(ifc->name, ifindex)) == -1)
			continue;
		if ((ufd = sock_dhcp4_udp(ifc->name)) == -1) {
			close(pfd);
			continue;
		}
		memset(&is, 0, sizeof(is));
		strlcpy(is.ifname, ifc->name, sizeof(is.ifname));
		is.ifindex = ifindex;
		engine_compose(&dhcpd, IMSG_DHCP4_SOCKETS, 0, pfd, &is,
		    sizeof(is));
		engine_compose(&dhcpd, IMSG_DHCP4_UDP, 0, ufd, &is,
		    sizeof(is));
		if ((si = calloc(1, sizeof(*si))) == NULL)
			fatal("calloc");
		strlcpy(si->name, ifc->name, sizeof(si->name));
		si->ifindex = ifindex;
		TAILQ_INSERT_TAIL(&served, si, entry);
		log_info("%s: serving DHCPv4", ifc->name);
	}
}

/*
 * Follows the LAN interfaces as links come and go, for hot-plugged
 * adapters.  A configured interface that appears is served.  One that
 * goes away, is renamed, or comes back as a new link (the kernel unbinds
 * packet sockets from a removed link, even if its index returns) loses
 * its sockets in dhcpd and is served again once it is there.  A link
 * that only goes down keeps its sockets.  A configured address that
 * went missing is added back.
 */
static void
ifaces_watch(void)
{
	struct served_iface	*si, *next;
	unsigned int		 ifindex;
	uint8_t			 hw[6];
	int			 removed = 0;

	for (si = TAILQ_FIRST(&served); si != NULL; si = next) {
		next = TAILQ_NEXT(si, entry);
		if (kr_iface_info(si->name, &ifindex, hw) == 0 &&
		    ifindex == si->ifindex && !uplink_link_removed(ifindex))
			continue;
		log_warnx("%s: interface removed or changed, not serving it "
		    "until it is back", si->name);
		iface_unserve(si);
		removed = 1;
	}
	/* A renamed link may still carry the address that mcgwd added. */
	if (removed)
		ifaces_addrs_sync(conf);
	ifaces_prepare(conf, 0);
	/* Skips the interfaces that are served or still missing. */
	ifaces_send_sockets(conf);
}

static int
reload(void)
{
	struct mcgwd_conf	*nconf;

	if ((nconf = parse_config(conf_file)) == NULL) {
		log_warnx("reload: %s has errors, keeping the running "
		    "configuration", conf_file);
		return -1;
	}
	if (strcmp(nconf->state_dir, conf->state_dir) != 0)
		log_warnx("reload: state-directory changes only at restart");
	strlcpy(nconf->state_dir, conf->state_dir, sizeof(nconf->state_dir));
	/* routed hands out NAT blocks from the range it started with. */
	if (nconf->nat_port_first != conf->nat_port_first ||
	    nconf->nat_port_last != conf->nat_port_last ||
	    nconf->nat_block_size != conf->nat_block_size)
		log_warnx("reload: nat port-range changes only at restart");
	nconf->nat_port_first = conf->nat_port_first;
	nconf->nat_port_last = conf->nat_port_last;
	nconf->nat_block_size = conf->nat_block_size;
	if (strcmp(nconf->uplink, conf->uplink) != 0)
		log_info("reload: uplink %s replaces %s", nconf->uplink,
		    conf->uplink);
	config_free(conf);
	conf = nconf;
	ifaces_prune(conf);
	ifaces_addrs_sync(conf);
	ifaces_prepare(conf, 1);
	config_send(&dhcpd, conf);
	config_send(&routed, conf);
	ifaces_send_sockets(conf);
	kernel_reconf(conf);
	log_info("configuration reloaded from %s", conf_file);
	return 0;
}

static void
log_child_status(const char *name, pid_t pid, int status)
{
	if (WIFEXITED(status))
		log_warnx("%s engine (pid %d) exited with status %d", name,
		    pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx("%s engine (pid %d) killed by signal %d%s", name,
		    pid, WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
		    " (seccomp: rerun with -S to name the call)" : "");
}

/*
 * An engine's pipe broke: the engine is dead or dying.  Its exit status
 * gives the reason, so wait for it briefly before stopping the daemon.
 */
static void
engine_lost(struct engine *e)
{
	pid_t	 pid = e->pid;
	int	 status, i;

	for (i = 0; i < 20 && pid > 0; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			log_child_status(e->name, pid, status);
			e->pid = 0;
			break;
		}
		usleep(50000);
	}
	if (e->pid > 0)
		log_warnx("%s engine (pid %d) closed its pipe", e->name, pid);
	shutdown_engines();
	log_warnx("stopping so that the service manager restarts mcgwd");
	exit(1);
}

static void
sig_chld(void)
{
	struct engine	*e;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		e = pid == dhcpd.pid ? &dhcpd : pid == routed.pid ?
		    &routed : NULL;
		if (e == NULL)
			continue;
		e->pid = 0;
		if (shutting_down)
			continue;
		log_child_status(e->name, pid, status);
		engine_lost(e);
	}
}

static void
sig_handler(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("stopping on signal %d", sig);
		shutdown_engines();
		kernel_stop();
		ifaces_addrs_sync(NULL);
		unlink(ctl_path);
		unlink(ctl_ro_path);
		log_info("stopped");
		exit(0);
	case SIGHUP:
		log_info("SIGHUP: reloading %s", conf_file);
		reload();
		break;
	case SIGCHLD:
		sig_chld();
		break;
	}
}

/* Stops both engines and waits for them, at most a few seconds. */
static void
shutdown_engines(void)
{
	struct engine	*all[] = { &dhcpd, &routed };
	pid_t		 pid;
	int		 i, status, tries;

	shutting_down = 1;
	for (i = 0; i < 2; i++)
		if (all[i]->pid > 0)
			kill(all[i]->pid, SIGTERM);
	for (tries = 0; tries < 50; tries++) {
		for (i = 0; i < 2; i++) {
			if (all[i]->pid <= 0)
				continue;
			pid = waitpid(all[i]->pid, &status, WNOHANG);
			/*
			 * One engine's death makes the other exit, and either
			 * pipe may break first: an end other than by our
			 * SIGTERM is the other engine's, and is logged.
			 */
			if (pid == all[i]->pid && (WIFSIGNALED(status) ?
			    WTERMSIG(status) != SIGTERM :
			    WEXITSTATUS(status) != 0))
				log_child_status(all[i]->name, pid, status);
			if (pid == all[i]->pid || (pid == -1 &&
			    errno == ECHILD))
				all[i]->pid = 0;
		}
		if (dhcpd.pid <= 0 && routed.pid <= 0)
			return;
		usleep(100000);
	}
	for (i = 0; i < 2; i++)
		if (all[i]->pid > 0) {
			log_warnx("%s engine did not stop: killing it",
			    all[i]->name);
			kill(all[i]->pid, SIGKILL);
			waitpid(all[i]->pid, &status, 0);
		}
}

/*
 * Creates the state directory (owned by the engines' user, 0700) and
 * the empty, root-owned directory dhcpd is chrooted into.
 */
static void
state_dir_prepare(const char *dir)
{
	char		 empty[PATH_MAX];
	struct stat	 st;

	if (mkdir(dir, 0700) == -1) {
		if (errno == ENOENT)
			fatalx("cannot create the state directory %s: its "
			    "parent does not exist, create it first", dir);
		if (errno != EEXIST)
			fatal("mkdir %s", dir);
	}
	if (lstat(dir, &st) == -1)
		fatal("stat %s", dir);
	if (!S_ISDIR(st.st_mode))
		fatalx("state directory %s is not a directory", dir);
	if (chown(dir, mcgw_uid, mcgw_gid) == -1 || chmod(dir, 0700) == -1)
		fatal("cannot give %s to %s", dir, MCGW_USER);

	snprintf(empty, sizeof(empty), "%s/%s", dir, MCGW_EMPTY_DIR);
	if (mkdir(empty, 0555) == -1 && errno != EEXIST)
		fatal("mkdir %s", empty);
	if (lstat(empty, &st) == -1)
		fatal("stat %s", empty);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", empty);
	if (chown(empty, 0, 0) == -1 || chmod(empty, 0555) == -1)
		fatal("cannot make %s root-owned", empty);
}

/*
 * Locks the state directory.  The engines inherit the lock, so it is
 * held until all three processes are gone: a new daemon never shares
 * the journal with the engines of one that was killed.
 */
static int
state_dir_lock(const char *dir)
{
	char	 path[PATH_MAX];
	int	 fd, i;

	snprintf(path, sizeof(path), "%s/%s", dir, LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600)) == -1)
		fatal("open %s", path);
	for (i = 0; i < LOCK_WAIT * 10; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK)
			fatal("flock %s", path);
		if (i == 0)
			log_warnx("%s is locked: waiting up to %d seconds for "
			    "the mcgwd that uses it to exit", path, LOCK_WAIT);
		usleep(100000);
	}
	fatalx("state directory %s is in use by another mcgwd", dir);
}

/* Returns the pid of the namespace lock's owner and sets *uid, or -1. */
static pid_t
netns_lock_holder(const struct sockaddr_un *sun, socklen_t len, uid_t *uid)
{
	struct ucred	 cred;
	socklen_t	 clen = sizeof(cred);
	pid_t		 pid = -1;
	int		 fd;

	*uid = 0;
	/* Non-blocking: a holder that does not accept must not stop us. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, len) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		pid = cred.pid;
		*uid = cred.uid;
	}
	close(fd);
	return pid;
}

/*
 * Accepts and closes the connection of a second mcgwd that asked for
 * this daemon's pid, so that the listen queue never fills.
 */
static void
netns_lock_accept(int fd, short event, void *arg)
{
	int	 c;

	(void)event;
	(void)arg;
	if ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1)
		close(c);
}

/*
 * Claims the network namespace for this daemon.  Routes, addresses and
 * nftables tables belong to the namespace, and a second mcgwd would
 * remove the first one's at its own start and stop.  An abstract socket
 * name exists once per network namespace, whatever the mount namespace,
 * and goes away with the process that bound it.  Any user may bind such
 * a name, so a holder that is not root is named as the obstacle.
 * Returns the bound socket; the caller calls listen(2) after daemon(3),
 * because the kernel records the pid that a second mcgwd reports then.
 */
static int
netns_lock(void)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	uid_t			 uid;
	pid_t			 pid;
	int			 fd, i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, NETNS_LOCK, strlen(NETNS_LOCK));
	len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(NETNS_LOCK);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		fatal("%s: socket", __func__);
	for (i = 0; i <= LOCK_WAIT * 10; i++) {
		if (bind(fd, (struct sockaddr *)&sun, len) == 0)
			return fd;	/* held until the process exits */
		if (errno != EADDRINUSE)
			fatal("%s: bind", __func__);
		if (i == 0) {
			pid = netns_lock_holder(&sun, len, &uid);
			if (pid != -1 && uid != 0)
				fatalx("the lock @%s of this network namespace "
				    "is held by pid %d of uid %u, which is not "
				    "mcgwd: stop that process", NETNS_LOCK,
				    (int)pid, (unsigned int)uid);
			log_warnx("another mcgwd (pid %d) runs in this network "
			    "namespace: waiting up to %d seconds for it to "
			    "exit", (int)pid, LOCK_WAIT);
		}
		usleep(100000);
	}
	fatalx("another mcgwd (pid %d) runs in this network namespace: "
	    "stop it first, one mcgwd serves each namespace",
	    (int)netns_lock_holder(&sun, len, &uid));
}

static void
lookup_user(void)
{
	struct passwd	*pw;

	if ((pw = getpwnam(MCGW_USER)) == NULL)
		fatalx("user %s not found: create it with systemd-sysusers "
		    "or useradd --system %s", MCGW_USER, MCGW_USER);
	if (pw->pw_uid == 0)
		fatalx("user %s must not have uid 0", MCGW_USER);
	mcgw_uid = pw->pw_uid;
	mcgw_gid = pw->pw_gid;
}

/*
 * Binds both control sockets before the engines start, so that a socket
 * in use stops mcgwd before routed replays the journal.
 */
static void
control_open(int *rw, int *ro)
{
	if (mcgw_ro_socket_path(ctl_path, ctl_ro_path,
	    sizeof(ctl_ro_path)) == -1)
		fatalx("control socket path too long: %s", ctl_path);
	if ((*rw = control_listen(ctl_path, 0660, mcgw_gid)) == -1)
		fatalx("cannot listen on %s", ctl_path);
	if ((*ro = control_listen(ctl_ro_path, 0666, mcgw_gid)) == -1)
		fatalx("cannot listen on %s", ctl_ro_path);
}

/* Hands the control sockets to routed, which serves them. */
static void
control_send(int rw, int ro)
{
	struct imsg_socket	 is;

	memset(&is, 0, sizeof(is));
	engine_compose(&routed, IMSG_CONTROL_FD, 0, rw, &is, sizeof(is));
	is.readonly = 1;
	engine_compose(&routed, IMSG_CONTROL_FD, 0, ro, &is, sizeof(is));
}

static void
engines_start(void)
{
	struct imsg_procinfo	 pi;
	char			 empty[PATH_MAX];
	int			 p2d[2], p2r[2], d2r[2], lock_fd;

	lock_fd = state_dir_lock(conf->state_dir);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p2d) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p2r) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, d2r) == -1)
		fatal("socketpair");

	snprintf(empty, sizeof(empty), "%s/%s", conf->state_dir,
	    MCGW_EMPTY_DIR);
	engine_start(&dhcpd, p2d[1], d2r[0], lock_fd, empty);
	engine_start(&routed, p2r[1], d2r[1], lock_fd, conf->state_dir);
	close(p2d[1]);
	close(p2r[1]);
	close(d2r[0]);
	close(d2r[1]);

	if (fcntl(p2d[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(p2r[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
	imsg_init(&dhcpd.ibuf, p2d[0]);
	imsg_init(&routed.ibuf, p2r[0]);
	engine_event_add(&dhcpd);
	engine_event_add(&routed);

	memset(&pi, 0, sizeof(pi));
	pi.started = started;
	pi.parent_pid = getpid();
	pi.dhcpd_pid = dhcpd.pid;
	pi.routed_pid = routed.pid;
	engine_compose(&routed, IMSG_PROCINFO, 0, -1, &pi, sizeof(pi));
}

/*
 * A path from the working directory at start, as an absolute path:
 * daemon(3) changes to / before the control socket is bound and before
 * any reload reads the configuration file again.
 */
static const char *
path_absolute(const char *path)
{
	char		*abs;
	char		 cwd[PATH_MAX];

	if (path[0] == '/')
		return path;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	if (asprintf(&abs, "%s/%s", cwd, path) == -1)
		fatal("%s", __func__);
	return abs;
}

int
main(int argc, char *argv[])
{
	struct event	 ev_term, ev_int, ev_hup, ev_chld, ev_lock;
	int		 ch, noaction = 0, lock_fd, ctl_rw, ctl_ro;

	dhcpd.name = "dhcpd";
	dhcpd.prog = MCGW_DHCPD_PROG;
	routed.name = "routed";
	routed.prog = MCGW_ROUTED_PROG;
	log_init(1, 0, "mcgwd");
	while ((ch = getopt(argc, argv, "D:df:nSs:v")) != -1) {
		switch (ch) {
		case 'D':
			if (cmdline_symset(optarg) < 0) {
				log_warnx("invalid macro definition %s: use "
				    "-D name=value", optarg);
				exit(1);
			}
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			conf_file = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'S':
			seccomp_debug = 1;
			break;
		case 's':
			ctl_path = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind) {
		log_warnx("unexpected argument %s: mcgwd takes options "
		    "only", argv[optind]);
		usage();
	}
	log_setverbose(verbose);
	conf_file = path_absolute(conf_file);
	ctl_path = path_absolute(ctl_path);

	if ((conf = parse_config(conf_file)) == NULL)
		exit(1);
	if (noaction) {
		if (verbose)
			print_config(stdout, conf);
		else
			fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	if (geteuid() != 0)
		fatalx("need root privileges");
	lookup_user();
	lock_fd = netns_lock();
	state_dir_prepare(conf->state_dir);

	log_init(debug, verbose, "mcgwd");
	log_procinit("parent");
	if (!debug && daemon(0, 0) == -1)
		fatal("daemon");
	if (listen(lock_fd, 4) == -1)
		fatal("listen on the namespace lock");
	started = time(NULL);
	log_info("starting, version %s, configuration %s", MCGW_VERSION,
	    conf_file);

	signal(SIGPIPE, SIG_IGN);
	event_init();
	signal_set(&ev_term, SIGTERM, sig_handler, NULL);
	signal_set(&ev_int, SIGINT, sig_handler, NULL);
	signal_set(&ev_hup, SIGHUP, sig_handler, NULL);
	signal_set(&ev_chld, SIGCHLD, sig_handler, NULL);
	signal_add(&ev_term, NULL);
	signal_add(&ev_int, NULL);
	signal_add(&ev_hup, NULL);
	signal_add(&ev_chld, NULL);
	event_set(&ev_lock, lock_fd, EV_READ | EV_PERSIST, netns_lock_accept,
	    NULL);
	event_add(&ev_lock, NULL);

	if (seccomp_debug)
		log_info("seccomp debug mode: the engines log a blocked "
		    "system call and go on instead of being killed");
	control_open(&ctl_rw, &ctl_ro);
	engines_start();
	control_send(ctl_rw, ctl_ro);
	/* Addresses left by a daemon that crashed with another config. */
	ifaces_addrs_sync(conf);
	ifaces_prepare(conf, 1);
	config_send(&dhcpd, conf);
	config_send(&routed, conf);
	ifaces_send_sockets(conf);
	kernel_start(conf, uplink_notify);

	event_dispatch();
	fatalx("event loop returned");
}
