/*
 * The DHCPv4 lease table and address allocator.
 *
 * A lease entry exists only for an address that was ever offered, bound
 * or restored; an address never used is the part of its range past the
 * range's cursor.  Entries are hashed by address and by client key.
 * Every entry with a deadline (offer, binding, hold-down) sits in one
 * binary heap ordered by end.  Free entries inside a range wait on their
 * pool's free list in the order they became free, so the head is the
 * address unused the longest.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "dhcpd.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define SLOT_POISON(p)		ASAN_POISON_MEMORY_REGION((p), sizeof(*(p)))
#define SLOT_UNPOISON(p)	ASAN_UNPOISON_MEMORY_REGION((p), sizeof(*(p)))
#else
#define SLOT_POISON(p)		do { } while (0)
#define SLOT_UNPOISON(p)	do { } while (0)
#endif

#define HASH_MIN	1024
#define LEASE_SLAB	256	/* entries per allocation */

struct pool_range {
	uint32_t	 start;		/* host byte order */
	uint32_t	 end;		/* inclusive */
	uint32_t	 next;		/* first address never used */
	int		 done;		/* the cursor passed end */
};

struct pool {
	TAILQ_ENTRY(pool)	 entry;
	struct lease_db		*db;
	uint32_t		 network;
	uint32_t		 mask;
	uint8_t			 prefixlen;
	struct pool_range	*ranges;
	size_t			 nranges;
	uint32_t		*reserved;	/* sorted once active */
	size_t			 nreserved;
	TAILQ_HEAD(, lease)	 freeq;
	int			 active;
};

struct lease_db {
	struct lease		**addr_tab;
	size_t			 addr_size;
	size_t			 count;
	struct lease		**client_tab;
	size_t			 client_size;
	size_t			 nclients;
	struct lease		**heap;		/* 1-based */
	size_t			 heap_n;
	size_t			 heap_cap;
	TAILQ_HEAD(, pool)	 pools;
	SLIST_HEAD(, lease_slab) slabs;
	struct lease		*spare;		/* free slots, by addr_next */
};

/*
 * Entries come from slabs, because a malloc per entry would add its
 * header to every one of tens of thousands.  A slot goes back to the
 * spare list when its entry is deleted, and the slabs are freed with
 * the table.
 */
struct lease_slab {
	SLIST_ENTRY(lease_slab)	 entry;
	struct lease		 slot[LEASE_SLAB];
};

static void	 heap_remove(struct lease_db *, struct lease *);
static void	 heap_update(struct lease_db *, struct lease *);
static void	 lease_delete(struct lease_db *, struct lease *);
static void	 freeq_insert(struct lease_db *, struct lease *, int);

static void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		fatal("%s", __func__);
	return p;
}

static size_t
addr_hash(uint32_t a, size_t size)
{
	return (size_t)((a * 2654435761U) ^ (a >> 16)) & (size - 1);
}

/* FNV-1a over the key, with the key type mixed in. */
static size_t
key_hash(const uint8_t *key, size_t len, int cid, size_t size)
{
	uint32_t	 h = 2166136261U ^ (cid ? 0x5a : 0);
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= key[i];
		h *= 16777619U;
	}
	return h & (size - 1);
}

static const uint8_t *
lease_key(const struct lease *l)
{
	return l->cidbuf != NULL ? l->cidbuf : l->hwkey;
}

struct lease_db *
lease_db_new(void)
{
	struct lease_db	*db;

	db = xcalloc(1, sizeof(*db));
	db->addr_size = HASH_MIN;
	db->addr_tab = xcalloc(db->addr_size, sizeof(*db->addr_tab));
	db->client_size = HASH_MIN;
	db->client_tab = xcalloc(db->client_size, sizeof(*db->client_tab));
	db->heap_cap = HASH_MIN;
	db->heap = xcalloc(db->heap_cap + 1, sizeof(*db->heap));
	TAILQ_INIT(&db->pools);
	SLIST_INIT(&db->slabs);
	return db;
}

void
lease_db_free(struct lease_db *db)
{
	struct lease_slab *s;
	struct lease	*l;
	struct pool	*p;
	size_t		 i;

	while ((p = TAILQ_FIRST(&db->pools)) != NULL)
		pool_free(p);
	for (i = 0; i < db->addr_size; i++)
		while ((l = db->addr_tab[i]) != NULL)
			lease_delete(db, l);
	while ((s = SLIST_FIRST(&db->slabs)) != NULL) {
		SLIST_REMOVE_HEAD(&db->slabs, entry);
		free(s);
	}
	free(db->addr_tab);
	free(db->client_tab);
	free(db->heap);
	free(db);
}

size_t
lease_db_count(const struct lease_db *db)
{
	return db->count;
}

static void
addr_rehash(struct lease_db *db)
{
	struct lease	**tab, *l, *next;
	size_t		 size = db->addr_size * 2, i, h;

	tab = xcalloc(size, sizeof(*tab));
	for (i = 0; i < db->addr_size; i++)
		for (l = db->addr_tab[i]; l != NULL; l = next) {
			next = l->addr_next;
			h = addr_hash(ntohl(l->addr.s_addr), size);
			l->addr_next = tab[h];
			tab[h] = l;
		}
	free(db->addr_tab);
	db->addr_tab = tab;
	db->addr_size = size;
}

static void
client_rehash(struct lease_db *db)
{
	struct lease	**tab, *l, *next;
	size_t		 size = db->client_size * 2, i, h;

	tab = xcalloc(size, sizeof(*tab));
	for (i = 0; i < db->client_size; i++)
		for (l = db->client_tab[i]; l != NULL; l = next) {
			next = l->client_next;
			h = key_hash(lease_key(l), l->keylen, l->cid, size);
			l->client_next = tab[h];
			tab[h] = l;
		}
	free(db->client_tab);
	db->client_tab = tab;
	db->client_size = size;
}

struct lease *
lease_find(const struct lease_db *db, struct in_addr addr)
{
	struct lease	*l;

	l = db->addr_tab[addr_hash(ntohl(addr.s_addr), db->addr_size)];
	for (; l != NULL; l = l->addr_next)
		if (l->addr.s_addr == addr.s_addr)
			return l;
	return NULL;
}

static struct lease *
lease_alloc(struct lease_db *db)
{
	struct lease_slab *s;
	struct lease	*l;
	size_t		 i;

	if (db->spare == NULL) {
		s = xcalloc(1, sizeof(*s));
		SLIST_INSERT_HEAD(&db->slabs, s, entry);
		for (i = LEASE_SLAB; i-- > 0; ) {
			s->slot[i].addr_next = db->spare;
			db->spare = &s->slot[i];
			SLOT_POISON(db->spare);
		}
	}
	l = db->spare;
	SLOT_UNPOISON(l);
	db->spare = l->addr_next;
	memset(l, 0, sizeof(*l));
	return l;
}

/* Returns the lease for addr, created in state LEASE_FREE if needed. */
struct lease *
lease_get(struct lease_db *db, struct in_addr addr)
{
	struct lease	*l;
	size_t		 h;

	if ((l = lease_find(db, addr)) != NULL)
		return l;
	if (db->count >= db->addr_size)
		addr_rehash(db);
	l = lease_alloc(db);
	l->addr = addr;
	l->state = LEASE_FREE;
	h = addr_hash(ntohl(addr.s_addr), db->addr_size);
	l->addr_next = db->addr_tab[h];
	db->addr_tab[h] = l;
	db->count++;
	return l;
}

int
lease_key_equal(const struct lease *l, const struct lease_client *c)
{
	return l->keylen != 0 && l->keylen == c->keylen &&
	    l->cid == (c->cid != 0) &&
	    memcmp(lease_key(l), c->key, c->keylen) == 0;
}

struct lease *
lease_find_client(const struct lease_db *db, const struct lease_client *c,
    struct in_addr network, uint8_t prefixlen)
{
	struct lease	*l;
	uint32_t	 mask, net;

	if (c->keylen == 0)
		return NULL;
	mask = prefixlen == 0 ? 0 : 0xffffffffU << (32 - prefixlen);
	net = ntohl(network.s_addr) & mask;
	l = db->client_tab[key_hash(c->key, c->keylen, c->cid,
	    db->client_size)];
	for (; l != NULL; l = l->client_next)
		if (lease_key_equal(l, c) &&
		    (ntohl(l->addr.s_addr) & mask) == net)
			return l;
	return NULL;
}

static void
client_unhash(struct lease_db *db, struct lease *l)
{
	struct lease	**pp;

	if (!l->hashed)
		return;
	pp = &db->client_tab[key_hash(lease_key(l), l->keylen, l->cid,
	    db->client_size)];
	for (; *pp != NULL; pp = &(*pp)->client_next)
		if (*pp == l) {
			*pp = l->client_next;
			break;
		}
	l->hashed = 0;
	db->nclients--;
}

void
lease_clear_client(struct lease_db *db, struct lease *l)
{
	client_unhash(db, l);
	free(l->cidbuf);
	l->cidbuf = NULL;
	l->cid = 0;
	l->keylen = 0;
}

static void
lease_set_hw(struct lease *l, const struct lease_client *c, size_t hlen)
{
	memset(l->hwkey, 0, sizeof(l->hwkey));
	l->hwkey[0] = c->htype;
	l->hlen = hlen;
	if (c->chaddr != NULL)
		memcpy(l->hwkey + 1, c->chaddr, hlen);
}

/*
 * Gives the entry to the client c.  A key that is htype and chaddr,
 * as an option 61 key or not, stays in hwkey without a copy.
 */
void
lease_set_client(struct lease_db *db, struct lease *l,
    const struct lease_client *c)
{
	size_t	 h, hlen;

	hlen = c->hlen > MCGW_MAX_HWLEN ? MCGW_MAX_HWLEN : c->hlen;
	if (lease_key_equal(l, c) && l->hashed) {
		/* The same client id from another chaddr: copy the key out. */
		lease_set_hw(l, c, hlen);
		if (l->cidbuf == NULL &&
		    memcmp(l->hwkey, c->key, c->keylen) != 0) {
			l->cidbuf = xcalloc(1, c->keylen);
			memcpy(l->cidbuf, c->key, c->keylen);
		}
		return;
	}
	lease_clear_client(db, l);
	lease_set_hw(l, c, hlen);
	if (c->keylen == 0 || c->keylen > MCGW_MAX_CIDLEN + 1)
		return;
	if (c->cid && (c->keylen > hlen + 1 ||
	    memcmp(c->key, l->hwkey, c->keylen) != 0)) {
		l->cidbuf = xcalloc(1, c->keylen);
		memcpy(l->cidbuf, c->key, c->keylen);
	} else if (!c->cid && (c->keylen != hlen + 1 ||
	    memcmp(c->key, l->hwkey, c->keylen) != 0)) {
		/* Callers build this key from htype and chaddr. */
		log_warnx("%s: client key is not htype and chaddr", __func__);
		return;
	}
	l->cid = c->cid != 0;
	l->keylen = c->keylen;

	if (db->nclients >= db->client_size)
		client_rehash(db);
	h = key_hash(c->key, c->keylen, l->cid, db->client_size);
	l->client_next = db->client_tab[h];
	db->client_tab[h] = l;
	l->hashed = 1;
	db->nclients++;
}

void
lease_set_hostname(struct lease *l, const char *name)
{
	free(l->hostname);
	l->hostname = NULL;
	if (name != NULL && *name != '\0' &&
	    (l->hostname = strdup(name)) == NULL)
		fatal("%s", __func__);
}

static void
lease_delete(struct lease_db *db, struct lease *l)
{
	struct lease	**pp;

	if (l->free_pool != NULL) {
		TAILQ_REMOVE(&l->free_pool->freeq, l, free_entry);
		l->free_pool = NULL;
	}
	heap_remove(db, l);
	lease_clear_client(db, l);
	pp = &db->addr_tab[addr_hash(ntohl(l->addr.s_addr), db->addr_size)];
	for (; *pp != NULL; pp = &(*pp)->addr_next)
		if (*pp == l) {
			*pp = l->addr_next;
			break;
		}
	db->count--;
	free(l->hostname);
	l->addr_next = db->spare;
	db->spare = l;
	SLOT_POISON(l);
}

/* The timer heap, ordered by end. */
static void
heap_swap(struct lease_db *db, size_t a, size_t b)
{
	struct lease	*t = db->heap[a];

	db->heap[a] = db->heap[b];
	db->heap[b] = t;
	db->heap[a]->heap_idx = a;
	db->heap[b]->heap_idx = b;
}

static void
heap_sift(struct lease_db *db, size_t i)
{
	size_t	 c;

	while (i > 1 && db->heap[i]->end < db->heap[i / 2]->end) {
		heap_swap(db, i, i / 2);
		i /= 2;
	}
	for (;;) {
		c = 2 * i;
		if (c > db->heap_n)
			break;
		if (c + 1 <= db->heap_n &&
		    db->heap[c + 1]->end < db->heap[c]->end)
			c++;
		if (db->heap[c]->end >= db->heap[i]->end)
			break;
		heap_swap(db, i, c);
		i = c;
	}
}

static void
heap_update(struct lease_db *db, struct lease *l)
{
	struct lease	**h;

	if (l->heap_idx == 0) {
		if (db->heap_n == db->heap_cap) {
			h = reallocarray(db->heap, db->heap_cap * 2 + 1,
			    sizeof(*h));
			if (h == NULL)
				fatal("%s", __func__);
			db->heap = h;
			db->heap_cap *= 2;
		}
		db->heap[++db->heap_n] = l;
		l->heap_idx = db->heap_n;
	}
	heap_sift(db, l->heap_idx);
}

static void
heap_remove(struct lease_db *db, struct lease *l)
{
	size_t	 i = l->heap_idx;

	if (i == 0)
		return;
	if (i != db->heap_n) {
		heap_swap(db, i, db->heap_n);
		db->heap_n--;
		heap_sift(db, i);
	} else
		db->heap_n--;
	l->heap_idx = 0;
}

int64_t
lease_db_next_end(const struct lease_db *db)
{
	return db->heap_n > 0 ? db->heap[1]->end : -1;
}

static int
range_has(const struct pool *p, uint32_t a)
{
	size_t	 i;

	for (i = 0; i < p->nranges; i++)
		if (a >= p->ranges[i].start && a <= p->ranges[i].end)
			return 1;
	return 0;
}

int
pool_is_reserved(const struct pool *p, struct in_addr addr)
{
	uint32_t	 a = ntohl(addr.s_addr);
	size_t		 lo = 0, hi = p->nreserved, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (p->reserved[mid] == a)
			return 1;
		if (p->reserved[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
pool_in_range(const struct pool *p, struct in_addr addr)
{
	return range_has(p, ntohl(addr.s_addr)) && !pool_is_reserved(p, addr);
}

/* The active pool whose ranges hold addr, if any. */
static struct pool *
pool_for_addr(const struct lease_db *db, struct in_addr addr)
{
	struct pool	*p;

	TAILQ_FOREACH(p, &db->pools, entry)
		if (pool_in_range(p, addr))
			return p;
	return NULL;
}

static void
freeq_insert(struct lease_db *db, struct lease *l, int head)
{
	struct pool	*p;

	/* A held address is for its binding's client only. */
	if (l->free_pool != NULL || l->held ||
	    (p = pool_for_addr(db, l->addr)) == NULL)
		return;
	if (head)
		TAILQ_INSERT_HEAD(&p->freeq, l, free_entry);
	else
		TAILQ_INSERT_TAIL(&p->freeq, l, free_entry);
	l->free_pool = p;
}

void
lease_set_state(struct lease_db *db, struct lease *l, uint8_t state,
    int64_t end)
{
	if (l->free_pool != NULL) {
		TAILQ_REMOVE(&l->free_pool->freeq, l, free_entry);
		l->free_pool = NULL;
	}
	l->state = state;
	l->end = end;
	if (state == LEASE_FREE) {
		/* end is the time it became free: the LRU order. */
		heap_remove(db, l);
		freeq_insert(db, l, 0);
		return;
	}
	heap_update(db, l);
}

void
lease_db_expire(struct lease_db *db, int64_t now, uint32_t hold_down,
    lease_expire_cb cb, void *arg)
{
	struct lease	*l;
	uint8_t		 old;

	while (db->heap_n > 0 && db->heap[1]->end <= now) {
		l = db->heap[1];
		old = l->state;
		switch (old) {
		case LEASE_ACTIVE:
			lease_set_state(db, l, LEASE_EXPIRED,
			    now + hold_down);
			break;
		case LEASE_OFFERED:
		case LEASE_RELEASED:
		case LEASE_EXPIRED:
		case LEASE_DECLINED:
		case LEASE_ABANDONED:
			lease_set_state(db, l, LEASE_FREE, now);
			break;
		default:
			heap_remove(db, l);
			break;
		}
		if (cb != NULL)
			cb(l, old, arg);
		/* An address outside every range is forgotten when free. */
		if (l->state == LEASE_FREE && l->free_pool == NULL &&
		    !l->held)
			lease_delete(db, l);
	}
}

void
lease_restore(struct lease_db *db, const struct imsg_lease4 *r)
{
	struct lease_client c;
	struct lease	*l;
	uint8_t		 key[MCGW_MAX_CIDLEN + 1];

	switch (r->state) {
	case LEASE_ACTIVE:
	case LEASE_RELEASED:
	case LEASE_EXPIRED:
	case LEASE_DECLINED:
	case LEASE_ABANDONED:
		break;
	case LEASE_FREE:
		/* The journal forgot it; drop any earlier record. */
		if ((l = lease_find(db, r->addr)) != NULL &&
		    l->state != LEASE_FREE)
			lease_set_state(db, l, LEASE_FREE, r->end);
		return;
	default:
		log_warnx("%s: %s: state %u ignored", __func__,
		    inet_ntoa(r->addr), r->state);
		return;
	}

	memset(&c, 0, sizeof(c));
	c.htype = r->htype;
	c.hlen = r->hlen > MCGW_MAX_HWLEN ? MCGW_MAX_HWLEN : r->hlen;
	c.chaddr = r->chaddr;
	if (r->cidlen > 0) {
		c.key = r->cid;
		c.keylen = r->cidlen;
		c.cid = 1;
	} else if (c.hlen > 0) {
		key[0] = r->htype;
		memcpy(key + 1, r->chaddr, c.hlen);
		c.key = key;
		c.keylen = c.hlen + 1;
	}

	l = lease_get(db, r->addr);
	if (r->state == LEASE_DECLINED) {
		/* A declined address has no owner to give it back to. */
		lease_clear_client(db, l);
		lease_set_hw(l, &c, c.hlen);
	} else
		lease_set_client(db, l, &c);
	if (MCGW_STR_OK(r->hostname))
		lease_set_hostname(l, r->hostname);
	l->start = r->start;
	lease_set_state(db, l, r->state, r->end);
}

void
lease_to_imsg(const struct lease *l, const char *ifname,
    struct imsg_lease4 *r)
{
	memset(r, 0, sizeof(*r));
	r->addr = l->addr;
	if (ifname != NULL)
		strlcpy(r->ifname, ifname, sizeof(r->ifname));
	r->state = l->state;
	r->htype = l->hwkey[0];
	r->hlen = l->hlen;
	memcpy(r->chaddr, l->hwkey + 1, l->hlen);
	if (l->cid) {
		r->cidlen = l->keylen;
		memcpy(r->cid, lease_key(l), l->keylen);
	}
	if (l->hostname != NULL)
		strlcpy(r->hostname, l->hostname, sizeof(r->hostname));
	r->start = l->start;
	r->end = l->end;
}

struct pool *
pool_new(struct lease_db *db, struct in_addr network, uint8_t prefixlen)
{
	struct pool	*p;

	p = xcalloc(1, sizeof(*p));
	p->db = db;
	p->mask = prefixlen == 0 ? 0 : 0xffffffffU << (32 - prefixlen);
	p->network = ntohl(network.s_addr) & p->mask;
	p->prefixlen = prefixlen;
	TAILQ_INIT(&p->freeq);
	return p;
}

int
pool_add_range(struct pool *p, struct in_addr start, struct in_addr end)
{
	struct pool_range *r;
	uint32_t	 s = ntohl(start.s_addr), e = ntohl(end.s_addr);

	if (s > e || p->active)
		return -1;
	r = reallocarray(p->ranges, p->nranges + 1, sizeof(*r));
	if (r == NULL)
		fatal("%s", __func__);
	p->ranges = r;
	r += p->nranges++;
	r->start = r->next = s;
	r->end = e;
	r->done = 0;
	return 0;
}

void
pool_add_reserved(struct pool *p, struct in_addr addr)
{
	uint32_t	*r;

	r = reallocarray(p->reserved, p->nreserved + 1, sizeof(*r));
	if (r == NULL)
		fatal("%s", __func__);
	p->reserved = r;
	p->reserved[p->nreserved++] = ntohl(addr.s_addr);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_lease_end(const void *a, const void *b)
{
	const struct lease *x = *(struct lease * const *)a;
	const struct lease *y = *(struct lease * const *)b;

	return x->end < y->end ? -1 : x->end > y->end;
}

void
pool_activate(struct pool *p)
{
	struct lease_db	*db = p->db;
	struct lease	*l, **v = NULL;
	size_t		 i, n = 0, cap = 0;

	if (p->nreserved > 0)
		qsort(p->reserved, p->nreserved, sizeof(*p->reserved),
		    cmp_u32);
	p->active = 1;
	TAILQ_INSERT_TAIL(&db->pools, p, entry);

	/* Free entries from before a reload, oldest first. */
	for (i = 0; i < db->addr_size; i++)
		for (l = db->addr_tab[i]; l != NULL; l = l->addr_next) {
			if (l->state != LEASE_FREE || l->free_pool != NULL ||
			    !pool_in_range(p, l->addr))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = reallocarray(v, cap, sizeof(*v));
				if (v == NULL)
					fatal("%s", __func__);
			}
			v[n++] = l;
		}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_lease_end);
	for (i = 0; i < n; i++) {
		TAILQ_INSERT_TAIL(&p->freeq, v[i], free_entry);
		v[i]->free_pool = p;
	}
	free(v);
}

void
pool_free(struct pool *p)
{
	struct lease	*l;

	if (p == NULL)
		return;
	while ((l = TAILQ_FIRST(&p->freeq)) != NULL) {
		TAILQ_REMOVE(&p->freeq, l, free_entry);
		l->free_pool = NULL;
	}
	if (p->active)
		TAILQ_REMOVE(&p->db->pools, p, entry);
	free(p->ranges);
	free(p->reserved);
	free(p);
}

int
pool_addr_ok(struct pool *p, struct in_addr addr,
    const struct lease_client *c, int64_t now)
{
	struct lease	*l;

	(void)now;
	if (!pool_in_range(p, addr))
		return 0;
	if ((l = lease_find(p->db, addr)) == NULL)
		return 1;
	if (l->held)
		return lease_key_equal(l, c);
	if (l->state == LEASE_FREE)
		return 1;
	/* A held address goes back only to the client that held it. */
	if (l->state == LEASE_DECLINED || l->state == LEASE_ABANDONED)
		return 0;
	return lease_key_equal(l, c);
}

/* Takes the next never-used address of the pool, skipping known ones. */
static struct lease *
pool_next_unused(struct pool *p)
{
	struct pool_range *r;
	struct in_addr	 a;
	size_t		 i;

	for (i = 0; i < p->nranges; i++) {
		r = &p->ranges[i];
		while (!r->done) {
			a.s_addr = htonl(r->next);
			if (r->next == r->end)
				r->done = 1;
			else
				r->next++;
			if (pool_is_reserved(p, a) ||
			    lease_find(p->db, a) != NULL)
				continue;
			return lease_get(p->db, a);
		}
	}
	return NULL;
}

struct lease *
pool_select(struct pool *p, const struct lease_client *c,
    struct in_addr req, int64_t now)
{
	struct lease	*l;
	struct in_addr	 net;

	net.s_addr = htonl(p->network);
	l = lease_find_client(p->db, c, net, p->prefixlen);
	if (l != NULL && pool_in_range(p, l->addr) &&
	    l->state != LEASE_DECLINED && l->state != LEASE_ABANDONED)
		return l;

	if (req.s_addr != INADDR_ANY && pool_addr_ok(p, req, c, now)) {
		l = lease_get(p->db, req);
		/* Every free entry in a range waits on the free list. */
		if (l->state == LEASE_FREE)
			freeq_insert(p->db, l, 1);
		return l;
	}

	if ((l = pool_next_unused(p)) != NULL) {
		freeq_insert(p->db, l, 1);
		return l;
	}
	return TAILQ_FIRST(&p->freeq);
}
