/*
 * DHCPv4 server logic (RFC 2131, RFC 4039 rapid commit, RFC 6842
 * client identifier echo, RFC 3046 relay agent information).
 */

#include <sys/types.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "dhcpd.h"

/* One request being served. */
struct req {
	const struct dhcp4_packet *pkt;
	struct iface		*ifp;
	struct subnet		*sn;
	const struct host	*host;
	struct lease_client	 client;
	uint8_t			 keybuf[MCGW_MAX_CIDLEN + 1];
	char			 mac[3 * MCGW_MAX_HWLEN + 1];
	char			 hostname[MCGW_HOSTNAME_LEN];
	int			 broadcast_dst;	/* sent to 255.255.255.255 */
	int64_t			 now;
};

static struct lease_db		*db;
static struct dhcpd_conf	*conf;
static struct dhcp4_packet	 rxpkt;

static void	lease_log(struct lease *, int64_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Any host on the link can cause the lines below at will, so outside
 * verbose mode each kind is logged at most LOG_BURST times per
 * LOG_WINDOW seconds, and a count of the rest follows.
 */
#define LOG_BURST		5
#define LOG_WINDOW		60
static struct log_ratelimit	 rl_drop = { .what = "dropped DHCP requests" };
static struct log_ratelimit	 rl_full = { .what = "no free address" };
static struct log_ratelimit	 rl_nak = { .what = "DHCPNAK" };
static struct log_ratelimit	 rl_decline = { .what = "DHCPDECLINE" };
static struct log_ratelimit	 rl_options = { .what = "too many options" };

/*
 * The lease records (DHCPACK, DHCPRELEASE) are the operator's account of
 * who held an address, so they are not limited as a class, where a flood
 * would hide the records of other clients.  Instead each address has a
 * budget of LEASE_LOG_BURST records per LEASE_LOG_WINDOW seconds, more
 * than a client in a normal exchange needs.  One client in a loop
 * (REQUEST after REQUEST, or REQUEST and RELEASE in turn) goes past it,
 * so its further records go to the debug level and into rl_lease's
 * count.  The number of addresses in the pools bounds the total.
 */
#define LEASE_LOG_BURST		4
#define LEASE_LOG_WINDOW	60
static struct log_ratelimit	 rl_lease = {
	.what = "repeated lease records of one address"
};

static void
req_drop(const struct req *r, const char *why)
{
	if (log_ratelimit_ok(&rl_drop, LOG_BURST, LOG_WINDOW))
		log_warnx("%s: %s from %s dropped: %s", r->ifp->i.name,
		    r->pkt->msgtype == 0 ? "packet" : "request", r->mac,
		    why);
}

/* Logs a lease record of l at the info level within its budget. */
static void
lease_log(struct lease *l, int64_t now, const char *fmt, ...)
{
	char	 line[MCGW_HOSTNAME_LEN + 256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_budget_ok(&l->log_window, &l->log_lines, now, LEASE_LOG_BURST,
	    LEASE_LOG_WINDOW)) {
		log_info("%s", line);
		return;
	}
	log_ratelimit_held(&rl_lease, LEASE_LOG_WINDOW);
	log_debug("%s", line);
}

void
dhcp4_init(struct lease_db *ldb)
{
	db = ldb;
}

void
dhcp4_set_conf(struct dhcpd_conf *nconf)
{
	conf = nconf;
}

static int
in_subnet(const struct subnet *sn, struct in_addr a)
{
	uint32_t	 mask;

	mask = sn->s.prefixlen == 0 ? 0 :
	    0xffffffffU << (32 - sn->s.prefixlen);
	return ((ntohl(a.s_addr) ^ ntohl(sn->s.network.s_addr)) & mask) == 0;
}

/*
 * RFC 2131 4.3.1: giaddr names the client's network, else the arrival
 * link does.  A relay on the interface's own subnet selects that one.
 */
static struct subnet *
subnet_select(struct iface *ifp, struct in_addr giaddr)
{
	struct subnet	*sn;

	if (giaddr.s_addr == INADDR_ANY) {
		sn = TAILQ_FIRST(&ifp->subnets);
		return sn != NULL && !sn->s.relayed ? sn : NULL;
	}
	TAILQ_FOREACH(sn, &ifp->subnets, entry)
		if (in_subnet(sn, giaddr))
			return sn;
	return NULL;
}

static struct subnet *
subnet_for_addr(struct in_addr a)
{
	struct iface	*ifp;
	struct subnet	*sn;

	if (conf == NULL)
		return NULL;
	TAILQ_FOREACH(ifp, &conf->ifaces, entry)
		TAILQ_FOREACH(sn, &ifp->subnets, entry)
			if (in_subnet(sn, a))
				return sn;
	return NULL;
}

static const char *
ifname_for_addr(struct in_addr a)
{
	struct subnet	*sn;

	return (sn = subnet_for_addr(a)) != NULL ? sn->iface->i.name : NULL;
}

/* XXX a linear scan: fine for tens of hosts, not for thousands. */
static const struct host *
host_select(const struct subnet *sn, const struct dhcp4_packet *pkt)
{
	const struct imsg_host *h;
	const uint8_t	*cid;
	size_t		 i, cidlen = 0;

	cid = dhcp4_opt_get(pkt, DHO_CLIENT_ID, &cidlen);
	for (i = 0; i < sn->nhosts; i++) {
		h = &sn->hosts[i].h;
		if (h->cidlen > 0) {
			if (cid != NULL && cidlen == h->cidlen &&
			    memcmp(cid, h->cid, cidlen) == 0)
				return &sn->hosts[i];
		} else if (h->htype == pkt->hdr.htype &&
		    h->hlen == pkt->hdr.hlen && h->hlen > 0 &&
		    memcmp(h->hwaddr, pkt->hdr.chaddr, h->hlen) == 0)
			return &sn->hosts[i];
	}
	return NULL;
}

/* The key is option 61 when it has a type and data, else htype+chaddr. */
static void
req_client(struct req *r)
{
	const struct dhcp4_packet *pkt = r->pkt;
	const uint8_t	*cid;
	size_t		 len, i;
	char		*p;

	memset(&r->client, 0, sizeof(r->client));
	r->client.htype = pkt->hdr.htype;
	r->client.hlen = pkt->hdr.hlen;
	r->client.chaddr = pkt->hdr.chaddr;
	cid = dhcp4_opt_get(pkt, DHO_CLIENT_ID, &len);
	if (cid != NULL && len >= 2 && len <= MCGW_MAX_CIDLEN) {
		memcpy(r->keybuf, cid, len);
		r->client.keylen = len;
		r->client.cid = 1;
	} else {
		r->keybuf[0] = pkt->hdr.htype;
		memcpy(r->keybuf + 1, pkt->hdr.chaddr, pkt->hdr.hlen);
		r->client.keylen = pkt->hdr.hlen + 1;
	}
	r->client.key = r->keybuf;

	p = r->mac;
	*p = '\0';
	for (i = 0; i < pkt->hdr.hlen; i++) {
		snprintf(p, 4, "%s%02x", i ? ":" : "", pkt->hdr.chaddr[i]);
		p += strlen(p);
	}
}

/* Option 12, made printable and truncated to fit the lease record. */
static void
req_hostname(struct req *r)
{
	const uint8_t	*name;
	size_t		 len;

	r->hostname[0] = '\0';
	if ((name = dhcp4_opt_get(r->pkt, DHO_HOST_NAME, &len)) == NULL ||
	    len == 0)
		return;
	if (len > 255)
		len = 255;
	mcgw_vis(r->hostname, sizeof(r->hostname), name, len);
}

static int
opt_addr(const struct dhcp4_packet *pkt, uint8_t code, struct in_addr *a)
{
	const uint8_t	*p;
	size_t		 len;

	if ((p = dhcp4_opt_get(pkt, code, &len)) == NULL || len != 4)
		return 0;
	memcpy(&a->s_addr, p, 4);
	return 1;
}

/* Lease time: option 51 clamped to the subnet's limits, else the default. */
static uint32_t
lease_time_for(const struct req *r)
{
	const uint8_t	*p;
	size_t		 len;
	uint32_t	 t;

	if ((p = dhcp4_opt_get(r->pkt, DHO_LEASE_TIME, &len)) == NULL ||
	    len != 4)
		return r->sn->s.lease_time;
	t = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	if (t < r->sn->s.min_lease_time)
		t = r->sn->s.min_lease_time;
	if (t > r->sn->s.max_lease_time)
		t = r->sn->s.max_lease_time;
	return t;
}

static int
prl_wants(const struct dhcp4_packet *pkt, uint8_t code)
{
	const uint8_t	*prl;
	size_t		 len;

	if ((prl = dhcp4_opt_get(pkt, DHO_PRL, &len)) == NULL)
		return 1;
	return memchr(prl, code, len) != NULL;
}

static const struct imsg_option *
conf_option(const struct subnet *sn, uint8_t code)
{
	size_t	 i;

	for (i = 0; i < sn->noptions; i++)
		if (sn->options[i].code == code)
			return &sn->options[i];
	return NULL;
}

static void
add_u32(struct dhcp4_optlist *ol, uint8_t code, uint32_t v)
{
	uint32_t	 n = htonl(v);

	dhcp4_optlist_add(ol, code, &n, 4, DHCP4_PRIO_HIGH);
}

/* Adds option code if it is 1, 3 or configured and the client gets it. */
static void
add_conf_option(struct dhcp4_optlist *ol, const struct req *r, uint8_t code)
{
	static const uint8_t always[] = { DHO_SUBNET_MASK, DHO_ROUTERS,
	    DHO_DNS, DHO_DOMAIN_NAME, DHO_MTU };
	const struct imsg_option *o;
	uint32_t	 mask;
	int		 requested;

	if (dhcp4_optlist_has(ol, code))
		return;
	o = conf_option(r->sn, code);
	if (o == NULL && code == DHO_SUBNET_MASK) {
		mask = r->sn->s.prefixlen == 0 ? 0 :
		    0xffffffffU << (32 - r->sn->s.prefixlen);
		add_u32(ol, DHO_SUBNET_MASK, mask);
		return;
	}
	if (o == NULL && code == DHO_ROUTERS && !r->sn->s.relayed) {
		dhcp4_optlist_add(ol, DHO_ROUTERS, &r->ifp->i.addr, 4,
		    prl_wants(r->pkt, DHO_ROUTERS) ? DHCP4_PRIO_HIGH :
		    DHCP4_PRIO_LOW);
		return;
	}
	if (o == NULL)
		return;
	requested = prl_wants(r->pkt, code);
	if (!requested && memchr(always, code, sizeof(always)) == NULL)
		return;
	if (dhcp4_optlist_add(ol, code, o->data, o->len,
	    requested && dhcp4_opt_present(r->pkt, DHO_PRL) ?
	    DHCP4_PRIO_HIGH : DHCP4_PRIO_LOW) == -1 &&
	    log_ratelimit_ok(&rl_options, LOG_BURST, LOG_WINDOW))
		log_warnx("%s: too many options, %u left out", __func__, code);
}

/*
 * Adds 1, 3 and the configured options: all of them without a PRL,
 * else what the PRL names plus 1, 3, 6, 15 and 26.  RFC 2132 9.8: the
 * server "MUST try to insert the requested options in the order
 * requested by the client", so the PRL's own order comes first.
 */
static void
add_conf_options(struct dhcp4_optlist *ol, const struct req *r)
{
	const uint8_t	*prl;
	size_t		 i, len;

	if ((prl = dhcp4_opt_get(r->pkt, DHO_PRL, &len)) != NULL)
		for (i = 0; i < len; i++)
			add_conf_option(ol, r, prl[i]);
	add_conf_option(ol, r, DHO_SUBNET_MASK);
	add_conf_option(ol, r, DHO_ROUTERS);
	for (i = 0; i < r->sn->noptions; i++)
		add_conf_option(ol, r, r->sn->options[i].code);
}

/* RFC 6842: echo option 61; RFC 3046: echo 82 only from a relay. */
static void
add_echo_options(struct dhcp4_optlist *ol, const struct req *r)
{
	const uint8_t	*p;
	size_t		 len;

	if ((p = dhcp4_opt_get(r->pkt, DHO_CLIENT_ID, &len)) != NULL)
		dhcp4_optlist_add(ol, DHO_CLIENT_ID, p, len, DHCP4_PRIO_HIGH);
	if (r->pkt->hdr.giaddr.s_addr != INADDR_ANY &&
	    (p = dhcp4_opt_get(r->pkt, DHO_RELAY_AGENT_INFO, &len)) != NULL)
		dhcp4_optlist_add(ol, DHO_RELAY_AGENT_INFO, p, len,
		    DHCP4_PRIO_HIGH);
}

/* RFC 2131 4.1: where a server sends its reply. */
static void
reply_dest(struct dhcp4_out *out, const struct req *r,
    const struct dhcp4_hdr *h, uint8_t type)
{
	const struct dhcp4_hdr *q = &r->pkt->hdr;

	if (q->giaddr.s_addr != INADDR_ANY) {
		out->dest = DEST_RELAY;
		out->dst = q->giaddr;
	} else if (type == DHCPNAK) {
		out->dest = DEST_BROADCAST;
	} else if (q->ciaddr.s_addr != INADDR_ANY) {
		out->dest = DEST_CIADDR;
		out->dst = q->ciaddr;
	} else if ((h->flags & DHCP4_FLAG_BROADCAST) == 0 &&
	    q->htype == 1 && q->hlen == 6) {
		out->dest = DEST_HWADDR;
		out->dst = h->yiaddr;
		memcpy(out->hwaddr, q->chaddr, 6);
	} else
		out->dest = DEST_BROADCAST;
}

/*
 * Builds a reply into out.  lease_time 0 leaves out 51, 58 and 59 (the
 * ACK to an INFORM must not carry 51).  Returns -1 if it does not fit.
 */
static int
reply_build(struct dhcp4_out *out, const struct req *r, uint8_t type,
    struct in_addr yiaddr, uint32_t lease_time, int rapid)
{
	struct dhcp4_optlist ol;
	struct dhcp4_hdr h;
	ssize_t		 n;
	const char	*msg = "address not available";

	h = r->pkt->hdr;
	h.op = BOOTREPLY;
	h.hops = 0;
	h.secs = 0;
	h.siaddr.s_addr = INADDR_ANY;
	h.yiaddr = yiaddr;
	if (type == DHCPOFFER || type == DHCPNAK)
		h.ciaddr.s_addr = INADDR_ANY;
	if (type == DHCPNAK) {
		h.yiaddr.s_addr = INADDR_ANY;
		/* RFC 2131 4.3.2: a NAK through a relay is broadcast. */
		if (h.giaddr.s_addr != INADDR_ANY)
			h.flags |= DHCP4_FLAG_BROADCAST;
	}

	dhcp4_optlist_init(&ol);
	dhcp4_optlist_add(&ol, DHO_MESSAGE_TYPE, &type, 1, DHCP4_PRIO_HIGH);
	dhcp4_optlist_add(&ol, DHO_SERVER_ID, &r->ifp->i.addr, 4,
	    DHCP4_PRIO_HIGH);
	if (type == DHCPNAK)
		dhcp4_optlist_add(&ol, DHO_MESSAGE, msg, strlen(msg),
		    DHCP4_PRIO_LOW);
	else {
		if (lease_time > 0) {
			add_u32(&ol, DHO_LEASE_TIME, lease_time);
			/* RFC 2131 4.4.5: T1 0.5 and T2 0.875 of the lease. */
			add_u32(&ol, DHO_T1, lease_time / 2);
			add_u32(&ol, DHO_T2,
			    (uint32_t)((uint64_t)lease_time * 7 / 8));
		}
		if (rapid)
			dhcp4_optlist_add(&ol, DHO_RAPID_COMMIT, NULL, 0,
			    DHCP4_PRIO_HIGH);
		add_conf_options(&ol, r);
	}
	add_echo_options(&ol, r);

	n = dhcp4_build(&h, &ol, dhcp4_max_reply(r->pkt), type != DHCPNAK,
	    out->buf, sizeof(out->buf));
	if (n == -1) {
		req_drop(r, "reply does not fit the message size");
		return -1;
	}
	out->len = n;
	out->token = 0;
	out->lease_addr.s_addr = INADDR_ANY;
	out->lease_prev_end = 0;
	strlcpy(out->ifname, r->ifp->i.name, sizeof(out->ifname));
	out->src = r->ifp->i.addr;
	reply_dest(out, r, &h, type);
	return 0;
}

/* Sends a reply that commits nothing. */
static void
reply_now(const struct req *r, uint8_t type, struct in_addr yiaddr,
    uint32_t lease_time)
{
	struct dhcp4_out *out;

	out = dhcpd_out_get();
	if (reply_build(out, r, type, yiaddr, lease_time, 0) == 0)
		dhcpd_send(out);
	dhcpd_out_put(out);
}

static void
send_nak(const struct req *r, struct in_addr addr, const char *why)
{
	struct in_addr	 none = { INADDR_ANY };

	if (log_ratelimit_ok(&rl_nak, LOG_BURST, LOG_WINDOW))
		log_info("%s: DHCPNAK %s to %s: %s", r->ifp->i.name,
		    inet_ntoa(addr), r->mac, why);
	reply_now(r, DHCPNAK, none, 0);
}

/*
 * Commits the binding, stores it and queues the ACK until routed has
 * written it (the ACK promises a durable binding).
 */
static void
commit_ack(const struct req *r, struct lease *l, uint32_t lease_time,
    int rapid)
{
	struct dhcp4_out *out;

	out = dhcpd_out_get();
	if (reply_build(out, r, DHCPACK, l->addr, lease_time, rapid) == -1) {
		dhcpd_out_put(out);
		return;
	}
	/* A renewal: the lease it extends stays valid if the store fails. */
	if (l->state == LEASE_ACTIVE)
		out->lease_prev_end = l->end;
	lease_set_client(db, l, &r->client);
	/* A renewal without option 12 keeps the name it had. */
	if (r->hostname[0] != '\0')
		lease_set_hostname(l, r->hostname);
	l->start = r->now;
	lease_set_state(db, l, LEASE_ACTIVE, r->now + lease_time);
	out->lease_addr = l->addr;
	lease_log(l, r->now, "%s: DHCPACK %s to %s%s%s%s", r->ifp->i.name,
	    inet_ntoa(l->addr), r->mac, r->hostname[0] ? " (" : "",
	    r->hostname, r->hostname[0] ? ")" : "");
	dhcpd_store(l, r->ifp->i.name, out);
}

/* Whether the client may have addr now (its own, or its fixed host). */
static int
client_owns(const struct req *r, struct in_addr addr, struct lease **lp)
{
	struct lease	*l;

	*lp = l = lease_find(db, addr);
	if (r->host != NULL) {
		if (r->host->h.fixed_addr.s_addr != addr.s_addr)
			return 0;
		/*
		 * No other client may take a fixed address, so after an
		 * operator's release (abandoned) of the host's own lease
		 * the host takes it back at once.  An abandoned lease of
		 * another device, which may still use the address, waits
		 * out the hold-down.  A declined one is in use by some
		 * other device.
		 */
		if (l == NULL || l->state == LEASE_FREE)
			return 1;
		if (l->state == LEASE_ABANDONED)
			return l->hwkey[0] == r->pkt->hdr.htype &&
			    l->hlen == r->pkt->hdr.hlen &&
			    memcmp(l->hwkey + 1, r->pkt->hdr.chaddr,
			    l->hlen) == 0;
		if (l->state == LEASE_DECLINED)
			return 0;
		return l->keylen == 0 || lease_key_equal(l, &r->client);
	}
	if (l == NULL || !lease_key_equal(l, &r->client) ||
	    r->sn->pool == NULL || !pool_in_range(r->sn->pool, addr))
		return 0;
	return l->state != LEASE_DECLINED && l->state != LEASE_ABANDONED;
}

static struct lease *
offer_select(const struct req *r)
{
	struct in_addr	 req = { INADDR_ANY };
	struct lease	*l;

	if (r->host != NULL) {
		if (!client_owns(r, r->host->h.fixed_addr, &l)) {
			req_drop(r, l != NULL && l->state == LEASE_DECLINED ?
			    "fixed address declined, waiting out decline-hold" :
			    "fixed address held by another client");
			return NULL;
		}
		return lease_get(db, r->host->h.fixed_addr);
	}
	if (r->sn->pool == NULL)
		return NULL;
	(void)opt_addr(r->pkt, DHO_REQUESTED_ADDR, &req);
	return pool_select(r->sn->pool, &r->client, req, r->now);
}

static void
handle_discover(const struct req *r)
{
	struct lease	*l;
	uint32_t	 lt;

	if ((l = offer_select(r)) == NULL) {
		if (log_ratelimit_ok(&rl_full, LOG_BURST, LOG_WINDOW))
			log_warnx("%s: no free address for %s", r->ifp->i.name,
			    r->mac);
		return;
	}
	if (l->state == LEASE_ACTIVE && lease_key_equal(l, &r->client) &&
	    l->end > r->now)
		lt = l->end - r->now;
	else
		lt = lease_time_for(r);

	/* RFC 4039 3: a rapid-commit DISCOVER gets a committing ACK. */
	if (dhcp4_opt_present(r->pkt, DHO_RAPID_COMMIT) &&
	    r->sn->s.rapid_commit) {
		commit_ack(r, l, lt, 1);
		return;
	}
	if (l->state == LEASE_FREE || l->state == LEASE_OFFERED) {
		lease_set_client(db, l, &r->client);
		lease_set_state(db, l, LEASE_OFFERED,
		    r->now + conf->c.offer_hold);
	}
	log_debug("%s: DHCPOFFER %s to %s", r->ifp->i.name,
	    inet_ntoa(l->addr), r->mac);
	reply_now(r, DHCPOFFER, l->addr, lt);
}

/* RFC 2131 4.3.2: the client chose another server's offer. */
static void
selecting_other(const struct req *r)
{
	struct lease	*l;

	l = lease_find_client(db, &r->client, r->sn->s.network,
	    r->sn->s.prefixlen);
	if (l != NULL && l->state == LEASE_OFFERED)
		lease_set_state(db, l, LEASE_FREE, r->now);
}

/*
 * RFC 2131 4.3.2: a SELECTING client names us, but we hold no offer
 * for it (we restarted since, or the offer timed out).  The server may
 * still commit the requested address if it is free: in a range of the
 * subnet, not reserved for a host, and not active, offered, held down,
 * declined or held by a binding for anyone else.  A client with a host
 * entry, or with another address offered or leased here, gets a NAK.
 */
static int
selecting_unknown(const struct req *r, struct in_addr addr)
{
	struct lease	*l;

	if (r->host != NULL || r->sn->pool == NULL ||
	    !in_subnet(r->sn, addr))
		return 0;
	l = lease_find_client(db, &r->client, r->sn->s.network,
	    r->sn->s.prefixlen);
	if (l != NULL && l->addr.s_addr != addr.s_addr &&
	    (l->state == LEASE_OFFERED || l->state == LEASE_ACTIVE))
		return 0;
	if (!pool_addr_ok(r->sn->pool, addr, &r->client, r->now))
		return 0;
	log_info("%s: DHCPREQUEST for %s from %s without an offer: "
	    "address free", r->ifp->i.name, inet_ntoa(addr), r->mac);
	return 1;
}

static void
handle_request(const struct req *r)
{
	const struct dhcp4_hdr *h = &r->pkt->hdr;
	struct in_addr	 sid, addr;
	struct lease	*l;
	int		 has_sid, has_req;

	has_sid = opt_addr(r->pkt, DHO_SERVER_ID, &sid);
	has_req = opt_addr(r->pkt, DHO_REQUESTED_ADDR, &addr);

	if (has_sid) {
		/* SELECTING */
		if (sid.s_addr != r->ifp->i.addr.s_addr) {
			selecting_other(r);
			return;
		}
		if (!has_req) {
			req_drop(r, "SELECTING without requested address");
			return;
		}
		if (!client_owns(r, addr, &l) && !selecting_unknown(r, addr)) {
			send_nak(r, addr, "not the offered address");
			return;
		}
		commit_ack(r, lease_get(db, addr), lease_time_for(r), 0);
		return;
	}

	if (has_req && h->ciaddr.s_addr == INADDR_ANY) {
		/* INIT-REBOOT */
		if (!in_subnet(r->sn, addr)) {
			send_nak(r, addr, "wrong network");
			return;
		}
		if (client_owns(r, addr, &l)) {
			commit_ack(r, lease_get(db, addr), lease_time_for(r),
			    0);
			return;
		}
		if ((l != NULL && l->state != LEASE_FREE) || r->host != NULL ||
		    lease_find_client(db, &r->client, r->sn->s.network,
		    r->sn->s.prefixlen) != NULL) {
			send_nak(r, addr, "address not the client's");
			return;
		}
		/* RFC 2131 4.3.2: no record of this client: stay silent. */
		log_debug("%s: INIT-REBOOT from unknown %s ignored",
		    r->ifp->i.name, r->mac);
		return;
	}

	if (h->ciaddr.s_addr == INADDR_ANY) {
		req_drop(r, "DHCPREQUEST without ciaddr or requested address");
		return;
	}

	/* RENEWING (unicast) or REBINDING (broadcast) */
	addr = h->ciaddr;
	if (client_owns(r, addr, &l)) {
		commit_ack(r, lease_get(db, addr), lease_time_for(r), 0);
		return;
	}
	/*
	 * The client's own lease, but a reload took its address out of
	 * this subnet's ranges or gave the client a host entry with
	 * another fixed address.  RFC 2131 4.3.2 lets the server NAK a
	 * client whose notion of its address is wrong.  The client then
	 * starts over and gets an address that is valid now.  The old
	 * lease stays until it ends.
	 */
	if (l != NULL && l->state == LEASE_ACTIVE &&
	    lease_key_equal(l, &r->client) &&
	    (r->host != NULL || r->sn->pool == NULL ||
	    !pool_in_range(r->sn->pool, addr))) {
		send_nak(r, addr, "address no longer valid here");
		return;
	}
	if (r->broadcast_dst || h->giaddr.s_addr != INADDR_ANY) {
		log_debug("%s: REBINDING %s from %s: not ours",
		    r->ifp->i.name, inet_ntoa(addr), r->mac);
		return;
	}
	if (l != NULL && l->state != LEASE_FREE && r->sn->pool != NULL &&
	    pool_in_range(r->sn->pool, addr)) {
		send_nak(r, addr, "address held by another client");
		return;
	}
	log_debug("%s: RENEWING %s from %s: unknown address",
	    r->ifp->i.name, inet_ntoa(addr), r->mac);
}

static void
handle_decline(const struct req *r)
{
	struct in_addr	 sid, addr;
	struct lease	*l;

	if (opt_addr(r->pkt, DHO_SERVER_ID, &sid) &&
	    sid.s_addr != r->ifp->i.addr.s_addr)
		return;
	if (!opt_addr(r->pkt, DHO_REQUESTED_ADDR, &addr)) {
		req_drop(r, "DHCPDECLINE without requested address");
		return;
	}
	l = lease_find(db, addr);
	if (l == NULL || !lease_key_equal(l, &r->client)) {
		req_drop(r, "DHCPDECLINE for an address not the client's");
		return;
	}
	if (log_ratelimit_ok(&rl_decline, LOG_BURST, LOG_WINDOW))
		log_warnx("%s: DHCPDECLINE %s from %s: address in use on "
		    "the link", r->ifp->i.name, inet_ntoa(addr), r->mac);
	lease_clear_client(db, l);
	lease_set_state(db, l, LEASE_DECLINED, r->now + conf->c.decline_hold);
	dhcpd_store(l, r->ifp->i.name, NULL);
}

static void
handle_release(const struct req *r)
{
	struct in_addr	 sid, addr = r->pkt->hdr.ciaddr;
	struct lease	*l;

	if (opt_addr(r->pkt, DHO_SERVER_ID, &sid) &&
	    sid.s_addr != r->ifp->i.addr.s_addr)
		return;
	l = lease_find(db, addr);
	if (l == NULL || l->state != LEASE_ACTIVE ||
	    !lease_key_equal(l, &r->client)) {
		log_debug("%s: DHCPRELEASE %s from %s: no such binding",
		    r->ifp->i.name, inet_ntoa(addr), r->mac);
		return;
	}
	lease_log(l, r->now, "%s: DHCPRELEASE %s from %s", r->ifp->i.name,
	    inet_ntoa(addr), r->mac);
	lease_set_state(db, l, LEASE_RELEASED, r->now + conf->c.hold_down);
	dhcpd_store(l, r->ifp->i.name, NULL);
}

static void
handle_inform(const struct req *r)
{
	struct in_addr	 none = { INADDR_ANY };

	if (r->pkt->hdr.ciaddr.s_addr == INADDR_ANY ||
	    !in_subnet(r->sn, r->pkt->hdr.ciaddr)) {
		req_drop(r, "DHCPINFORM from outside the subnet");
		return;
	}
	/* RFC 2131 4.3.5: no lease time and yiaddr 0 in this ACK. */
	reply_now(r, DHCPACK, none, 0);
}

/*
 * Asks for a route to a relayed subnet via the relay agent that serves
 * it.  giaddr is the relay's address on the client's network, inside
 * the relayed subnet, so the next hop is the IP source of the relayed
 * message, or giaddr only when that lies on our link.
 */
static void
relay_route(const struct req *r, struct in_addr ipsrc)
{
	const struct imsg_iface	*i = &r->ifp->i;
	struct in_addr		 gw = r->pkt->hdr.giaddr;
	uint32_t		 mask;

	if (!r->sn->s.relayed)
		return;
	mask = i->prefixlen == 0 ? 0 : 0xffffffffU << (32 - i->prefixlen);
	if (((ntohl(ipsrc.s_addr) ^ ntohl(i->addr.s_addr)) & mask) == 0 &&
	    ipsrc.s_addr != i->addr.s_addr)
		gw = ipsrc;
	else if (((ntohl(gw.s_addr) ^ ntohl(i->addr.s_addr)) & mask) != 0) {
		log_debug("%s: relay %s is not on the link, no route",
		    i->name, inet_ntoa(gw));
		return;
	}
	dhcpd_relay_route(i->name, r->sn->s.network, r->sn->s.prefixlen, gw);
}

void
dhcp4_receive(struct iface *ifp, const uint8_t *buf, size_t len,
    struct in_addr ipsrc, struct in_addr ipdst)
{
	struct req	 r;
	const char	*errstr;

	if (dhcp4_parse(buf, len, &rxpkt, &errstr) == -1) {
		log_debug("%s: invalid DHCP message dropped: %s", ifp->i.name,
		    errstr);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.pkt = &rxpkt;
	r.ifp = ifp;
	r.now = dhcpd_now();
	r.broadcast_dst = ipdst.s_addr == INADDR_BROADCAST;
	req_client(&r);
	if ((r.sn = subnet_select(ifp, rxpkt.hdr.giaddr)) == NULL) {
		req_drop(&r, "no subnet for this interface and giaddr");
		return;
	}
	r.host = host_select(r.sn, &rxpkt);
	req_hostname(&r);
	if (rxpkt.hdr.giaddr.s_addr != INADDR_ANY &&
	    (rxpkt.msgtype == DHCPDISCOVER || rxpkt.msgtype == DHCPREQUEST ||
	    rxpkt.msgtype == DHCPINFORM))
		relay_route(&r, ipsrc);

	switch (rxpkt.msgtype) {
	case DHCPDISCOVER:
		handle_discover(&r);
		break;
	case DHCPREQUEST:
		handle_request(&r);
		break;
	case DHCPDECLINE:
		handle_decline(&r);
		break;
	case DHCPRELEASE:
		handle_release(&r);
		break;
	case DHCPINFORM:
		handle_inform(&r);
		break;
	default:
		log_debug("%s: message type %u from %s ignored", ifp->i.name,
		    rxpkt.msgtype, r.mac);
		break;
	}
}

static void
expire_cb(struct lease *l, uint8_t old, void *arg)
{
	(void)arg;
	if (old == LEASE_OFFERED)
		return;
	if (old == LEASE_ACTIVE)
		log_info("lease %s expired", inet_ntoa(l->addr));
	dhcpd_store(l, ifname_for_addr(l->addr), NULL);
}

void
dhcp4_expire(int64_t now)
{
	/* dhcpd calls this once a second, so counts go out on time. */
	log_ratelimit_flush();
	if (conf == NULL)
		return;
	lease_db_expire(db, now, conf->c.hold_down, expire_cb, NULL);
}

void
dhcp4_release(struct in_addr addr)
{
	struct lease	*l;

	if ((l = lease_find(db, addr)) == NULL || l->state == LEASE_FREE) {
		log_warnx("release of %s: no lease", inet_ntoa(addr));
		return;
	}
	log_info("lease %s abandoned by the operator", inet_ntoa(addr));
	lease_clear_client(db, l);
	lease_set_state(db, l, LEASE_ABANDONED,
	    dhcpd_now() + (conf != NULL ? conf->c.hold_down : 0));
	dhcpd_store(l, ifname_for_addr(addr), NULL);
}

/*
 * The binding is not durable, so no ACK went out; the address is held
 * until the hold-down ends so that nobody else gets it meanwhile.  A
 * failed renewal leaves the client's earlier lease, acknowledged and
 * stored, valid until prev_end: the address stays the client's until
 * then, or another client could get it while the first still uses it.
 */
void
dhcp4_store_failed(struct in_addr addr, int64_t prev_end)
{
	struct lease	*l;
	int64_t		 now = dhcpd_now();

	if ((l = lease_find(db, addr)) == NULL || l->state != LEASE_ACTIVE)
		return;
	if (prev_end > now) {
		lease_set_state(db, l, LEASE_ACTIVE, prev_end);
		return;
	}
	lease_set_state(db, l, LEASE_ABANDONED,
	    now + (conf != NULL ? conf->c.hold_down : 0));
}

void
dhcp4_restore(const struct imsg_lease4 *r)
{
	lease_restore(db, r);
}

/*
 * routed keeps an address for the client of a live binding: nobody
 * else gets it, and its own renewals go on as before.
 */
void
dhcp4_hold(struct in_addr addr, int hold)
{
	struct lease	*l;

	if ((l = lease_find(db, addr)) == NULL) {
		if (!hold)
			return;
		l = lease_get(db, addr);
	}
	if (l->held == (hold ? 1 : 0))
		return;
	l->held = hold ? 1 : 0;
	log_debug("%s %s for a binding", hold ? "holding" : "no longer holding",
	    inet_ntoa(addr));
	/* Takes it off the free list, or puts it back. */
	if (l->state == LEASE_FREE)
		lease_set_state(db, l, LEASE_FREE, l->end);
}

void
dhcp4_conf_pools(struct dhcpd_conf *c)
{
	struct iface	*ifp;
	struct subnet	*sn;
	size_t		 i;

	TAILQ_FOREACH(ifp, &c->ifaces, entry)
		TAILQ_FOREACH(sn, &ifp->subnets, entry) {
			sn->pool = pool_new(db, sn->s.network,
			    sn->s.prefixlen);
			for (i = 0; i < sn->nranges; i++)
				if (pool_add_range(sn->pool,
				    sn->ranges[i].start,
				    sn->ranges[i].end) == -1)
					log_warnx("%s: invalid range in %s",
					    __func__, ifp->i.name);
			for (i = 0; i < sn->nhosts; i++)
				pool_add_reserved(sn->pool,
				    sn->hosts[i].h.fixed_addr);
			pool_add_reserved(sn->pool, ifp->i.addr);
			pool_activate(sn->pool);
		}
}

void
dhcp4_conf_free(struct dhcpd_conf *c)
{
	struct iface	*ifp;
	struct subnet	*sn;

	if (c == NULL)
		return;
	while ((ifp = TAILQ_FIRST(&c->ifaces)) != NULL) {
		TAILQ_REMOVE(&c->ifaces, ifp, entry);
		while ((sn = TAILQ_FIRST(&ifp->subnets)) != NULL) {
			TAILQ_REMOVE(&ifp->subnets, sn, entry);
			pool_free(sn->pool);
			free(sn->ranges);
			free(sn->options);
			free(sn->hosts);
			free(sn);
		}
		free(ifp);
	}
	free(c);
}
