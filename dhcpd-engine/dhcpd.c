/*
 * mcgwd-dhcpd: process entry, imsg dispatch for the parent and for
 * routed-engine, the packet sockets and the timers.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "mcgw.h"
#include "sandbox.h"
#include "dhcpd.h"

/* Packets read per wakeup before the loop serves routed's answers. */
#define RX_BATCH	128
#define RX_VEC		16	/* packets per recvmmsg(2) */
#define RX_CBUF		CMSG_SPACE(sizeof(struct tpacket_auxdata))
#define PENDING_BUCKETS	1024

struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;
	short		 events;
	const char	*name;
	void		(*dispatch)(struct imsgev *);
};

/* The sockets the parent passed for one interface. */
struct dsock {
	TAILQ_ENTRY(dsock)	 entry;
	char			 ifname[IF_NAMESIZE];
	uint32_t		 ifindex;
	int			 pktfd;
	int			 udpfd;
	struct event		 ev;
	int			 ev_added;
	struct iface		*ifp;
};

static void	 imsg_event_add(struct imsgev *);
static struct dsock *dsock_find(const char *);
static void	 imsgev_cb(int, short, void *);
static void	 dispatch_parent(struct imsgev *);
static void	 dispatch_routed(struct imsgev *);
static void	 rx_cb(int, short, void *);
static void	 dsock_arm(struct dsock *);
static void	 check_ready(void);

static struct imsgev		 iev_parent, iev_routed;
static struct dhcpd_conf	*conf, *nconf;
static struct iface		*niface;
static struct subnet		*nsubnet;
static TAILQ_HEAD(, dsock)	 dsocks = TAILQ_HEAD_INITIALIZER(dsocks);
static TAILQ_HEAD(outq, dhcp4_out) pending[PENDING_BUCKETS];
static struct outq		 out_free = TAILQ_HEAD_INITIALIZER(out_free);
static struct lease_db		*leases;
static struct event		 ev_timer, ev_sigterm, ev_sigint;
static uint32_t			 store_token;
static int			 restore_done, ready;
static struct log_ratelimit	 rl_rx = { .what = "packets dropped" };
static struct log_ratelimit	 rl_tx = { .what = "send failures" };
static struct log_ratelimit	 rl_store = { .what = "leases not stored" };

/*
 * Routes to relayed subnets that dhcpd asked the parent for, so that
 * each is asked once; a refusal is logged and not asked again until the
 * next configuration.  The index plus one is the imsg's peerid.
 */
#define RELAY_ROUTES_MAX	256
static struct imsg_route	 relay_routes[RELAY_ROUTES_MAX];
static size_t			 nrelay_routes;
static struct log_ratelimit	 rl_route = { .what = "routes" };

/* recvmmsg(2) slots: room for a packet, its sender and PACKET_AUXDATA. */
struct rxslot {
	uint8_t			 buf[DHCP4_MAX_PKT + 60 + 8];
	struct sockaddr_ll	 sll;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[RX_CBUF];
	}			 cbuf;
};
static struct rxslot		 rxslots[RX_VEC];
static struct mmsghdr		 rxmsgs[RX_VEC];
/* Set while a receive batch runs: its lease records go out at its end. */
static int			 rx_batching;
static uint8_t			 txbuf[DHCP4_MAX_REPLY + IPV4_UDP_HDRLEN];

int64_t
dhcpd_now(void)
{
	return (int64_t)time(NULL);
}

/* Persistent, and changed only when needed: each change is a syscall. */
static void
imsg_event_add(struct imsgev *iev)
{
	short	 events = EV_READ | EV_PERSIST;

	if (iev->ibuf.w.queued)
		events |= EV_WRITE;
	if (events == iev->events)
		return;
	iev->events = events;
	event_del(&iev->ev);
	event_set(&iev->ev, iev->ibuf.fd, iev->events, imsgev_cb, iev);
	event_add(&iev->ev, NULL);
}

static void
imsgev_cb(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	ssize_t		 n;

	(void)fd;
	if (event & EV_READ) {
		if ((n = imsg_read(&iev->ibuf)) == -1 && errno != EAGAIN)
			fatal("%s: imsg_read", iev->name);
		if (n == 0)
			fatalx("%s: pipe closed", iev->name);
		iev->dispatch(iev);
	}
	if (event & EV_WRITE) {
		if (msgbuf_write(&iev->ibuf.w) == -1 && errno != EAGAIN)
			fatal("%s: msgbuf_write", iev->name);
	}
	imsg_event_add(iev);
}

static void
imsgev_init(struct imsgev *iev, int fd, const char *name,
    void (*dispatch)(struct imsgev *))
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl %s", name);
	imsg_init(&iev->ibuf, fd);
	iev->name = name;
	iev->dispatch = dispatch;
	event_set(&iev->ev, fd, EV_READ, imsgev_cb, iev);
	event_add(&iev->ev, NULL);
}

static void
compose_parent(uint32_t type, uint32_t peerid, const void *data,
    size_t len)
{
	if (imsg_compose(&iev_parent.ibuf, type, peerid, 0, -1, data,
	    len) == -1)
		fatal("%s", __func__);
	imsg_event_add(&iev_parent);
}

static void
relay_route_str(const struct imsg_route *r, char *buf, size_t len)
{
	char	 dst[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &r->dst4, dst, sizeof(dst));
	inet_ntop(AF_INET, &r->gw4, gw, sizeof(gw));
	snprintf(buf, len, "%s/%u via %s dev %s", dst, r->prefixlen, gw,
	    r->ifname);
}

/*
 * A relayed subnet is reached through its relay: asks the parent for a
 * route to network/prefixlen via the relay's address on ifname, once
 * per relay and subnet.
 */
void
dhcpd_relay_route(const char *ifname, struct in_addr network,
    uint8_t prefixlen, struct in_addr relay)
{
	struct imsg_route	 r;
	char			 buf[128];
	size_t			 i;

	memset(&r, 0, sizeof(r));
	r.kind = ROUTE_KIND_ROUTE;
	r.family = AF_INET;
	r.prefixlen = prefixlen;
	strlcpy(r.ifname, ifname, sizeof(r.ifname));
	r.dst4 = network;
	r.gw4 = relay;
	for (i = 0; i < nrelay_routes; i++)
		if (memcmp(&relay_routes[i], &r, sizeof(r)) == 0)
			return;
	relay_route_str(&r, buf, sizeof(buf));
	if (nrelay_routes == RELAY_ROUTES_MAX) {
		if (log_ratelimit_ok(&rl_route, 5, 60))
			log_warnx("%s: no room to ask for route %s", __func__,
			    buf);
		return;
	}
	relay_routes[nrelay_routes++] = r;
	log_debug("asking for route %s", buf);
	compose_parent(IMSG_ROUTE_ADD, nrelay_routes, &r, sizeof(r));
}

static void
relay_route_result(struct imsg *imsg)
{
	struct imsg_kernel_result	 res;
	uint32_t			 id = imsg_get_peerid(imsg);
	char				 buf[128];

	if (imsg_get_data(imsg, &res, sizeof(res)) == -1 ||
	    !MCGW_STR_OK(res.message) || res.type != IMSG_ROUTE_ADD)
		fatalx("%s: invalid IMSG_KERNEL_RESULT", __func__);
	/* A result for a table that a reconfiguration emptied. */
	if (id == 0 || id > nrelay_routes)
		return;
	relay_route_str(&relay_routes[id - 1], buf, sizeof(buf));
	if (res.code == 0) {
		log_info("route %s installed", buf);
		return;
	}
	/*
	 * The entry stays, so the route is not asked again: only a new
	 * configuration can change the parent's answer.
	 */
	log_warnx("route %s not installed: %s", buf, res.message);
}

static void
compose_routed(uint32_t type, uint32_t peerid, const void *data,
    size_t len)
{
	if (imsg_compose(&iev_routed.ibuf, type, peerid, 0, -1, data,
	    len) == -1)
		fatal("%s", __func__);
	if (!rx_batching)
		imsg_event_add(&iev_routed);
}

/* Replies waiting for routed to confirm their lease is on disk. */
struct dhcp4_out *
dhcpd_out_get(void)
{
	struct dhcp4_out *out;

	if ((out = TAILQ_FIRST(&out_free)) != NULL) {
		TAILQ_REMOVE(&out_free, out, entry);
		return out;
	}
	if ((out = malloc(sizeof(*out))) == NULL)
		fatal("%s", __func__);
	return out;
}

void
dhcpd_out_put(struct dhcp4_out *out)
{
	TAILQ_INSERT_HEAD(&out_free, out, entry);
}

void
dhcpd_store(const struct lease *l, const char *ifname, struct dhcp4_out *out)
{
	struct imsg_lease4 rec;

	if (++store_token == 0)
		store_token = 1;
	lease_to_imsg(l, ifname, &rec);
	compose_routed(IMSG_LEASE_STORE, store_token, &rec, sizeof(rec));
	if (out != NULL) {
		out->token = store_token;
		TAILQ_INSERT_TAIL(&pending[store_token % PENDING_BUCKETS], out,
		    entry);
	}
}

static struct dhcp4_out *
pending_take(uint32_t token)
{
	struct outq	 *q = &pending[token % PENDING_BUCKETS];
	struct dhcp4_out *out;

	TAILQ_FOREACH(out, q, entry)
		if (out->token == token) {
			TAILQ_REMOVE(q, out, entry);
			return out;
		}
	return NULL;
}

static void
lease_stored(uint32_t token, int ok)
{
	struct dhcp4_out *out;

	out = pending_take(token);
	if (ok) {
		if (out != NULL)
			dhcpd_send(out);
	} else if (out != NULL) {
		if (log_ratelimit_ok(&rl_store, 5, 60))
			log_warnx("storing lease %s failed, DHCPACK not sent",
			    inet_ntoa(out->lease_addr));
		dhcp4_store_failed(out->lease_addr, out->lease_prev_end);
	} else if (log_ratelimit_ok(&rl_store, 5, 60))
		log_warnx("storing a lease change failed (token %u)", token);
	if (out != NULL)
		dhcpd_out_put(out);
}

/* Configuration, built aside and swapped in at IMSG_RECONF_END. */
static void *
grow(void *v, size_t n, size_t size)
{
	if ((v = reallocarray(v, n + 1, size)) == NULL)
		fatal("%s", __func__);
	return v;
}

static void
reconf_need(int have, const char *what, uint32_t type)
{
	if (!have)
		fatalx("%s: %s without %s", __func__, imsg_type_name(type),
		    what);
}

static void
reconf_swap(void)
{
	struct dsock	*ds;
	struct iface	*ifp;

	dhcp4_set_conf(NULL);
	dhcp4_conf_free(conf);
	conf = nconf;
	nconf = NULL;
	niface = NULL;
	nsubnet = NULL;
	dhcp4_conf_pools(conf);
	dhcp4_set_conf(conf);
	/* The subnets may have changed: ask again as relays are served. */
	nrelay_routes = 0;
	TAILQ_FOREACH(ds, &dsocks, entry) {
		ds->ifp = NULL;
		TAILQ_FOREACH(ifp, &conf->ifaces, entry)
			if (strcmp(ifp->i.name, ds->ifname) == 0)
				ds->ifp = ifp;
		dsock_arm(ds);
	}
	log_info("configuration loaded, %zu leases known",
	    lease_db_count(leases));
	check_ready();
}

static void
reconf_imsg(struct imsg *imsg)
{
	uint32_t	 type = imsg_get_type(imsg);
	struct subnet	*sn = nsubnet;

	switch (type) {
	case IMSG_RECONF_CONF:
		if (nconf != NULL)
			fatalx("%s: configuration restarted", __func__);
		if ((nconf = calloc(1, sizeof(*nconf))) == NULL)
			fatal("%s", __func__);
		TAILQ_INIT(&nconf->ifaces);
		if (imsg_get_data(imsg, &nconf->c, sizeof(nconf->c)) == -1 ||
		    !MCGW_STR_OK(nconf->c.state_dir) ||
		    !MCGW_STR_OK(nconf->c.uplink))
			fatalx("%s: invalid IMSG_RECONF_CONF", __func__);
		break;
	case IMSG_RECONF_IFACE:
		reconf_need(nconf != NULL, "configuration", type);
		if ((niface = calloc(1, sizeof(*niface))) == NULL)
			fatal("%s", __func__);
		TAILQ_INIT(&niface->subnets);
		TAILQ_INSERT_TAIL(&nconf->ifaces, niface, entry);
		nsubnet = NULL;
		if (imsg_get_data(imsg, &niface->i, sizeof(niface->i)) == -1 ||
		    !MCGW_STR_OK(niface->i.name) || niface->i.prefixlen > 32)
			fatalx("%s: invalid IMSG_RECONF_IFACE", __func__);
		break;
	case IMSG_RECONF_SUBNET:
		reconf_need(niface != NULL, "interface", type);
		if ((sn = calloc(1, sizeof(*sn))) == NULL)
			fatal("%s", __func__);
		sn->iface = niface;
		TAILQ_INSERT_TAIL(&niface->subnets, sn, entry);
		nsubnet = sn;
		if (imsg_get_data(imsg, &sn->s, sizeof(sn->s)) == -1 ||
		    sn->s.prefixlen > 32)
			fatalx("%s: invalid IMSG_RECONF_SUBNET", __func__);
		break;
	case IMSG_RECONF_RANGE:
		reconf_need(sn != NULL, "subnet", type);
		sn->ranges = grow(sn->ranges, sn->nranges, sizeof(*sn->ranges));
		if (imsg_get_data(imsg, &sn->ranges[sn->nranges],
		    sizeof(*sn->ranges)) == -1)
			fatalx("%s: invalid IMSG_RECONF_RANGE", __func__);
		sn->nranges++;
		break;
	case IMSG_RECONF_OPTION:
		reconf_need(sn != NULL, "subnet", type);
		sn->options = grow(sn->options, sn->noptions,
		    sizeof(*sn->options));
		if (imsg_get_data(imsg, &sn->options[sn->noptions],
		    sizeof(*sn->options)) == -1)
			fatalx("%s: invalid IMSG_RECONF_OPTION", __func__);
		sn->noptions++;
		break;
	case IMSG_RECONF_HOST:
		reconf_need(sn != NULL, "subnet", type);
		sn->hosts = grow(sn->hosts, sn->nhosts, sizeof(*sn->hosts));
		if (imsg_get_data(imsg, &sn->hosts[sn->nhosts].h,
		    sizeof(sn->hosts[0].h)) == -1 ||
		    !MCGW_STR_OK(sn->hosts[sn->nhosts].h.name) ||
		    sn->hosts[sn->nhosts].h.hlen > MCGW_MAX_HWLEN)
			fatalx("%s: invalid IMSG_RECONF_HOST", __func__);
		sn->nhosts++;
		break;
	case IMSG_RECONF_END:
		reconf_need(nconf != NULL, "configuration", type);
		if (imsg_get_len(imsg) != 0)
			fatalx("%s: invalid IMSG_RECONF_END", __func__);
		reconf_swap();
		break;
	}
}

/* Sockets. */
/* Reads the packet socket only while it serves a configured interface. */
static void
dsock_arm(struct dsock *ds)
{
	int	 want = ready && ds->pktfd != -1 && ds->ifp != NULL;

	if (ds->ev_added && !want) {
		event_del(&ds->ev);
		ds->ev_added = 0;
	} else if (!ds->ev_added && want) {
		event_set(&ds->ev, ds->pktfd, EV_READ | EV_PERSIST, rx_cb,
		    ds);
		event_add(&ds->ev, NULL);
		ds->ev_added = 1;
	}
}

static void
dsock_set(struct imsg *imsg, int udp)
{
	struct imsg_socket is;
	struct dsock	*ds;
	struct iface	*ifp;
	int		 fd;

	if (imsg_get_data(imsg, &is, sizeof(is)) == -1 ||
	    !MCGW_STR_OK(is.ifname))
		fatalx("%s: invalid %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: %s without a descriptor", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	if ((ds = dsock_find(is.ifname)) == NULL) {
		if ((ds = calloc(1, sizeof(*ds))) == NULL)
			fatal("%s", __func__);
		strlcpy(ds->ifname, is.ifname, sizeof(ds->ifname));
		ds->pktfd = ds->udpfd = -1;
		TAILQ_INSERT_TAIL(&dsocks, ds, entry);
	}
	ds->ifindex = is.ifindex;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		log_warn("%s: fcntl %s", __func__, is.ifname);
	if (udp) {
		if (ds->udpfd != -1)
			close(ds->udpfd);
		ds->udpfd = fd;
	} else {
		if (ds->ev_added) {
			event_del(&ds->ev);
			ds->ev_added = 0;
		}
		if (ds->pktfd != -1)
			close(ds->pktfd);
		ds->pktfd = fd;
	}
	ds->ifp = NULL;
	if (conf != NULL)
		TAILQ_FOREACH(ifp, &conf->ifaces, entry)
			if (strcmp(ifp->i.name, ds->ifname) == 0)
				ds->ifp = ifp;
	log_debug("%s: %s socket for %s", __func__, udp ? "UDP" : "packet",
	    ds->ifname);
	dsock_arm(ds);
}

/*
 * Closes the sockets of an interface that left the configuration or
 * whose link went away or changed, because they are bound to the old
 * link or follow a renamed one.
 */
static void
dsock_close(struct imsg *imsg)
{
	struct imsg_socket	 is;
	struct dsock		*ds;

	if (imsg_get_data(imsg, &is, sizeof(is)) == -1 ||
	    !MCGW_STR_OK(is.ifname))
		fatalx("%s: invalid IMSG_DHCP4_CLOSE", __func__);
	if ((ds = dsock_find(is.ifname)) == NULL)
		return;
	if (ds->ev_added)
		event_del(&ds->ev);
	if (ds->pktfd != -1)
		close(ds->pktfd);
	if (ds->udpfd != -1)
		close(ds->udpfd);
	TAILQ_REMOVE(&dsocks, ds, entry);
	free(ds);
	log_debug("%s: sockets closed", is.ifname);
}

static void
dispatch_parent(struct imsgev *iev)
{
	struct imsg	 imsg;
	ssize_t		 n;
	int		 verbose;

	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("%s: imsg_get", __func__);
		if (n == 0)
			break;
		switch (imsg_get_type(&imsg)) {
		case IMSG_RECONF_CONF:
		case IMSG_RECONF_IFACE:
		case IMSG_RECONF_SUBNET:
		case IMSG_RECONF_RANGE:
		case IMSG_RECONF_OPTION:
		case IMSG_RECONF_HOST:
		case IMSG_RECONF_END:
			reconf_imsg(&imsg);
			break;
		case IMSG_DHCP4_SOCKETS:
			dsock_set(&imsg, 0);
			break;
		case IMSG_DHCP4_UDP:
			dsock_set(&imsg, 1);
			break;
		case IMSG_DHCP4_CLOSE:
			dsock_close(&imsg);
			break;
		case IMSG_KERNEL_RESULT:
			relay_route_result(&imsg);
			break;
		case IMSG_CTL_LOG_VERBOSE:
			if (imsg_get_data(&imsg, &verbose,
			    sizeof(verbose)) == -1)
				fatalx("%s: invalid IMSG_CTL_LOG_VERBOSE",
				    __func__);
			log_setverbose(verbose);
			break;
		default:
			fatalx("%s: unexpected %s", __func__,
			    imsg_type_name(imsg_get_type(&imsg)));
		}
		imsg_free(&imsg);
	}
}

static void
dispatch_routed(struct imsgev *iev)
{
	struct imsg_lease4 rec;
	struct imsg	 imsg;
	struct in_addr	 addr;
	struct imsg_binding_hold hold;
	ssize_t		 n;
	uint32_t	 type;

	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("%s: imsg_get", __func__);
		if (n == 0)
			break;
		type = imsg_get_type(&imsg);
		switch (type) {
		case IMSG_LEASE_RESTORE:
			if (imsg_get_data(&imsg, &rec, sizeof(rec)) == -1 ||
			    !MCGW_STR_OK(rec.ifname) ||
			    !MCGW_STR_OK(rec.hostname) ||
			    rec.hlen > MCGW_MAX_HWLEN)
				fatalx("%s: invalid IMSG_LEASE_RESTORE",
				    __func__);
			dhcp4_restore(&rec);
			break;
		case IMSG_LEASE_RESTORE_END:
			if (imsg_get_len(&imsg) != 0)
				fatalx("%s: invalid %s", __func__,
				    imsg_type_name(type));
			restore_done = 1;
			log_info("lease restore done, %zu leases",
			    lease_db_count(leases));
			check_ready();
			break;
		case IMSG_LEASE_RELEASE:
			if (imsg_get_data(&imsg, &addr, sizeof(addr)) == -1)
				fatalx("%s: invalid IMSG_LEASE_RELEASE",
				    __func__);
			dhcp4_release(addr);
			break;
		case IMSG_BINDING_HOLD:
			if (imsg_get_data(&imsg, &hold, sizeof(hold)) == -1 ||
			    hold.hold > 1)
				fatalx("%s: invalid %s", __func__,
				    imsg_type_name(type));
			dhcp4_hold(hold.addr, hold.hold);
			break;
		case IMSG_LEASE_STORED:
		case IMSG_LEASE_STORE_FAILED:
			if (imsg_get_len(&imsg) != 0)
				fatalx("%s: invalid %s", __func__,
				    imsg_type_name(type));
			lease_stored(imsg_get_peerid(&imsg),
			    type == IMSG_LEASE_STORED);
			break;
		default:
			fatalx("%s: unexpected %s", __func__,
			    imsg_type_name(type));
		}
		imsg_free(&imsg);
	}
}

static void
timer_cb(int fd, short event, void *arg)
{
	struct timeval	 tv = { 1, 0 };

	(void)fd;
	(void)event;
	(void)arg;
	dhcp4_expire(dhcpd_now());
	evtimer_add(&ev_timer, &tv);
}

/* RFC 2131 4.3: no client is answered before leases are restored. */
static void
check_ready(void)
{
	struct dsock	*ds;

	if (ready || conf == NULL || !restore_done)
		return;
	ready = 1;
	compose_routed(IMSG_DHCPD_READY, 0, NULL, 0);
	TAILQ_FOREACH(ds, &dsocks, entry)
		dsock_arm(ds);
	timer_cb(-1, 0, NULL);
	log_info("serving DHCP clients");
}

/* The Internet checksum's one's-complement sum, not yet folded. */
static uint32_t
cksum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t	*p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len == 1)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t
cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t
udp_cksum(const struct iphdr *ip, const void *udp, size_t ulen)
{
	uint32_t	 sum = 0;

	sum = cksum_add(sum, &ip->saddr, 4);
	sum = cksum_add(sum, &ip->daddr, 4);
	sum += IPPROTO_UDP + ulen;
	sum = cksum_add(sum, udp, ulen);
	return cksum_fold(sum);
}

static void
rx_drop(const struct dsock *ds, const char *why)
{
	if (log_ratelimit_ok(&rl_rx, 5, 60))
		log_warnx("%s: packet dropped: %s", ds->ifname, why);
}

/*
 * Checks the IPv4 and UDP headers and finds the DHCP payload.  Returns
 * why the packet is dropped, or NULL.
 */
static const char *
rx_check(uint8_t *buf, size_t n, int csum_ok, size_t *off, size_t *len,
    struct in_addr *src, struct in_addr *dst)
{
	struct iphdr	*ip = (struct iphdr *)buf;
	struct udphdr	*uh;
	size_t		 ihl, tot, ulen;

	if (n < sizeof(*ip) || ip->version != 4)
		return "not IPv4";
	ihl = ip->ihl * 4;
	tot = ntohs(ip->tot_len);
	if (ihl < sizeof(*ip) || tot < ihl + sizeof(*uh) || tot > n)
		return "invalid IPv4 length";
	if (cksum_fold(cksum_add(0, ip, ihl)) != 0)
		return "invalid IPv4 header checksum";
	if (ntohs(ip->frag_off) & (IP_MF | IP_OFFMASK))
		return "IPv4 fragment";
	if (ip->protocol != IPPROTO_UDP)
		return "not UDP";
	uh = (struct udphdr *)(buf + ihl);
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ihl + ulen > tot)
		return "invalid UDP length";
	if (ntohs(uh->dest) != DHCP4_SERVER_PORT)
		return "not to port 67";
	if (uh->check != 0 && !csum_ok && udp_cksum(ip, uh, ulen) != 0)
		return "invalid UDP checksum";
	src->s_addr = ip->saddr;
	dst->s_addr = ip->daddr;
	*off = ihl + sizeof(*uh);
	*len = ulen - sizeof(*uh);
	return NULL;
}

static void
rx_packet(struct dsock *ds, uint8_t *buf, size_t n, int csum_ok)
{
	const char	*why;
	struct in_addr	 src, dst;
	size_t		 off, len;

	if ((why = rx_check(buf, n, csum_ok, &off, &len, &src,
	    &dst)) != NULL) {
		rx_drop(ds, why);
		return;
	}
	dhcp4_receive(ds->ifp, buf + off, len, src, dst);
}

/* Checks one received packet, with PACKET_AUXDATA for its checksum state. */
static void
rx_one(struct dsock *ds, struct rxslot *rs, struct mmsghdr *mm)
{
	struct msghdr		*msg = &mm->msg_hdr;
	struct tpacket_auxdata	*aux;
	struct cmsghdr		*cm;
	int			 csum_ok = 0;

	if (rs->sll.sll_pkttype == PACKET_OUTGOING)
		return;
	if (msg->msg_flags & MSG_TRUNC) {
		rx_drop(ds, "packet too long");
		return;
	}
	/* Offloaded checksums are not filled in yet: trust them. */
	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_PACKET ||
		    cm->cmsg_type != PACKET_AUXDATA ||
		    cm->cmsg_len < CMSG_LEN(sizeof(*aux)))
			continue;
		aux = (struct tpacket_auxdata *)CMSG_DATA(cm);
		if (aux->tp_status & TP_STATUS_CSUMNOTREADY)
			csum_ok = 1;
	}
	rx_packet(ds, rs->buf, mm->msg_len, csum_ok);
}

/*
 * Reads up to RX_VEC packets per recvmmsg(2).  A short read means the
 * socket is empty, so the loop stops without the call that would return
 * EAGAIN.  The level-triggered event calls us again when more arrive.
 */
static void
rx_cb(int fd, short event, void *arg)
{
	struct dsock	*ds = arg;
	struct msghdr	*msg;
	int		 i, n, done;

	(void)event;
	rx_batching = 1;
	for (done = 0; done < RX_BATCH && ds->ifp != NULL; done += n) {
		for (i = 0; i < RX_VEC; i++) {
			msg = &rxmsgs[i].msg_hdr;
			memset(msg, 0, sizeof(*msg));
			rxslots[i].iov.iov_base = rxslots[i].buf;
			rxslots[i].iov.iov_len = sizeof(rxslots[i].buf);
			msg->msg_name = &rxslots[i].sll;
			msg->msg_namelen = sizeof(rxslots[i].sll);
			msg->msg_iov = &rxslots[i].iov;
			msg->msg_iovlen = 1;
			msg->msg_control = rxslots[i].cbuf.buf;
			msg->msg_controllen = sizeof(rxslots[i].cbuf.buf);
		}
		if ((n = recvmmsg(fd, rxmsgs, RX_VEC, MSG_DONTWAIT,
		    NULL)) == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    log_ratelimit_ok(&rl_rx, 5, 60))
				log_warn("%s: recvmmsg", ds->ifname);
			break;
		}
		for (i = 0; i < n && ds->ifp != NULL; i++)
			rx_one(ds, &rxslots[i], &rxmsgs[i]);
		if (n < RX_VEC)
			break;
	}
	rx_batching = 0;
	/* The batch's lease records go to routed now, not after a wake-up. */
	if (iev_routed.ibuf.w.queued > 0) {
		if (msgbuf_write(&iev_routed.ibuf.w) == -1 && errno != EAGAIN)
			fatal("%s: msgbuf_write", __func__);
		imsg_event_add(&iev_routed);
	}
}

/* Sending, by the rules of RFC 2131 4.1 (see reply_dest in dhcp4.c). */
static struct dsock *
dsock_find(const char *ifname)
{
	struct dsock	*ds;

	TAILQ_FOREACH(ds, &dsocks, entry)
		if (strcmp(ds->ifname, ifname) == 0)
			return ds;
	return NULL;
}

static void
send_udp(struct dsock *ds, struct dhcp4_out *out)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = out->dst;
	sin.sin_port = htons(out->dest == DEST_RELAY ? DHCP4_SERVER_PORT :
	    DHCP4_CLIENT_PORT);
	if (ds->udpfd == -1) {
		if (log_ratelimit_ok(&rl_tx, 5, 60))
			log_warnx("%s: no UDP socket, reply dropped",
			    ds->ifname);
		return;
	}
	if (sendto(ds->udpfd, out->buf, out->len, 0,
	    (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    log_ratelimit_ok(&rl_tx, 5, 60))
		log_warn("%s: sendto %s", ds->ifname, inet_ntoa(out->dst));
}

static void
send_packet(struct dsock *ds, struct dhcp4_out *out)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct sockaddr_ll sll;
	struct iphdr	*ip = (struct iphdr *)txbuf;
	struct udphdr	*uh = (struct udphdr *)(txbuf + sizeof(*ip));
	size_t		 ulen = sizeof(*uh) + out->len;

	if (ds->pktfd == -1) {
		if (log_ratelimit_ok(&rl_tx, 5, 60))
			log_warnx("%s: no packet socket, reply dropped",
			    ds->ifname);
		return;
	}
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tot_len = htons(sizeof(*ip) + ulen);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = out->src.s_addr;
	ip->daddr = out->dest == DEST_HWADDR ? out->dst.s_addr :
	    INADDR_BROADCAST;
	ip->check = htons(cksum_fold(cksum_add(0, ip, sizeof(*ip))));
	uh->source = htons(DHCP4_SERVER_PORT);
	uh->dest = htons(DHCP4_CLIENT_PORT);
	uh->len = htons(ulen);
	uh->check = 0;
	memcpy(txbuf + sizeof(*ip) + sizeof(*uh), out->buf, out->len);
	uh->check = htons(udp_cksum(ip, uh, ulen));
	if (uh->check == 0)
		uh->check = 0xffff;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = ds->ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, out->dest == DEST_HWADDR ? out->hwaddr : bcast,
	    6);
	if (sendto(ds->pktfd, txbuf, sizeof(*ip) + ulen, 0,
	    (struct sockaddr *)&sll, sizeof(sll)) == -1 &&
	    log_ratelimit_ok(&rl_tx, 5, 60))
		log_warn("%s: sendto", ds->ifname);
}

void
dhcpd_send(struct dhcp4_out *out)
{
	struct dsock	*ds;

	if ((ds = dsock_find(out->ifname)) == NULL) {
		if (log_ratelimit_ok(&rl_tx, 5, 60))
			log_warnx("%s: no sockets, reply dropped",
			    out->ifname);
		return;
	}
	if (out->dest == DEST_RELAY || out->dest == DEST_CIADDR)
		send_udp(ds, out);
	else
		send_packet(ds, out);
}

static void
sig_cb(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	log_info("exiting on signal %d", sig);
	exit(0);
}

int
main(int argc, char *argv[])
{
	struct sandbox_args	 args;
	int			 i;

	sandbox_args_parse(argc, argv, &args);

	log_init(args.debug, args.verbose, "dhcpd");
	for (i = 0; i < PENDING_BUCKETS; i++)
		TAILQ_INIT(&pending[i]);
	leases = lease_db_new();
	dhcp4_init(leases);

	/* Every descriptor and the event base exist before the sandbox. */
	event_init();
	imsgev_init(&iev_parent, MCGW_FD_PARENT, "parent", dispatch_parent);
	imsgev_init(&iev_routed, MCGW_FD_SIBLING, "routed", dispatch_routed);
	/* Only the parent passes descriptors (packet and UDP sockets). */
	imsgbuf_allow_fdpass(&iev_parent.ibuf);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, sig_cb, NULL);
	signal_set(&ev_sigint, SIGINT, sig_cb, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	evtimer_set(&ev_timer, timer_cb, NULL);

	sandbox_enter(SANDBOX_DHCPD, MCGW_USER, args.root,
	    args.seccomp_debug);
	log_info("started");
	event_dispatch();
	fatalx("event loop ended");
}
