/*
 * The stored DHCPv4 leases in memory, in address order: what replay
 * rebuilds, what dhcpd gets back at start, what mcgwctl lists and what
 * compaction writes.
 *
 * An entry keeps the fixed fields inline.  The host name and a client
 * identifier go into one allocation sized to them.  An identifier that
 * is htype followed by chaddr takes no memory, because a flag stands
 * for it: RFC 2132 9.14 suggests that form, and perfdhcp sends it.
 * The interface name is an index into a small table.
 * So a lease takes about 100 bytes instead of the 376 of struct
 * imsg_lease4, which exists only at the edges: lease_update() takes
 * one, and the lookups fill one.
 */

#include <sys/types.h>
#include <sys/tree.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mcgw.h"
#include "routed.h"

/* libbsd leaves it undefined; RB_GENERATE_STATIC marks helpers with it. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

/* Interface names in use; a lease keeps only the index. */
#define LEASE_IFNAMES_MAX	256

struct lease_entry {
	RB_ENTRY(lease_entry)	 entry;
	int64_t			 start;
	int64_t			 end;
	uint32_t		 key;	/* address in host byte order */
	uint8_t			 state;
	uint8_t			 htype;
	uint8_t			 hlen;
	uint8_t			 cidlen;
	uint8_t			 hnlen;	/* host name length, no NUL */
	uint8_t			 ifidx;
	uint8_t			 cid_hw; /* cid is htype, then chaddr */
	uint8_t			 chaddr[MCGW_MAX_HWLEN];
	unsigned char		*extra;	/* cid unless cid_hw, host name */
};

RB_HEAD(lease_tree, lease_entry);

static int	lease_cmp(const struct lease_entry *,
		    const struct lease_entry *);
static uint8_t	lease_ifindex(const char *);
static void	lease_store(struct lease_entry *,
		    const struct imsg_lease4 *);
static const struct imsg_lease4 *lease_expand(const struct lease_entry *);

RB_PROTOTYPE_STATIC(lease_tree, lease_entry, entry, lease_cmp)

static struct lease_tree	 leases = RB_INITIALIZER(&leases);
static uint32_t			 nleases;
static uint32_t			 nactive;
static char			 ifnames[LEASE_IFNAMES_MAX][IF_NAMESIZE];
static size_t			 nifnames;

static int
lease_cmp(const struct lease_entry *a, const struct lease_entry *b)
{
	if (a->key < b->key)
		return -1;
	return a->key > b->key;
}

void
leases_init(void)
{
	RB_INIT(&leases);
	nleases = nactive = 0;
}

/*
 * Names stay in the table for the life of the process: a gateway has
 * a handful of LAN interfaces, renamed at most a few times.
 */
static uint8_t
lease_ifindex(const char *name)
{
	size_t	 i;

	for (i = 0; i < nifnames; i++)
		if (strcmp(ifnames[i], name) == 0)
			return i;
	if (nifnames == LEASE_IFNAMES_MAX)
		fatalx("%s: more than %d interface names", __func__,
		    LEASE_IFNAMES_MAX);
	strlcpy(ifnames[nifnames], name, sizeof(ifnames[nifnames]));
	return nifnames++;
}

/* Whether the client id is htype followed by the first octets of chaddr. */
static int
lease_cid_is_hw(const struct imsg_lease4 *l, size_t hlen)
{
	return l->cidlen >= 1 && l->cidlen <= hlen + 1 &&
	    l->cid[0] == l->htype &&
	    memcmp(l->cid + 1, l->chaddr, l->cidlen - 1) == 0;
}

static void
lease_store(struct lease_entry *e, const struct imsg_lease4 *l)
{
	size_t		 hnlen, hlen, cidlen;

	hnlen = strnlen(l->hostname, sizeof(l->hostname) - 1);
	hlen = l->hlen > MCGW_MAX_HWLEN ? MCGW_MAX_HWLEN : l->hlen;
	e->cid_hw = lease_cid_is_hw(l, hlen);
	cidlen = e->cid_hw ? 0 : l->cidlen;
	free(e->extra);
	e->extra = NULL;
	if (cidlen + hnlen > 0) {
		if ((e->extra = malloc(cidlen + hnlen)) == NULL)
			fatal("%s", __func__);
		memcpy(e->extra, l->cid, cidlen);
		memcpy(e->extra + cidlen, l->hostname, hnlen);
	}
	e->start = l->start;
	e->end = l->end;
	e->state = l->state;
	e->htype = l->htype;
	e->hlen = hlen;
	e->cidlen = l->cidlen;
	e->hnlen = hnlen;
	e->ifidx = lease_ifindex(l->ifname);
	memcpy(e->chaddr, l->chaddr, e->hlen);
}

/*
 * The lease in its message form.  The result lives in one static
 * buffer: it is valid until the next call of lease_find(),
 * lease_first() or lease_next().
 */
static const struct imsg_lease4 *
lease_expand(const struct lease_entry *e)
{
	static struct imsg_lease4	 l;
	size_t				 cidlen;

	if (e == NULL)
		return NULL;
	memset(&l, 0, sizeof(l));
	l.addr.s_addr = htonl(e->key);
	strlcpy(l.ifname, ifnames[e->ifidx], sizeof(l.ifname));
	l.state = e->state;
	l.htype = e->htype;
	l.hlen = e->hlen;
	l.cidlen = e->cidlen;
	memcpy(l.chaddr, e->chaddr, e->hlen);
	if (e->cid_hw) {
		l.cid[0] = e->htype;
		memcpy(l.cid + 1, e->chaddr, e->cidlen - 1);
		cidlen = 0;
	} else
		cidlen = e->cidlen;
	if (e->extra != NULL) {
		memcpy(l.cid, e->extra, cidlen);
		memcpy(l.hostname, e->extra + cidlen, e->hnlen);
	}
	l.start = e->start;
	l.end = e->end;
	return &l;
}

void
lease_update(const struct imsg_lease4 *l)
{
	struct lease_entry	 key, *e;

	key.key = ntohl(l->addr.s_addr);
	e = RB_FIND(lease_tree, &leases, &key);

	if (l->state == LEASE_FREE) {
		if (e == NULL)
			return;
		if (e->state == LEASE_ACTIVE)
			nactive--;
		RB_REMOVE(lease_tree, &leases, e);
		nleases--;
		free(e->extra);
		free(e);
		return;
	}

	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			fatal("%s", __func__);
		e->key = key.key;
		RB_INSERT(lease_tree, &leases, e);
		nleases++;
	} else if (e->state == LEASE_ACTIVE)
		nactive--;
	lease_store(e, l);
	if (l->state == LEASE_ACTIVE)
		nactive++;
}

const struct imsg_lease4 *
lease_find(struct in_addr addr)
{
	struct lease_entry	 key;

	key.key = ntohl(addr.s_addr);
	return lease_expand(RB_FIND(lease_tree, &leases, &key));
}

const struct imsg_lease4 *
lease_first(void)
{
	return lease_expand(RB_MIN(lease_tree, &leases));
}

const struct imsg_lease4 *
lease_next(uint32_t addr)
{
	struct lease_entry	 key;

	if (addr == UINT32_MAX)
		return NULL;
	key.key = addr + 1;
	return lease_expand(RB_NFIND(lease_tree, &leases, &key));
}

uint32_t
leases_total(void)
{
	return nleases;
}

uint32_t
leases_active(void)
{
	return nactive;
}

RB_GENERATE_STATIC(lease_tree, lease_entry, entry, lease_cmp)
