/*
 * routed's side of framed routing and NAT: the framed ranges for "show
 * framed", the uplink's addresses (the UE IP) from the parent, and the
 * NAT port blocks.
 *
 * In NAT mode every local address with a binding gets one block of
 * block_size ports from the configured port range.  The parent installs
 * "ip saddr LOCAL oifname UPLINK snat to UE-IP:FIRST-LAST" for it.  A UE
 * IP and port seen in the MC system so lead back to one local address
 * and to its GW MC service ID.  Several service IDs on one
 * local address share its block.
 */

#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "log.h"
#include "mcgw.h"
#include "routed.h"

#define FRAMED_MAX	32

struct nat_block {
	struct in_addr	 local4;
	uint16_t	 first;
	uint16_t	 last;
};

static struct imsg_framed	 framed[FRAMED_MAX];
static size_t			 nframed;
static size_t			 nframed_new;
static struct imsg_framed	 framed_new[FRAMED_MAX];
static uint16_t			 port_first, port_last, block_size;
static struct nat_block		*blocks;	/* indexed by block number */
static size_t			 nblocks;
static uint8_t			 mode;
static uint8_t			 prev_mode;
static int			 restored;

static void	nat_send(uint32_t, const struct nat_block *);

void
nat_reconf_conf(const struct imsg_conf *c)
{
	nframed_new = 0;
	prev_mode = mode;
	mode = c->mode;
	/* Blocks already given out keep their ports until they end. */
	if (blocks != NULL && (c->nat_port_first != port_first ||
	    c->nat_block_size != block_size || c->nat_port_last != port_last))
		log_warnx("nat port-range changes only at restart");
	if (blocks != NULL)
		return;
	port_first = c->nat_port_first;
	port_last = c->nat_port_last;
	block_size = c->nat_block_size;
	if (block_size == 0 || port_last < port_first)
		nblocks = 0;
	else
		nblocks = (size_t)(port_last - port_first + 1) / block_size;
	if ((blocks = calloc(nblocks + 1, sizeof(*blocks))) == NULL)
		fatal("%s", __func__);
}

/* Returns 0, or -1 for a malformed message. */
int
nat_reconf_framed(struct imsg *imsg)
{
	struct imsg_framed	 f;

	if (imsg_get_data(imsg, &f, sizeof(f)) == -1 ||
	    (f.family != AF_INET && f.family != AF_INET6) ||
	    f.prefixlen > (f.family == AF_INET ? 32 : 128) ||
	    nframed_new >= FRAMED_MAX)
		return -1;
	framed_new[nframed_new++] = f;
	return 0;
}

/* A restored binding whose block had to change, recorded afterwards. */
struct nat_moved {
	char		 service_id[AUTH_MAX_SERVICE_ID + 1];
	size_t		 len;
	uint16_t	 first;
	uint16_t	 last;
};

struct nat_moved_list {
	struct nat_moved	*v;
	size_t			 n;
	size_t			 size;
};

static void
nat_restore_cb(const struct binding *b, void *arg)
{
	struct nat_moved_list	*ml = arg;
	struct nat_moved	*m;
	uint16_t		 first = b->port_first, last = b->port_last;

	if (b->mode != MODE_NAT || b->local4.s_addr == INADDR_ANY)
		return;
	if (nat_block_restore(b->local4, &first, &last) == -1 ||
	    (first == b->port_first && last == b->port_last))
		return;
	if (ml->n == ml->size) {
		ml->size = ml->size ? ml->size * 2 : 16;
		if ((m = reallocarray(ml->v, ml->size, sizeof(*m))) == NULL)
			fatal("%s", __func__);
		ml->v = m;
	}
	m = &ml->v[ml->n++];
	memcpy(m->service_id, b->service_id, b->service_id_len + 1);
	m->len = b->service_id_len;
	m->first = first;
	m->last = last;
}

/*
 * The first configuration follows the journal's replay: the bindings
 * restored from it get their blocks, and their SNAT rules, back.
 */
void
nat_reconf_end(void)
{
	struct nat_moved_list	 moved = { NULL, 0, 0 };
	size_t			 i;

	memcpy(framed, framed_new, sizeof(framed));
	nframed = nframed_new;
	if (mode != MODE_NAT || (restored && prev_mode == MODE_NAT)) {
		restored = 1;
		return;
	}
	/*
	 * The parent drops every SNAT rule when a reload leaves NAT mode,
	 * but the blocks stay with their bindings, so a reload back into
	 * NAT mode sends IMSG_NAT_ADD for each of them again.
	 */
	if (restored)
		for (i = 0; i < nblocks; i++)
			if (blocks[i].local4.s_addr != INADDR_ANY)
				nat_send(IMSG_NAT_ADD, &blocks[i]);
	/*
	 * The first configuration in NAT mode, at start or at a reload
	 * after a start in routed mode, gives the NAT bindings restored
	 * from the journal their blocks.  A block already held is not
	 * sent twice.
	 * NOTE: a binding authorised in routed mode gets no block here.
	 * Its traffic leaves through the masquerade rule until the client
	 * authorises again.
	 */
	auth_ctl_bindings("", nat_restore_cb, &moved);
	/* The table changes only after the walk over it. */
	for (i = 0; i < moved.n; i++)
		auth_ports_changed(moved.v[i].service_id, moved.v[i].len,
		    moved.v[i].first, moved.v[i].last);
	free(moved.v);
	restored = 1;
}

const struct imsg_framed *
nat_framed(size_t i)
{
	return i < nframed ? &framed[i] : NULL;
}

static void
nat_send(uint32_t type, const struct nat_block *b)
{
	struct imsg_nat	 n;

	memset(&n, 0, sizeof(n));
	n.local4 = b->local4;
	n.port_first = b->first;
	n.port_last = b->last;
	if (routed_imsg_compose_parent(type, 0, &n, sizeof(n)) == -1)
		fatal("%s: imsg_compose", __func__);
}

/*
 * The block of a local address: the one it has, else the first free
 * one.  Returns -1 when every block is taken.
 */
int
nat_block_get(struct in_addr local, uint16_t *first, uint16_t *last)
{
	size_t	 i, freeblk = nblocks;

	for (i = 0; i < nblocks; i++) {
		if (blocks[i].local4.s_addr == local.s_addr) {
			*first = blocks[i].first;
			*last = blocks[i].last;
			return 0;
		}
		if (blocks[i].local4.s_addr == INADDR_ANY && freeblk == nblocks)
			freeblk = i;
	}
	if (freeblk == nblocks) {
		log_warnx("no free NAT port block for %s", inet_ntoa(local));
		return -1;
	}
	blocks[freeblk].local4 = local;
	blocks[freeblk].first = port_first + freeblk * block_size;
	blocks[freeblk].last = blocks[freeblk].first + block_size - 1;
	*first = blocks[freeblk].first;
	*last = blocks[freeblk].last;
	nat_send(IMSG_NAT_ADD, &blocks[freeblk]);
	return 0;
}

/*
 * A binding restored from the journal keeps its ports.  A block that
 * no longer fits the configuration is given a new one.
 */
int
nat_block_restore(struct in_addr local, uint16_t *first, uint16_t *last)
{
	size_t	 i;

	if (block_size != 0 && *first >= port_first &&
	    (*first - port_first) % block_size == 0 &&
	    (i = (*first - port_first) / block_size) < nblocks &&
	    *last == *first + block_size - 1 &&
	    (blocks[i].local4.s_addr == INADDR_ANY ||
	    blocks[i].local4.s_addr == local.s_addr)) {
		if (blocks[i].local4.s_addr == INADDR_ANY) {
			blocks[i].local4 = local;
			blocks[i].first = *first;
			blocks[i].last = *last;
			nat_send(IMSG_NAT_ADD, &blocks[i]);
		}
		return 0;
	}
	return nat_block_get(local, first, last);
}

/* The last binding of the local address ended. */
void
nat_block_put(struct in_addr local)
{
	size_t	 i;

	for (i = 0; i < nblocks; i++)
		if (blocks[i].local4.s_addr == local.s_addr) {
			nat_send(IMSG_NAT_DEL, &blocks[i]);
			memset(&blocks[i], 0, sizeof(blocks[i]));
		}
}

/*
 * Messages of the parent about the kernel.  Returns -1 for a malformed
 * one, which is fatal for the caller.
 */
int
nat_parent_imsg(struct imsg *imsg)
{
	struct imsg_uplink_addr		 u;
	struct imsg_kernel_result	 res;
	struct imsg_route		 r;

	switch (imsg_get_type(imsg)) {
	case IMSG_UPLINK_ADDR:
		if (imsg_get_data(imsg, &u, sizeof(u)) == -1 ||
		    !MCGW_STR_OK(u.ifname))
			return -1;
		if (routed_uplink4.s_addr == u.addr4.s_addr &&
		    memcmp(&routed_uplink6, &u.addr6, sizeof(u.addr6)) == 0)
			return 0;
		routed_uplink4 = u.addr4;
		routed_uplink6 = u.addr6;
		log_info("uplink %s: UE IP %s", u.ifname,
		    u.addr4.s_addr ? inet_ntoa(u.addr4) : "none");
		auth_uplink_changed();
		return 0;
	case IMSG_KERNEL_RESULT:
		if (imsg_get_data(imsg, &res, sizeof(res)) == -1 ||
		    !MCGW_STR_OK(res.message))
			return -1;
		if (res.code != 0)
			log_warnx("parent: %s %s", imsg_type_name(res.type),
			    res.message);
		return 0;
	case IMSG_CTL_ROUTE:
		if (imsg_get_data(imsg, &r, sizeof(r)) == -1 ||
		    !MCGW_STR_OK(r.ifname))
			return -1;
		control_relay(imsg_get_peerid(imsg), IMSG_CTL_ROUTE, &r,
		    sizeof(r));
		return 0;
	case IMSG_CTL_END:
		if (imsg_get_len(imsg) != 0)
			return -1;
		control_relay(imsg_get_peerid(imsg), IMSG_CTL_END, NULL, 0);
		return 0;
	}
	return -1;
}
