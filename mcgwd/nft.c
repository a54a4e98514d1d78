/*
 * The parent's nftables rules, through libnftnl.  mcgwd owns two tables
 * and touches nothing outside them:
 *
 *   inet mcgwd       routed mode: chain "forward" sends what arrives from
 *                    a LAN interface to chain "lan_source", which returns
 *                    for a source inside a framed range and drops the rest
 *   ip mcgwd_nat     NAT mode: chain "postrouting" contains one SNAT rule per
 *                    binding, "ip saddr LOCAL oifname UPLINK snat to
 *                    UE-IP:FIRST-LAST", then a masquerade of every LAN
 *                    subnet to the ports above the configured port range
 *                    for clients without a binding
 *
 * Every change rebuilds the tables whole in one transaction (add, delete
 * and add again), so the kernel never holds half a rule set and a start
 * after a crash replaces whatever a dead daemon left.
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mcgw.h"
#include "mcgwd.h"
#include "parent.h"

#define NFT_BUFSIZE	(1024 * 1024)

struct nft_batch {
	struct mnl_nlmsg_batch	*b;
	char			*buf;
	uint32_t		 seq;
	int			 nmsgs;		/* messages that want an ack */
};

static void
nft_batch_start(struct nft_batch *nb)
{
	if ((nb->buf = malloc(NFT_BUFSIZE)) == NULL)
		fatal("%s", __func__);
	/* Room for the end message once the batch is full. */
	nb->b = mnl_nlmsg_batch_start(nb->buf, NFT_BUFSIZE - 4096);
	nb->seq = (uint32_t)time(NULL);
	nb->nmsgs = 0;
	nftnl_batch_begin(mnl_nlmsg_batch_current(nb->b), nb->seq++);
	mnl_nlmsg_batch_next(nb->b);
}

static struct nlmsghdr *
nft_batch_hdr(struct nft_batch *nb, uint16_t type, uint16_t family,
    uint16_t flags)
{
	nb->nmsgs++;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(nb->b), type,
	    family, flags | NLM_F_ACK, nb->seq++);
}

static void
nft_batch_next(struct nft_batch *nb)
{
	if (!mnl_nlmsg_batch_next(nb->b))
		fatalx("%s: nftables batch too large", __func__);
}

/* Sends the batch and reads one acknowledgement per message; 0: success. */
static int
nft_batch_send(struct nft_batch *nb)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket	*nl;
	struct pollfd		 pfd;
	unsigned int		 portid;
	ssize_t			 n;
	int			 acks = 0, r = 0, sz = NFT_BUFSIZE;

	nftnl_batch_end(mnl_nlmsg_batch_current(nb->b), nb->seq++);
	mnl_nlmsg_batch_next(nb->b);
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL) {
		log_warn("%s: mnl_socket_open", __func__);
		r = -1;
		goto done;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		log_warn("%s: mnl_socket_bind", __func__);
		r = -1;
		goto close;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz,
	    sizeof(sz));
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(nb->b),
	    mnl_nlmsg_batch_size(nb->b)) == -1) {
		log_warn("%s: mnl_socket_sendto", __func__);
		r = -1;
		goto close;
	}
	pfd.fd = mnl_socket_get_fd(nl);
	pfd.events = POLLIN;
	/* An error aborts the transaction: fewer answers may come. */
	while (acks < nb->nmsgs && poll(&pfd, 1, r == 0 ? 2000 : 100) > 0) {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) <= 0)
			break;
		acks++;
		if (mnl_cb_run(buf, (size_t)n, 0, portid, NULL, NULL) == -1) {
			if (r == 0)
				log_warn("%s: nftables", __func__);
			r = -1;
		}
	}
	if (r == 0 && acks < nb->nmsgs) {
		log_warnx("%s: nftables answered %d of %d messages", __func__,
		    acks, nb->nmsgs);
		r = -1;
	}
 close:
	mnl_socket_close(nl);
 done:
	mnl_nlmsg_batch_stop(nb->b);
	free(nb->buf);
	return r;
}

static void
nft_table(struct nft_batch *nb, uint16_t type, uint16_t family,
    const char *name)
{
	struct nftnl_table	*t;
	struct nlmsghdr		*nlh;

	if ((t = nftnl_table_alloc()) == NULL)
		fatal("%s", __func__);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	nlh = nft_batch_hdr(nb, type, family,
	    type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	nft_batch_next(nb);
}

/* Puts an empty table in place of whatever the kernel has by that name. */
static void
nft_table_fresh(struct nft_batch *nb, uint16_t family, const char *name)
{
	nft_table(nb, NFT_MSG_NEWTABLE, family, name);
	nft_table(nb, NFT_MSG_DELTABLE, family, name);
	nft_table(nb, NFT_MSG_NEWTABLE, family, name);
}

/* A base chain when type is not NULL, else a regular chain. */
static void
nft_chain(struct nft_batch *nb, uint16_t family, const char *table,
    const char *name, const char *type, uint32_t hook, int32_t prio)
{
	struct nftnl_chain	*c;
	struct nlmsghdr		*nlh;

	if ((c = nftnl_chain_alloc()) == NULL)
		fatal("%s", __func__);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (type != NULL) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = nft_batch_hdr(nb, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	nft_batch_next(nb);
}

static struct nftnl_rule *
nft_rule_new(uint16_t family, const char *table, const char *chain)
{
	struct nftnl_rule	*r;

	if ((r = nftnl_rule_alloc()) == NULL)
		fatal("%s", __func__);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	return r;
}

static void
nft_rule_add(struct nft_batch *nb, struct nftnl_rule *r)
{
	struct nlmsghdr	*nlh;

	nlh = nft_batch_hdr(nb, NFT_MSG_NEWRULE,
	    nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
	    NLM_F_APPEND | NLM_F_CREATE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	nft_batch_next(nb);
}

static struct nftnl_expr *
nft_expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc(name)) == NULL)
		fatal("%s: %s", __func__, name);
	nftnl_rule_add_expr(r, e);
	return e;
}

/* reg1 == data */
static void
nft_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr	*e = nft_expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void
nft_cmp_eq(struct nftnl_rule *r, const void *data, uint32_t len)
{
	nft_cmp(r, NFT_CMP_EQ, data, len);
}

static void
nft_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr	*e = nft_expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

/* meta iifname or oifname compared (op: NFT_CMP_EQ, NEQ) with a name. */
static void
nft_match_ifname(struct nftnl_rule *r, uint32_t key, uint32_t op,
    const char *ifname)
{
	char	 name[IFNAMSIZ];

	memset(name, 0, sizeof(name));
	strlcpy(name, ifname, sizeof(name));
	nft_meta(r, key);
	nft_cmp(r, op, name, sizeof(name));
}

/*
 * The network-layer source address lies in addr/prefixlen.  In an inet
 * table the rule first checks the protocol, as nft(8) itself does.
 */
static void
nft_match_saddr(struct nftnl_rule *r, int family, const void *addr,
    uint8_t prefixlen)
{
	struct nftnl_expr	*e;
	uint8_t			 nfproto, mask[16], xor[16], net[16];
	uint32_t		 len = family == AF_INET ? 4 : 16;
	uint32_t		 i;

	nfproto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	if (nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) == NFPROTO_INET) {
		nft_meta(r, NFT_META_NFPROTO);
		nft_cmp_eq(r, &nfproto, sizeof(nfproto));
	}

	e = nft_expr(r, "payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
	    NFT_PAYLOAD_NETWORK_HEADER);
	/* Source address: byte 12 of an IPv4 header, 8 of an IPv6 one. */
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET,
	    family == AF_INET ? 12 : 8);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);

	memset(mask, 0, sizeof(mask));
	memset(xor, 0, sizeof(xor));
	for (i = 0; i < prefixlen; i++)
		mask[i / 8] |= 0x80 >> (i % 8);
	memcpy(net, addr, len);
	for (i = 0; i < len; i++)
		net[i] &= mask[i];
	if (prefixlen < len * 8) {
		e = nft_expr(r, "bitwise");
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	}
	nft_cmp_eq(r, net, len);
}

static void
nft_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr	*e = nft_expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

static void
nft_immediate(struct nftnl_rule *r, uint32_t reg, const void *data,
    uint32_t len)
{
	struct nftnl_expr	*e = nft_expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

static void
nft_counter(struct nftnl_rule *r)
{
	nft_expr(r, "counter");
}

/* Routed mode: LAN traffic leaves only from inside a framed range. */
static void
nft_filter(struct nft_batch *nb, const struct mcgwd_conf *conf)
{
	const struct iface_conf	*ifc;
	struct nftnl_rule	*r;
	int			 i;

	nft_chain(nb, NFPROTO_INET, MCGW_NFT_TABLE, "forward", "filter",
	    NF_INET_FORWARD, 0);
	nft_chain(nb, NFPROTO_INET, MCGW_NFT_TABLE, "lan_source", NULL, 0,
	    0);
	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		r = nft_rule_new(NFPROTO_INET, MCGW_NFT_TABLE, "forward");
		nft_match_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, ifc->name);
		/*
		 * Frames bridged between two ports of the LAN reach this
		 * hook too when br_netfilter is loaded, with the bridge as
		 * both interfaces: they do not leave the LAN.
		 */
		nft_match_ifname(r, NFT_META_OIFNAME, NFT_CMP_NEQ, ifc->name);
		nft_verdict(r, NFT_JUMP, "lan_source");
		nft_rule_add(nb, r);
	}
	for (i = 0; i < conf->nframed_routes; i++) {
		r = nft_rule_new(NFPROTO_INET, MCGW_NFT_TABLE, "lan_source");
		nft_match_saddr(r, AF_INET, &conf->framed_routes[i].addr,
		    conf->framed_routes[i].prefixlen);
		nft_verdict(r, NFT_RETURN, NULL);
		nft_rule_add(nb, r);
	}
	for (i = 0; i < conf->nframed_routes6; i++) {
		r = nft_rule_new(NFPROTO_INET, MCGW_NFT_TABLE, "lan_source");
		nft_match_saddr(r, AF_INET6, &conf->framed_routes6[i].addr,
		    conf->framed_routes6[i].prefixlen);
		nft_verdict(r, NFT_RETURN, NULL);
		nft_rule_add(nb, r);
	}
	r = nft_rule_new(NFPROTO_INET, MCGW_NFT_TABLE, "lan_source");
	nft_counter(r);
	nft_verdict(r, NF_DROP, NULL);
	nft_rule_add(nb, r);
}

/* Source NAT to ue:first-last, or masquerade to first-last. */
static void
nft_nat_expr(struct nftnl_rule *r, struct in_addr ue, uint16_t first,
    uint16_t last, int masq)
{
	struct nftnl_expr	*e;
	uint16_t		 pmin = htons(first), pmax = htons(last);

	nft_immediate(r, NFT_REG_2, &pmin, sizeof(pmin));
	nft_immediate(r, NFT_REG_3, &pmax, sizeof(pmax));
	if (masq) {
		e = nft_expr(r, "masq");
		nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_REG_PROTO_MIN,
		    NFT_REG_2);
		nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_REG_PROTO_MAX,
		    NFT_REG_3);
		nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS,
		    NF_NAT_RANGE_PROTO_SPECIFIED);
		return;
	}
	nft_immediate(r, NFT_REG_1, &ue, sizeof(ue));
	e = nft_expr(r, "nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, NFT_REG_3);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS,
	    NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
}

/*
 * NAT mode.  Without a UE IP only the masquerade is there, which then
 * matches nothing useful; the binding rules come back with the address.
 */
static void
nft_nat(struct nft_batch *nb, const struct mcgwd_conf *conf,
    struct in_addr ue, const struct imsg_nat *nat, size_t nnat)
{
	const struct iface_conf		*ifc;
	const struct subnet_conf	*sc;
	struct nftnl_rule		*r;
	size_t				 i;

	nft_chain(nb, NFPROTO_IPV4, MCGW_NFT_NAT_TABLE, "postrouting", "nat",
	    NF_INET_POST_ROUTING, 100);
	for (i = 0; ue.s_addr != INADDR_ANY && i < nnat; i++) {
		r = nft_rule_new(NFPROTO_IPV4, MCGW_NFT_NAT_TABLE,
		    "postrouting");
		nft_match_saddr(r, AF_INET, &nat[i].local4, 32);
		nft_match_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ,
		    conf->uplink);
		nft_counter(r);
		nft_nat_expr(r, ue, nat[i].port_first, nat[i].port_last, 0);
		nft_rule_add(nb, r);
	}
	if (conf->nat_port_last >= 65535)
		return;
	TAILQ_FOREACH(ifc, &conf->ifaces, entry)
		TAILQ_FOREACH(sc, &ifc->subnets, entry) {
			r = nft_rule_new(NFPROTO_IPV4, MCGW_NFT_NAT_TABLE,
			    "postrouting");
			nft_match_saddr(r, AF_INET, &sc->network,
			    sc->prefixlen);
			nft_match_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ,
			    conf->uplink);
			nft_counter(r);
			nft_nat_expr(r, ue, conf->nat_port_last + 1, 65535, 1);
			nft_rule_add(nb, r);
		}
}

int
nft_apply(const struct mcgwd_conf *conf, struct in_addr ue,
    const struct imsg_nat *nat, size_t nnat)
{
	struct nft_batch	 nb;

	nft_batch_start(&nb);
	if (conf->mode == MODE_ROUTED) {
		nft_table_fresh(&nb, NFPROTO_INET, MCGW_NFT_TABLE);
		nft_filter(&nb, conf);
		nft_table(&nb, NFT_MSG_NEWTABLE, NFPROTO_IPV4,
		    MCGW_NFT_NAT_TABLE);
		nft_table(&nb, NFT_MSG_DELTABLE, NFPROTO_IPV4,
		    MCGW_NFT_NAT_TABLE);
	} else {
		nft_table_fresh(&nb, NFPROTO_IPV4, MCGW_NFT_NAT_TABLE);
		nft_nat(&nb, conf, ue, nat, nnat);
		nft_table(&nb, NFT_MSG_NEWTABLE, NFPROTO_INET, MCGW_NFT_TABLE);
		nft_table(&nb, NFT_MSG_DELTABLE, NFPROTO_INET, MCGW_NFT_TABLE);
	}
	return nft_batch_send(&nb);
}

/* Removes both of mcgwd's tables, whether they exist or not. */
int
nft_remove(void)
{
	struct nft_batch	 nb;

	nft_batch_start(&nb);
	nft_table(&nb, NFT_MSG_NEWTABLE, NFPROTO_INET, MCGW_NFT_TABLE);
	nft_table(&nb, NFT_MSG_DELTABLE, NFPROTO_INET, MCGW_NFT_TABLE);
	nft_table(&nb, NFT_MSG_NEWTABLE, NFPROTO_IPV4, MCGW_NFT_NAT_TABLE);
	nft_table(&nb, NFT_MSG_DELTABLE, NFPROTO_IPV4, MCGW_NFT_NAT_TABLE);
	return nft_batch_send(&nb);
}
