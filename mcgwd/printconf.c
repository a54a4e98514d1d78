/*
 * Writes a configuration in normalised mcgwd.conf(5) syntax: defaults
 * made explicit, one statement per line, a fixed order.  parse_config()
 * reads the output back to the same configuration, so `mcgwd -nv`
 * shows exactly what the daemon runs with.
 */

#include <sys/queue.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mcgw.h"
#include "mcgwd.h"

static void	print_quoted(FILE *, const char *);
static void	print_hex(FILE *, const uint8_t *, size_t);
static void	print_option(FILE *, const char *, const struct imsg_option *);
static void	print_subnet(FILE *, const char *,
		    const struct subnet_conf *);
static void	print_iface(FILE *, const struct iface_conf *);
static void	print_auth(FILE *, const struct mcgwd_conf *);

/* Escapes '"' and '\' as the lexer expects inside quotes. */
static void
print_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
print_hex(FILE *fp, const uint8_t *p, size_t len)
{
	size_t	 i;

	fputc('"', fp);
	for (i = 0; i < len; i++)
		fprintf(fp, "%02x", p[i]);
	fputc('"', fp);
}

static const char *
addr_str(struct in_addr addr, char *buf, size_t size)
{
	return inet_ntop(AF_INET, &addr, buf, size);
}

/* Prints the names of an RFC 1035 wire-form list, as the parser wrote it. */
static void
print_domain_list(FILE *fp, const uint8_t *p, size_t len)
{
	size_t	 off = 0, label;
	int	 first;

	while (off < len) {
		fputc(' ', fp);
		first = 1;
		while (off < len && (label = p[off++]) != 0) {
			if (off + label > len)
				return;
			fprintf(fp, "%s%.*s", first ? "" : ".", (int)label,
			    (const char *)p + off);
			off += label;
			first = 0;
		}
	}
}

static void
print_option(FILE *fp, const char *indent, const struct imsg_option *o)
{
	const struct option_def	*def;
	char			 buf[INET_ADDRSTRLEN];
	struct in_addr		 addr;
	size_t			 off;

	if ((def = option_def_bycode(o->code)) == NULL ||
	    def->type == OPTION_TYPE_REJECT) {
		fprintf(fp, "%soption code %u hex ", indent, o->code);
		print_hex(fp, o->data, o->len);
		fputc('\n', fp);
		return;
	}

	fprintf(fp, "%soption %s", indent, def->name);
	switch (def->type) {
	case OPTION_TYPE_IPLIST:
	case OPTION_TYPE_IP:
		for (off = 0; off + sizeof(addr) <= o->len;
		    off += sizeof(addr)) {
			memcpy(&addr, o->data + off, sizeof(addr));
			fprintf(fp, " %s", addr_str(addr, buf, sizeof(buf)));
		}
		break;
	case OPTION_TYPE_DOMAIN:
		fprintf(fp, " \"%.*s\"", (int)o->len, (const char *)o->data);
		break;
	case OPTION_TYPE_MTU:
		fprintf(fp, " %u", (unsigned int)o->data[0] << 8 | o->data[1]);
		break;
	case OPTION_TYPE_DOMAINLIST:
		print_domain_list(fp, o->data, o->len);
		break;
	case OPTION_TYPE_REJECT:
		break;
	}
	fputc('\n', fp);
}

static void
print_host(FILE *fp, const char *indent, const struct imsg_host *h)
{
	char	 buf[INET_ADDRSTRLEN];
	int	 i;

	fprintf(fp, "%shost ", indent);
	print_quoted(fp, h->name);
	fprintf(fp, " {\n");
	if (h->cidlen > 0) {
		fprintf(fp, "%s\tclient-identifier ", indent);
		print_hex(fp, h->cid, h->cidlen);
		fputc('\n', fp);
	} else {
		fprintf(fp, "%s\thardware-address ", indent);
		for (i = 0; i < h->hlen; i++)
			fprintf(fp, "%s%02x", i > 0 ? ":" : "", h->hwaddr[i]);
		fputc('\n', fp);
	}
	fprintf(fp, "%s\tfixed-address %s\n", indent,
	    addr_str(h->fixed_addr, buf, sizeof(buf)));
	fprintf(fp, "%s}\n", indent);
}

/* Prints the statements of a subnet, without the enclosing block. */
static void
print_subnet(FILE *fp, const char *indent, const struct subnet_conf *s)
{
	const struct range_conf		*r;
	const struct option_conf	*o;
	const struct host_conf		*h;
	char				 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	fprintf(fp, "%slease-time %u\n", indent, s->lease_time);
	fprintf(fp, "%smax-lease-time %u\n", indent, s->max_lease_time);
	fprintf(fp, "%smin-lease-time %u\n", indent, s->min_lease_time);
	fprintf(fp, "%srapid-commit %s\n", indent,
	    s->rapid_commit ? "yes" : "no");
	TAILQ_FOREACH(r, &s->ranges, entry)
		fprintf(fp, "%srange %s %s\n", indent,
		    addr_str(r->start, a, sizeof(a)),
		    addr_str(r->end, b, sizeof(b)));
	TAILQ_FOREACH(o, &s->options, entry)
		print_option(fp, indent, &o->opt);
	TAILQ_FOREACH(h, &s->hosts, entry)
		print_host(fp, indent, &h->host);
}

static void
print_iface(FILE *fp, const struct iface_conf *ifc)
{
	const struct subnet_conf	*s;
	char				 buf[INET_ADDRSTRLEN];

	fprintf(fp, "\ninterface ");
	print_quoted(fp, ifc->name);
	fprintf(fp, " {\n");
	fprintf(fp, "\taddress %s/%u\n", addr_str(ifc->addr, buf,
	    sizeof(buf)), ifc->prefixlen);
	TAILQ_FOREACH(s, &ifc->subnets, entry) {
		if (!s->relayed) {
			print_subnet(fp, "\t", s);
			continue;
		}
		fprintf(fp, "\tsubnet %s/%u {\n", addr_str(s->network, buf,
		    sizeof(buf)), s->prefixlen);
		print_subnet(fp, "\t\t", s);
		fprintf(fp, "\t}\n");
	}
	fprintf(fp, "}\n");
}

static void
print_auth(FILE *fp, const struct mcgwd_conf *conf)
{
	const struct auth_listen_conf	*l;
	const struct auth_key_conf	*k;
	char				 b64[sodium_base64_ENCODED_LEN(
					    sizeof(k->key),
					    sodium_base64_VARIANT_ORIGINAL)];

	if (!conf->auth_block && TAILQ_EMPTY(&conf->auth_listen) &&
	    TAILQ_EMPTY(&conf->auth_keys))
		return;
	fprintf(fp, "\nauthorisation {\n");
	fprintf(fp, "\tport %u\n", conf->auth_port);
	fprintf(fp, "\tskew %u\n", conf->auth_skew);
	fprintf(fp, "\tbinding-lifetime %u\n", conf->auth_lifetime);
	fprintf(fp, "\thistory-retention %lld\n",
	    (long long)(conf->auth_retention / 86400));
	fprintf(fp, "\trate %u burst %u\n", conf->auth_rate, conf->auth_burst);
	TAILQ_FOREACH(l, &conf->auth_listen, entry) {
		fprintf(fp, "\tlisten on ");
		print_quoted(fp, l->ifname);
		fputc('\n', fp);
	}
	TAILQ_FOREACH(k, &conf->auth_keys, entry) {
		sodium_bin2base64(b64, sizeof(b64), k->key, sizeof(k->key),
		    sodium_base64_VARIANT_ORIGINAL);
		fprintf(fp, "\tservice-id ");
		print_quoted(fp, k->service_id);
		fprintf(fp, " key \"%s\"\n", b64);
	}
	fprintf(fp, "}\n");
}

void
print_config(FILE *fp, const struct mcgwd_conf *conf)
{
	const struct iface_conf	*ifc;
	char			 buf[INET_ADDRSTRLEN];
	char			 buf6[INET6_ADDRSTRLEN];
	int			 i;

	fprintf(fp, "state-directory ");
	print_quoted(fp, conf->state_dir);
	fprintf(fp, "\nuplink ");
	print_quoted(fp, conf->uplink);
	fprintf(fp, "\nmode %s\n", conf->mode == MODE_NAT ? "nat" : "routed");
	fprintf(fp, "hold-down %u\n", conf->hold_down);
	fprintf(fp, "decline-hold %u\n", conf->decline_hold);
	fprintf(fp, "offer-hold %u\n", conf->offer_hold);
	for (i = 0; i < conf->nframed_routes; i++)
		fprintf(fp, "framed-route %s/%u\n",
		    addr_str(conf->framed_routes[i].addr, buf, sizeof(buf)),
		    conf->framed_routes[i].prefixlen);
	for (i = 0; i < conf->nframed_routes6; i++)
		fprintf(fp, "framed-route6 %s/%u\n",
		    inet_ntop(AF_INET6, &conf->framed_routes6[i].addr, buf6,
		    sizeof(buf6)), conf->framed_routes6[i].prefixlen);
	if (conf->mode == MODE_NAT)
		fprintf(fp, "nat port-range %u %u block-size %u\n",
		    conf->nat_port_first, conf->nat_port_last,
		    conf->nat_block_size);

	TAILQ_FOREACH(ifc, &conf->ifaces, entry)
		print_iface(fp, ifc);
	print_auth(fp, conf);
}
