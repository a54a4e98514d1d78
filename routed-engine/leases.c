/*
 * The stored DHCPv4 leases in memory, in address order: what replay
 * rebuilds, what dhcpd gets back at start, what mcgwctl lists and what
 * compaction writes.
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

/*
 * XXX Each entry carries the whole fixed-size imsg_lease4, about 400
 * bytes with its tree links: a million leases take about 400 MB.  A
 * variable-size entry would save most of the client identifier space.
 */
struct lease_entry {
	RB_ENTRY(lease_entry)	 entry;
	uint32_t		 key;	/* address in host byte order */
	struct imsg_lease4	 lease;
};

RB_HEAD(lease_tree, lease_entry);

static int	lease_cmp(const struct lease_entry *,
		    const struct lease_entry *);

RB_PROTOTYPE_STATIC(lease_tree, lease_entry, entry, lease_cmp)

static struct lease_tree	 leases = RB_INITIALIZER(&leases);
static uint32_t			 nleases;
static uint32_t			 nactive;

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

void
lease_update(const struct imsg_lease4 *l)
{
	struct lease_entry	 key, *e;

	key.key = ntohl(l->addr.s_addr);
	e = RB_FIND(lease_tree, &leases, &key);

	if (l->state == LEASE_FREE) {
		if (e == NULL)
			return;
		if (e->lease.state == LEASE_ACTIVE)
			nactive--;
		RB_REMOVE(lease_tree, &leases, e);
		nleases--;
		free(e);
		return;
	}

	if (e == NULL) {
		if ((e = malloc(sizeof(*e))) == NULL)
			fatal("%s", __func__);
		e->key = key.key;
		RB_INSERT(lease_tree, &leases, e);
		nleases++;
	} else if (e->lease.state == LEASE_ACTIVE)
		nactive--;
	e->lease = *l;
	if (l->state == LEASE_ACTIVE)
		nactive++;
}

const struct imsg_lease4 *
lease_find(struct in_addr addr)
{
	struct lease_entry	 key, *e;

	key.key = ntohl(addr.s_addr);
	if ((e = RB_FIND(lease_tree, &leases, &key)) == NULL)
		return NULL;
	return &e->lease;
}

const struct imsg_lease4 *
lease_first(void)
{
	struct lease_entry	*e;

	if ((e = RB_MIN(lease_tree, &leases)) == NULL)
		return NULL;
	return &e->lease;
}

const struct imsg_lease4 *
lease_next(uint32_t addr)
{
	struct lease_entry	 key, *e;

	if (addr == UINT32_MAX)
		return NULL;
	key.key = addr + 1;
	if ((e = RB_NFIND(lease_tree, &leases, &key)) == NULL)
		return NULL;
	return &e->lease;
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
