/*
 * mcgwctl: "show routes" (what mcgwd installed in the kernel) and "show
 * framed" (the RADIUS attributes the operator provisions).
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "mcgw.h"
#include "mcgwctl.h"

/* RFC 2865 5.22 Framed-Route and RFC 3162 2.5 Framed-IPv6-Route. */
#define RADIUS_FRAMED_ROUTE		22
#define RADIUS_FRAMED_IPV6_ROUTE	99

static const char *
kind_name(uint8_t kind)
{
	switch (kind) {
	case ROUTE_KIND_ROUTE:
		return "route";
	case ROUTE_KIND_NAT:
		return "snat";
	case ROUTE_KIND_FILTER:
		return "filter";
	case ROUTE_KIND_MASQ:
		return "masquerade";
	}
	return "unknown";
}

/* Stores an IMSG_CTL_ROUTE or IMSG_CTL_FRAMED; 0 if imsg is neither. */
int
reply_add_kernel(struct ctl_reply *reply, struct imsg *imsg)
{
	struct imsg_route	 r;
	struct imsg_framed	 f;
	void			*p;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_ROUTE:
		if (imsg_get_data(imsg, &r, sizeof(r)) == -1 ||
		    !MCGW_STR_OK(r.ifname) ||
		    (r.family != AF_INET && r.family != AF_INET6))
			errx(1, "invalid route message from mcgwd");
		if ((p = reallocarray(reply->routes, reply->nroutes + 1,
		    sizeof(r))) == NULL)
			err(1, NULL);
		reply->routes = p;
		reply->routes[reply->nroutes++] = r;
		return 1;
	case IMSG_CTL_FRAMED:
		if (imsg_get_data(imsg, &f, sizeof(f)) == -1 ||
		    (f.family != AF_INET && f.family != AF_INET6))
			errx(1, "invalid framed message from mcgwd");
		if ((p = reallocarray(reply->framed, reply->nframed + 1,
		    sizeof(f))) == NULL)
			err(1, NULL);
		reply->framed = p;
		reply->framed[reply->nframed++] = f;
		return 1;
	}
	return 0;
}

static void
addr_fmt(uint8_t family, const struct in_addr *a4, const struct in6_addr *a6,
    char *buf, size_t len)
{
	inet_ntop(family, family == AF_INET ? (const void *)a4 :
	    (const void *)a6, buf, len);
}

/*
 * One line per entry: kind, destination or local prefix, then what the
 * kind needs (next hop or UE IP and ports).
 */
void
print_routes(const struct ctl_reply *reply, int json)
{
	const struct imsg_route	*r;
	char			 dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
	char			 pfx[INET6_ADDRSTRLEN + 4], via[64];
	size_t			 i;

	if (json)
		printf("{\"routes\":[");
	else
		printf("%-10s %-24s %-26s %-8s %s\n", "KIND", "PREFIX",
		    "VIA", "DEV", "DETAIL");
	for (i = 0; i < reply->nroutes; i++) {
		r = &reply->routes[i];
		addr_fmt(r->family, &r->dst4, &r->dst6, dst, sizeof(dst));
		addr_fmt(r->family, &r->gw4, &r->gw6, gw, sizeof(gw));
		snprintf(pfx, sizeof(pfx), "%s/%u", dst, r->prefixlen);
		if (json) {
			printf("%s{\"kind\":\"%s\",\"prefix\":\"%s\"",
			    i ? "," : "", kind_name(r->kind), pfx);
			if (r->kind == ROUTE_KIND_ROUTE) {
				printf(",\"type\":\"%s\",\"gateway\":",
				    r->unreachable ? "unreachable" : "unicast");
				if (r->unreachable)
					fputs("null", stdout);
				else
					printf("\"%s\"", gw);
				printf(",\"metric\":%u,\"protocol\":%d",
				    r->metric, MCGW_RTPROT);
			}
			/* Without a UE IP the rule waits outside the kernel. */
			if (r->kind == ROUTE_KIND_NAT ||
			    r->kind == ROUTE_KIND_MASQ) {
				fputs(",\"ue_ip\":", stdout);
				if (r->gw4.s_addr == INADDR_ANY)
					fputs("null", stdout);
				else
					printf("\"%s\"", gw);
				printf(",\"port_first\":%u,\"port_last\":%u",
				    r->port_first, r->port_last);
			}
			printf(",\"interface\":");
			if (r->ifname[0] != '\0')
				json_string(r->ifname);
			else
				fputs("null", stdout);
			putchar('}');
			continue;
		}
		via[0] = '\0';
		if (r->kind == ROUTE_KIND_ROUTE)
			snprintf(via, sizeof(via), "%s", r->unreachable ?
			    "unreachable" : gw);
		else if (r->kind == ROUTE_KIND_NAT ||
		    r->kind == ROUTE_KIND_MASQ)
			snprintf(via, sizeof(via), "%s:%u-%u",
			    r->gw4.s_addr == INADDR_ANY ? "no-UE-IP" : gw,
			    r->port_first, r->port_last);
		else
			snprintf(via, sizeof(via), "accept from LAN");
		printf("%-10s %-24s %-26s %-8s ", kind_name(r->kind), pfx,
		    via, r->ifname[0] ? r->ifname : "-");
		if (r->kind == ROUTE_KIND_ROUTE)
			printf("proto %d metric %u\n", MCGW_RTPROT, r->metric);
		else
			printf("table %s\n", r->kind == ROUTE_KIND_FILTER ?
			    "inet " MCGW_NFT_TABLE : "ip " MCGW_NFT_NAT_TABLE);
	}
	printf(json ? "]}\n" : "");
}

/*
 * The text form of RFC 2865 5.22 and RFC 3162 2.5: the prefix, the
 * gateway (unspecified: the NAS's own address, here the PDN/PDU
 * session) and one metric.
 */
void
print_framed(const struct ctl_reply *reply, int json)
{
	const struct imsg_framed	*f;
	char				 a[INET6_ADDRSTRLEN];
	char				 v[INET6_ADDRSTRLEN + 16];
	size_t				 i;

	if (json)
		printf("{\"framed\":[");
	for (i = 0; i < reply->nframed; i++) {
		f = &reply->framed[i];
		addr_fmt(f->family, &f->addr4, &f->addr6, a, sizeof(a));
		snprintf(v, sizeof(v), "%s/%u %s 1", a, f->prefixlen,
		    f->family == AF_INET ? "0.0.0.0" : "::");
		if (json)
			printf("%s{\"attribute\":%d,\"name\":\"%s\","
			    "\"value\":\"%s\"}", i ? "," : "",
			    f->family == AF_INET ? RADIUS_FRAMED_ROUTE :
			    RADIUS_FRAMED_IPV6_ROUTE, f->family == AF_INET ?
			    "Framed-Route" : "Framed-IPv6-Route", v);
		else
			printf("%s (%d) = \"%s\"\n", f->family == AF_INET ?
			    "Framed-Route" : "Framed-IPv6-Route",
			    f->family == AF_INET ? RADIUS_FRAMED_ROUTE :
			    RADIUS_FRAMED_IPV6_ROUTE, v);
	}
	if (json)
		printf("]}\n");
}
