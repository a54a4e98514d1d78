/*
 * The parent's kernel state and the check of every change
 * an engine requests.  An engine may be compromised, so a request is
 * carried out only when the configuration allows it:
 *
 *   route  inside a relayed subnet or a framed range of the configuration,
 *          out of a configured LAN interface, via a next hop on that
 *          interface's own subnet
 *   NAT    NAT mode, for an address inside a configured subnet, with a
 *          port block inside the configured port range that overlaps no
 *          other binding's block
 *
 * Anything else is logged and refused.  The parent itself installs an
 * unreachable route for each framed range, with a metric high enough
 * that the connected LAN routes win: the unassigned rest of a range then
 * never loops back out of the uplink.
 */

#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "imsg.h"
#include "log.h"
#include "mcgw.h"
#include "mcgwd.h"
#include "parent.h"

#define FRAMED_METRIC		4096
#define ENGINE_ROUTES_MAX	256
#define NAT_RULES_MAX		4096

static struct mcgwd_conf	*kconf;
static kernel_notify_cb		 notify;
static struct imsg_route	 engine_routes[ENGINE_ROUTES_MAX];
static size_t			 nengine_routes;
static struct imsg_nat		 nat_rules[NAT_RULES_MAX];
static size_t			 nnat_rules;

static int
prefix4_contains(struct in_addr net, uint8_t len, struct in_addr a,
    uint8_t alen)
{
	uint32_t	 mask = len == 0 ? 0 : 0xffffffffU << (32 - len);

	return alen >= len &&
	    (ntohl(a.s_addr) & mask) == (ntohl(net.s_addr) & mask);
}

static int
prefix6_contains(const struct in6_addr *net, uint8_t len,
    const struct in6_addr *a, uint8_t alen)
{
	int	 i;

	if (alen < len)
		return 0;
	for (i = 0; i < len; i++)
		if ((net->s6_addr[i / 8] ^ a->s6_addr[i / 8]) &
		    (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static void
framed_route(struct imsg_route *r, int family, int i)
{
	memset(r, 0, sizeof(*r));
	r->kind = ROUTE_KIND_ROUTE;
	r->family = family;
	r->unreachable = 1;
	r->metric = FRAMED_METRIC;
	if (family == AF_INET) {
		r->dst4 = kconf->framed_routes[i].addr;
		r->prefixlen = kconf->framed_routes[i].prefixlen;
	} else {
		r->dst6 = kconf->framed_routes6[i].addr;
		r->prefixlen = kconf->framed_routes6[i].prefixlen;
	}
}

static const char *
route_str(const struct imsg_route *r, char *buf, size_t len)
{
	char	 d[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

	inet_ntop(r->family, r->family == AF_INET ? (const void *)&r->dst4 :
	    (const void *)&r->dst6, d, sizeof(d));
	inet_ntop(r->family, r->family == AF_INET ? (const void *)&r->gw4 :
	    (const void *)&r->gw6, g, sizeof(g));
	snprintf(buf, len, "%s/%u via %s dev %s", d, r->prefixlen, g,
	    r->ifname[0] ? r->ifname : "-");
	return buf;
}

static int
route_same(const struct imsg_route *a, const struct imsg_route *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	    a->unreachable == b->unreachable && a->metric == b->metric &&
	    a->dst4.s_addr == b->dst4.s_addr &&
	    a->gw4.s_addr == b->gw4.s_addr &&
	    memcmp(&a->dst6, &b->dst6, sizeof(a->dst6)) == 0 &&
	    memcmp(&a->gw6, &b->gw6, sizeof(a->gw6)) == 0;
}

/* Returns 1 when the configuration or an engine wants this route. */
static int
route_wanted(const struct imsg_route *r)
{
	struct imsg_route	 want;
	size_t			 j;
	int			 i;

	if (kconf->mode == MODE_ROUTED) {
		for (i = 0; i < kconf->nframed_routes; i++) {
			framed_route(&want, AF_INET, i);
			if (route_same(r, &want))
				return 1;
		}
		for (i = 0; i < kconf->nframed_routes6; i++) {
			framed_route(&want, AF_INET6, i);
			if (route_same(r, &want))
				return 1;
		}
	}
	for (j = 0; j < nengine_routes; j++)
		if (route_same(r, &engine_routes[j]))
			return 1;
	return 0;
}

/*
 * Removes mcgwd's routes that nothing wants any more.  A reload removes
 * only these, because traffic to the framed range would otherwise
 * follow the default route out of the uplink until the unreachable
 * route is back.
 */
static void
routes_prune(void)
{
	struct imsg_route	 have[KR_MAX_ROUTES];
	size_t			 nhave, j;
	char			 buf[128];

	nhave = kr_routes_own(have, KR_MAX_ROUTES);
	for (j = 0; j < nhave; j++) {
		if (route_wanted(&have[j]))
			continue;
		if (kr_route_del(&have[j], 0) == -1)
			log_warnx("cannot remove route %s",
			    route_str(&have[j], buf, sizeof(buf)));
		else
			log_info("removed route %s",
			    route_str(&have[j], buf, sizeof(buf)));
	}
}

/* Installs each wanted route that the kernel does not hold (again). */
static void
routes_sync(void)
{
	struct imsg_route	 have[KR_MAX_ROUTES], want;
	size_t			 nhave, j;
	int			 i, family;
	char			 buf[128];

	nhave = kr_routes_own(have, KR_MAX_ROUTES);
	if (kconf->mode != MODE_ROUTED)
		goto engine;
	for (family = AF_INET; family != 0;
	    family = family == AF_INET ? AF_INET6 : 0) {
		for (i = 0; i < (family == AF_INET ? kconf->nframed_routes :
		    kconf->nframed_routes6); i++) {
			framed_route(&want, family, i);
			for (j = 0; j < nhave; j++)
				if (route_same(&have[j], &want))
					break;
			if (j < nhave)
				continue;
			if (kr_route_add(&want, 0) == -1)
				log_warnx("failed to install route %s",
				    route_str(&want, buf, sizeof(buf)));
			else
				log_info("installed unreachable route %s",
				    route_str(&want, buf, sizeof(buf)));
		}
	}
 engine:
	for (j = 0; j < nengine_routes; j++) {
		size_t	 k;

		for (k = 0; k < nhave; k++)
			if (route_same(&have[k], &engine_routes[j]))
				break;
		if (k == nhave && kr_route_add(&engine_routes[j],
		    if_nametoindex(engine_routes[j].ifname)) == -1)
			log_warnx("cannot reinstall route %s", route_str(
			    &engine_routes[j], buf, sizeof(buf)));
	}
}

static void
nat_sync(void)
{
	if (nft_apply(kconf, uplink_current()->addr4, nat_rules,
	    nnat_rules) == -1)
		log_warnx("cannot install the nftables rules");
}

static void
kernel_uplink(const struct imsg_uplink_addr *u, int changed)
{
	if (changed && kconf->mode == MODE_NAT)
		nat_sync();
	notify(u, changed);
	routes_sync();
}

void
kernel_start(struct mcgwd_conf *conf, kernel_notify_cb cb)
{
	kconf = conf;
	notify = cb;

	/* What a daemon that died left behind goes first. */
	kr_routes_flush();
	if (nft_remove() == -1)
		log_warnx("cannot remove stale nftables tables");
	kr_forwarding();
	routes_sync();
	nat_sync();
	uplink_start(conf->uplink, kernel_uplink);
}

/* Engine routes the new configuration no longer allows are removed. */
static int	route_allowed(const struct imsg_route *, const char **);

void
kernel_reconf(struct mcgwd_conf *conf)
{
	const char	*why;
	size_t		 i, n = 0;

	kconf = conf;
	for (i = 0; i < nengine_routes; i++)
		if (route_allowed(&engine_routes[i], &why))
			engine_routes[n++] = engine_routes[i];
	nengine_routes = n;
	if (conf->mode != MODE_NAT)
		nnat_rules = 0;
	routes_prune();
	routes_sync();
	nat_sync();
	uplink_rename(conf->uplink);
}

void
kernel_stop(void)
{
	kr_routes_flush();
	if (nft_remove() == -1)
		log_warnx("cannot remove the nftables tables");
	log_info("removed mcgwd's routes and nftables tables");
}

static const struct iface_conf *
lan_iface(const char *name)
{
	const struct iface_conf	*ifc;

	TAILQ_FOREACH(ifc, &kconf->ifaces, entry)
		if (strcmp(ifc->name, name) == 0)
			return ifc;
	return NULL;
}

static int
route_allowed(const struct imsg_route *r, const char **why)
{
	const struct iface_conf		*ifc;
	const struct subnet_conf	*sc;
	int				 i, inside = 0;

	*why = NULL;
	if (r->kind != ROUTE_KIND_ROUTE || r->unreachable ||
	    (r->family != AF_INET && r->family != AF_INET6) ||
	    r->prefixlen > (r->family == AF_INET ? 32 : 128))
		*why = "not a unicast route";
	else if ((ifc = lan_iface(r->ifname)) == NULL)
		*why = "not a configured LAN interface";
	else if (r->family == AF_INET) {
		TAILQ_FOREACH(sc, &ifc->subnets, entry)
			if (sc->relayed && prefix4_contains(sc->network,
			    sc->prefixlen, r->dst4, r->prefixlen))
				inside = 1;
		for (i = 0; i < kconf->nframed_routes; i++)
			if (prefix4_contains(kconf->framed_routes[i].addr,
			    kconf->framed_routes[i].prefixlen, r->dst4,
			    r->prefixlen))
				inside = 1;
		if (!inside)
			*why = "outside every configured range";
		else if (r->gw4.s_addr != INADDR_ANY &&
		    !prefix4_contains(ifc->addr, ifc->prefixlen, r->gw4, 32))
			*why = "next hop not on the interface's subnet";
	} else {
		/* XXX prefixes delegated to the gateway are not known yet */
		for (i = 0; i < kconf->nframed_routes6; i++)
			if (prefix6_contains(&kconf->framed_routes6[i].addr,
			    kconf->framed_routes6[i].prefixlen, &r->dst6,
			    r->prefixlen))
				inside = 1;
		if (!inside)
			*why = "outside every configured range";
		else if (!IN6_IS_ADDR_UNSPECIFIED(&r->gw6) &&
		    !IN6_IS_ADDR_LINKLOCAL(&r->gw6))
			*why = "next hop not link-local";
	}
	return *why == NULL;
}

static void
engine_route(const char *who, uint32_t type, struct imsg_route *r,
    struct imsg_kernel_result *res)
{
	const char	*why;
	char		 buf[128];
	size_t		 i;

	if (!MCGW_STR_OK(r->ifname))
		fatalx("%s: %s without a NUL in the interface name", who,
		    imsg_type_name(type));
	/* The metric and the table are the parent's to choose. */
	r->metric = 0;
	route_str(r, buf, sizeof(buf));
	if (!route_allowed(r, &why)) {
		log_warnx("%s engine asked for route %s: refused, %s", who,
		    buf, why);
		res->code = 1;
		snprintf(res->message, sizeof(res->message), "refused: %s",
		    why);
		return;
	}
	for (i = 0; i < nengine_routes; i++)
		if (route_same(&engine_routes[i], r))
			break;
	if (type == IMSG_ROUTE_ADD) {
		if (i == nengine_routes && i == ENGINE_ROUTES_MAX) {
			log_warnx("%s engine asked for route %s: refused, "
			    "too many routes", who, buf);
			res->code = 1;
			strlcpy(res->message, "refused: too many routes",
			    sizeof(res->message));
			return;
		}
		if (kr_route_add(r, if_nametoindex(r->ifname)) == -1) {
			res->code = 2;
			strlcpy(res->message, "the kernel refused the route",
			    sizeof(res->message));
			return;
		}
		if (i == nengine_routes)
			engine_routes[nengine_routes++] = *r;
		log_info("installed route %s for %s", buf, who);
	} else {
		if (i < nengine_routes)
			engine_routes[i] = engine_routes[--nengine_routes];
		if (kr_route_del(r, if_nametoindex(r->ifname)) == -1)
			res->code = 2;
		log_info("removed route %s for %s", buf, who);
	}
}

/*
 * XXX The parent cannot know the leases, which live in the engines, so
 * it checks only that the address lies in a configured subnet.
 */
static int
nat_allowed(const struct imsg_nat *n, const char **why)
{
	const struct iface_conf		*ifc;
	const struct subnet_conf	*sc;
	size_t				 i;
	int				 inside = 0;

	*why = NULL;
	TAILQ_FOREACH(ifc, &kconf->ifaces, entry)
		TAILQ_FOREACH(sc, &ifc->subnets, entry)
			if (prefix4_contains(sc->network, sc->prefixlen,
			    n->local4, 32))
				inside = 1;
	if (kconf->mode != MODE_NAT)
		*why = "not in NAT mode";
	else if (!inside)
		*why = "address outside every configured subnet";
	else if (n->port_first > n->port_last ||
	    n->port_first < kconf->nat_port_first ||
	    n->port_last > kconf->nat_port_last)
		*why = "ports outside the configured port-range";
	for (i = 0; *why == NULL && i < nnat_rules; i++)
		if (nat_rules[i].local4.s_addr != n->local4.s_addr &&
		    n->port_first <= nat_rules[i].port_last &&
		    nat_rules[i].port_first <= n->port_last)
			*why = "ports overlap another binding's block";
	return *why == NULL;
}

static void
engine_nat(const char *who, uint32_t type, const struct imsg_nat *n,
    struct imsg_kernel_result *res)
{
	const char	*why;
	char		 a[INET_ADDRSTRLEN];
	size_t		 i;

	inet_ntop(AF_INET, &n->local4, a, sizeof(a));
	for (i = 0; i < nnat_rules; i++)
		if (nat_rules[i].local4.s_addr == n->local4.s_addr)
			break;
	if (type == IMSG_NAT_DEL) {
		if (i == nnat_rules)
			return;
		nat_rules[i] = nat_rules[--nnat_rules];
		log_info("removed NAT rule for %s", a);
	} else if (!nat_allowed(n, &why)) {
		log_warnx("%s engine asked for NAT rule %s ports %u-%u: "
		    "refused, %s", who, a, n->port_first, n->port_last, why);
		res->code = 1;
		snprintf(res->message, sizeof(res->message), "refused: %s",
		    why);
		return;
	} else if (i == nnat_rules && i == NAT_RULES_MAX) {
		res->code = 1;
		strlcpy(res->message, "refused: too many NAT rules",
		    sizeof(res->message));
		return;
	} else {
		nat_rules[i] = *n;
		if (i == nnat_rules)
			nnat_rules++;
		log_info("NAT rule for %s: ports %u-%u", a, n->port_first,
		    n->port_last);
	}
	nat_sync();
}

void
kernel_request(const char *who, struct imsg *imsg,
    struct imsg_kernel_result *res)
{
	struct imsg_route	 r;
	struct imsg_nat		 n;
	uint32_t		 type = imsg_get_type(imsg);

	memset(res, 0, sizeof(*res));
	res->type = type;
	switch (type) {
	case IMSG_ROUTE_ADD:
	case IMSG_ROUTE_DEL:
		if (imsg_get_data(imsg, &r, sizeof(r)) == -1)
			fatalx("%s: malformed %s", who, imsg_type_name(type));
		engine_route(who, type, &r, res);
		break;
	case IMSG_NAT_ADD:
	case IMSG_NAT_DEL:
		if (imsg_get_data(imsg, &n, sizeof(n)) == -1)
			fatalx("%s: malformed %s", who, imsg_type_name(type));
		engine_nat(who, type, &n, res);
		break;
	default:
		fatalx("%s: %s: unexpected %s", __func__, who,
		    imsg_type_name(type));
	}
	if (res->code == 0 && res->message[0] == '\0')
		strlcpy(res->message, "done", sizeof(res->message));
}

size_t
kernel_list(struct imsg_route *out, size_t max)
{
	const struct iface_conf		*ifc;
	const struct subnet_conf	*sc;
	struct in_addr			 ue = uplink_current()->addr4;
	size_t				 n, i;
	int				 j;

	n = kr_routes_own(out, max);
	for (j = 0; kconf->mode == MODE_ROUTED && n < max &&
	    j < kconf->nframed_routes + kconf->nframed_routes6; j++) {
		framed_route(&out[n], j < kconf->nframed_routes ? AF_INET :
		    AF_INET6, j < kconf->nframed_routes ? j :
		    j - kconf->nframed_routes);
		out[n].kind = ROUTE_KIND_FILTER;
		out[n].unreachable = 0;
		out[n++].metric = 0;
	}
	for (i = 0; kconf->mode == MODE_NAT && n < max && i < nnat_rules;
	    i++) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].kind = ROUTE_KIND_NAT;
		out[n].family = AF_INET;
		out[n].prefixlen = 32;
		strlcpy(out[n].ifname, kconf->uplink, sizeof(out[n].ifname));
		out[n].dst4 = nat_rules[i].local4;
		out[n].gw4 = ue;
		out[n].port_first = nat_rules[i].port_first;
		out[n++].port_last = nat_rules[i].port_last;
	}
	if (kconf->mode != MODE_NAT || kconf->nat_port_last >= 65535)
		return n;
	TAILQ_FOREACH(ifc, &kconf->ifaces, entry)
		TAILQ_FOREACH(sc, &ifc->subnets, entry) {
			if (n >= max)
				return n;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].kind = ROUTE_KIND_MASQ;
			out[n].family = AF_INET;
			out[n].prefixlen = sc->prefixlen;
			strlcpy(out[n].ifname, kconf->uplink,
			    sizeof(out[n].ifname));
			out[n].dst4 = sc->network;
			out[n].gw4 = ue;
			out[n].port_first = kconf->nat_port_last + 1;
			out[n++].port_last = 65535;
		}
	return n;
}
