/*
 * The binding table and the binding history (see binding.h for the
 * rules).  Bindings are indexed by service ID and by each local
 * address; the history is an array in the order the bindings started.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "mcgw.h"
#include "binding.h"

/* libbsd leaves it undefined; RB_GENERATE_STATIC marks helpers with it. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

/* Journal records are written as they are: keep the layout fixed. */
_Static_assert(sizeof(struct imsg_binding) == 616, "imsg_binding layout");
_Static_assert(sizeof(struct imsg_binding_history) == 320,
    "imsg_binding_history layout");

struct binding_entry {
	RB_ENTRY(binding_entry)	 by_sid;
	RB_ENTRY(binding_entry)	 by_local4;
	RB_ENTRY(binding_entry)	 by_local6;
	struct binding		 b;
};

RB_HEAD(sid_tree, binding_entry);
RB_HEAD(local4_tree, binding_entry);
RB_HEAD(local6_tree, binding_entry);

struct binding_table {
	struct sid_tree		 sids;
	struct local4_tree	 local4;
	struct local6_tree	 local6;
	size_t			 count;
};

struct binding_history {
	struct binding_history_entry	*entries;
	size_t				 count;
	size_t				 size;
};

static int	 sid_cmp(struct binding_entry *, struct binding_entry *);
static int	 local4_cmp(struct binding_entry *, struct binding_entry *);
static int	 local6_cmp(struct binding_entry *, struct binding_entry *);
static int	 has_local4(const struct binding *);
static int	 has_local6(const struct binding *);
static int	 same_local(const struct binding *, const struct binding *);
static struct binding_entry *entry_find(struct binding_table *,
		    const char *, size_t);
static void	 entry_end(struct binding_table *, struct binding_entry *,
		    enum binding_end_reason, int64_t, binding_end_cb, void *);
static int	 history_matches(const struct binding_history_entry *, int,
		    const void *, uint16_t, int64_t);

RB_PROTOTYPE_STATIC(sid_tree, binding_entry, by_sid, sid_cmp)
RB_PROTOTYPE_STATIC(local4_tree, binding_entry, by_local4, local4_cmp)
RB_PROTOTYPE_STATIC(local6_tree, binding_entry, by_local6, local6_cmp)
RB_GENERATE_STATIC(sid_tree, binding_entry, by_sid, sid_cmp)
RB_GENERATE_STATIC(local4_tree, binding_entry, by_local4, local4_cmp)
RB_GENERATE_STATIC(local6_tree, binding_entry, by_local6, local6_cmp)

/* Service IDs contain no NUL, so strcmp() orders them completely. */
static int
sid_cmp(struct binding_entry *a, struct binding_entry *b)
{
	return strcmp(a->b.service_id, b->b.service_id);
}

/* Orders by address, then service ID: one address, several IDs. */
static int
local4_cmp(struct binding_entry *a, struct binding_entry *b)
{
	int	 rv;

	rv = memcmp(&a->b.local4, &b->b.local4, sizeof(a->b.local4));
	return rv != 0 ? rv : sid_cmp(a, b);
}

static int
local6_cmp(struct binding_entry *a, struct binding_entry *b)
{
	int	 rv;

	rv = memcmp(&a->b.local6, &b->b.local6, sizeof(a->b.local6));
	return rv != 0 ? rv : sid_cmp(a, b);
}

static int
has_local4(const struct binding *b)
{
	return b->local4.s_addr != INADDR_ANY;
}

static int
has_local6(const struct binding *b)
{
	return !IN6_IS_ADDR_UNSPECIFIED(&b->local6);
}

static int
same_local(const struct binding *a, const struct binding *b)
{
	return a->local4.s_addr == b->local4.s_addr &&
	    IN6_ARE_ADDR_EQUAL(&a->local6, &b->local6);
}

struct binding_table *
binding_table_new(void)
{
	struct binding_table	*bt;

	if ((bt = calloc(1, sizeof(*bt))) == NULL)
		return NULL;
	RB_INIT(&bt->sids);
	RB_INIT(&bt->local4);
	RB_INIT(&bt->local6);
	return bt;
}

/* Frees the table without reporting the bindings as ended. */
void
binding_table_free(struct binding_table *bt)
{
	struct binding_entry	*e;

	if (bt == NULL)
		return;
	while ((e = RB_MIN(sid_tree, &bt->sids)) != NULL)
		entry_end(bt, e, BINDING_LIVE, 0, NULL, NULL);
	free(bt);
}

static struct binding_entry *
entry_find(struct binding_table *bt, const char *service_id,
    size_t len)
{
	struct binding_entry	 find;

	if (len == 0 || len > AUTH_MAX_SERVICE_ID)
		return NULL;
	memcpy(find.b.service_id, service_id, len);
	find.b.service_id[len] = '\0';
	return RB_FIND(sid_tree, &bt->sids, &find);
}

static void
entry_end(struct binding_table *bt, struct binding_entry *e,
    enum binding_end_reason reason, int64_t now, binding_end_cb cb,
    void *arg)
{
	RB_REMOVE(sid_tree, &bt->sids, e);
	if (has_local4(&e->b))
		RB_REMOVE(local4_tree, &bt->local4, e);
	if (has_local6(&e->b))
		RB_REMOVE(local6_tree, &bt->local6, e);
	bt->count--;
	if (cb != NULL)
		cb(&e->b, reason, now, arg);
	free(e);
}

/*
 * Stores the binding nb for its service ID, authorised at now (the
 * authorised, refreshed and expires fields of nb: only expires is used).
 * If the service ID is already bound to the same local addresses, that
 * binding is updated and BINDING_RENEWED returned.  If it is bound to
 * other addresses, the old binding ends with BINDING_MOVED (reported to
 * cb) and BINDING_NEW is returned.  Returns -1 if nb is invalid or
 * memory ran out; the old binding then stays.
 */
int
binding_authorise(struct binding_table *bt, const struct binding *nb,
    int64_t now, binding_end_cb cb, void *arg)
{
	struct binding_entry	*e, *old;
	int64_t			 authorised;

	if (nb->service_id_len == 0 ||
	    nb->service_id_len > AUTH_MAX_SERVICE_ID ||
	    strnlen(nb->service_id, sizeof(nb->service_id)) !=
	    nb->service_id_len ||
	    (!has_local4(nb) && !has_local6(nb))) {
		errno = EINVAL;
		return -1;
	}

	old = entry_find(bt, nb->service_id, nb->service_id_len);
	if (old != NULL && same_local(&old->b, nb)) {
		authorised = old->b.authorised;
		old->b = *nb;
		old->b.authorised = authorised;
		old->b.refreshed = now;
		return BINDING_RENEWED;
	}

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	if (old != NULL)
		entry_end(bt, old, BINDING_MOVED, now, cb, arg);
	e->b = *nb;
	e->b.authorised = e->b.refreshed = now;
	RB_INSERT(sid_tree, &bt->sids, e);
	if (has_local4(&e->b))
		RB_INSERT(local4_tree, &bt->local4, e);
	if (has_local6(&e->b))
		RB_INSERT(local6_tree, &bt->local6, e);
	bt->count++;
	return BINDING_NEW;
}

const struct binding *
binding_find(struct binding_table *bt, const char *service_id,
    size_t len)
{
	struct binding_entry	*e;

	e = entry_find(bt, service_id, len);
	return e != NULL ? &e->b : NULL;
}

/*
 * Extends a binding to expires.  Returns -1 if the service ID is not
 * bound; the caller checks first that the request came from the
 * binding's local address.
 */
int
binding_refresh(struct binding_table *bt, const char *service_id,
    size_t len, int64_t expires, int64_t now)
{
	struct binding_entry	*e;

	if ((e = entry_find(bt, service_id, len)) == NULL)
		return -1;
	e->b.refreshed = now;
	e->b.expires = expires;
	return 0;
}

/* Ends a binding that its client released.  Returns -1 if none. */
int
binding_release(struct binding_table *bt, const char *service_id,
    size_t len, int64_t now, binding_end_cb cb, void *arg)
{
	struct binding_entry	*e;

	if ((e = entry_find(bt, service_id, len)) == NULL)
		return -1;
	entry_end(bt, e, BINDING_RELEASED, now, cb, arg);
	return 0;
}

/* Ends a binding at the operator's request.  Returns -1 if none. */
int
binding_clear(struct binding_table *bt, const char *service_id,
    size_t len, int64_t now, binding_end_cb cb, void *arg)
{
	struct binding_entry	*e;

	if ((e = entry_find(bt, service_id, len)) == NULL)
		return -1;
	entry_end(bt, e, BINDING_CLEARED, now, cb, arg);
	return 0;
}

/*
 * Ends every binding whose local address is addr (struct in_addr for
 * AF_INET, struct in6_addr for AF_INET6) because its lease ended.  A
 * dual-stack binding ends when either of its leases ends.  Returns how
 * many ended.
 */
size_t
binding_end_by_address(struct binding_table *bt, int family,
    const void *addr, int64_t now, binding_end_cb cb, void *arg)
{
	struct binding_entry	 find, *e;
	size_t			 n = 0;

	memset(&find, 0, sizeof(find));
	for (;;) {
		/* The empty service ID sorts before every other. */
		if (family == AF_INET) {
			memcpy(&find.b.local4, addr, sizeof(find.b.local4));
			e = RB_NFIND(local4_tree, &bt->local4, &find);
			if (e == NULL || e->b.local4.s_addr !=
			    find.b.local4.s_addr)
				break;
		} else if (family == AF_INET6) {
			memcpy(&find.b.local6, addr, sizeof(find.b.local6));
			e = RB_NFIND(local6_tree, &bt->local6, &find);
			if (e == NULL || !IN6_ARE_ADDR_EQUAL(&e->b.local6,
			    &find.b.local6))
				break;
		} else
			break;
		entry_end(bt, e, BINDING_LEASE_ENDED, now, cb, arg);
		n++;
	}
	return n;
}

/*
 * Ends the bindings whose expiry time has come.  Returns how many.
 * XXX this walks every binding; an index by expiry time would make a
 * timer tick cheaper with many thousands of bindings.
 */
size_t
binding_expire(struct binding_table *bt, int64_t now, binding_end_cb cb,
    void *arg)
{
	struct binding_entry	*e, *next;
	size_t			 n = 0;

	for (e = RB_MIN(sid_tree, &bt->sids); e != NULL; e = next) {
		next = RB_NEXT(sid_tree, &bt->sids, e);
		if (e->b.expires <= now) {
			entry_end(bt, e, BINDING_EXPIRED, now, cb, arg);
			n++;
		}
	}
	return n;
}

/* Visits every binding in service-ID order.  Returns how many. */
size_t
binding_foreach(struct binding_table *bt, binding_visit_cb fn,
    void *arg)
{
	struct binding_entry	*e;
	size_t			 n = 0;

	RB_FOREACH(e, sid_tree, &bt->sids) {
		fn(&e->b, arg);
		n++;
	}
	return n;
}

/* Visits the bindings of one local address.  Returns how many. */
size_t
binding_foreach_local(struct binding_table *bt, int family,
    const void *addr, binding_visit_cb fn, void *arg)
{
	struct binding_entry	 find, *e;
	size_t			 n = 0;

	memset(&find, 0, sizeof(find));
	if (family == AF_INET) {
		memcpy(&find.b.local4, addr, sizeof(find.b.local4));
		for (e = RB_NFIND(local4_tree, &bt->local4, &find); e != NULL &&
		    e->b.local4.s_addr == find.b.local4.s_addr;
		    e = RB_NEXT(local4_tree, &bt->local4, e)) {
			fn(&e->b, arg);
			n++;
		}
	} else if (family == AF_INET6) {
		memcpy(&find.b.local6, addr, sizeof(find.b.local6));
		for (e = RB_NFIND(local6_tree, &bt->local6, &find); e != NULL &&
		    IN6_ARE_ADDR_EQUAL(&e->b.local6, &find.b.local6);
		    e = RB_NEXT(local6_tree, &bt->local6, e)) {
			fn(&e->b, arg);
			n++;
		}
	}
	return n;
}

size_t
binding_count(const struct binding_table *bt)
{
	return bt->count;
}

/* Returns a stable upper-case name for logs, mcgwctl and the journal. */
const char *
binding_end_reason_name(uint8_t reason)
{
	switch (reason) {
	case BINDING_LIVE:
		return "LIVE";
	case BINDING_RELEASED:
		return "RELEASED";
	case BINDING_EXPIRED:
		return "EXPIRED";
	case BINDING_LEASE_ENDED:
		return "LEASE_ENDED";
	case BINDING_CLEARED:
		return "CLEARED";
	case BINDING_MOVED:
		return "MOVED";
	case BINDING_UE_CHANGED:
		return "UE_CHANGED";
	case BINDING_PORTS_CHANGED:
		return "PORTS_CHANGED";
	default:
		return "UNKNOWN";
	}
}

void
binding_to_imsg(const struct binding *b, struct imsg_binding *ib)
{
	memset(ib, 0, sizeof(*ib));
	memcpy(ib->service_id, b->service_id, b->service_id_len);
	strlcpy(ib->ifname, b->ifname, sizeof(ib->ifname));
	ib->mode = b->mode;
	ib->hlen = b->hlen;
	ib->cidlen = b->cidlen;
	memcpy(ib->hwaddr, b->hwaddr, sizeof(ib->hwaddr));
	memcpy(ib->cid, b->cid, sizeof(ib->cid));
	ib->local4 = b->local4;
	ib->ue4 = b->ue4;
	ib->local6 = b->local6;
	ib->ue6 = b->ue6;
	ib->port_first = b->port_first;
	ib->port_last = b->port_last;
	ib->authorised = b->authorised;
	ib->refreshed = b->refreshed;
	ib->expires = b->expires;
}

/*
 * Converts a received or journaled binding.  Returns -1 if a string
 * lacks its NUL or a field is out of range: for a sibling's message
 * that is fatal, for a journal record it means corruption.
 */
int
binding_from_imsg(const struct imsg_binding *ib, struct binding *b)
{
	size_t	 len;

	if (!MCGW_STR_OK(ib->service_id) || !MCGW_STR_OK(ib->ifname))
		return -1;
	len = strlen(ib->service_id);
	if (len == 0 || !auth_utf8_valid((const uint8_t *)ib->service_id,
	    len) || ib->hlen > MCGW_MAX_HWLEN ||
	    (ib->port_first > ib->port_last))
		return -1;
	memset(b, 0, sizeof(*b));
	memcpy(b->service_id, ib->service_id, len + 1);
	b->service_id_len = len;
	strlcpy(b->ifname, ib->ifname, sizeof(b->ifname));
	b->mode = ib->mode;
	b->hlen = ib->hlen;
	b->cidlen = ib->cidlen;
	memcpy(b->hwaddr, ib->hwaddr, sizeof(b->hwaddr));
	memcpy(b->cid, ib->cid, sizeof(b->cid));
	b->local4 = ib->local4;
	b->ue4 = ib->ue4;
	b->local6 = ib->local6;
	b->ue6 = ib->ue6;
	b->port_first = ib->port_first;
	b->port_last = ib->port_last;
	b->authorised = ib->authorised;
	b->refreshed = ib->refreshed;
	b->expires = ib->expires;
	return 0;
}

struct binding_history *
binding_history_new(void)
{
	return calloc(1, sizeof(struct binding_history));
}

void
binding_history_free(struct binding_history *h)
{
	if (h == NULL)
		return;
	free(h->entries);
	free(h);
}

/* Fills a live history entry from a binding that starts. */
void
binding_history_from_binding(struct binding_history_entry *he,
    const struct binding *b)
{
	memset(he, 0, sizeof(*he));
	memcpy(he->service_id, b->service_id, b->service_id_len);
	he->service_id_len = b->service_id_len;
	he->local4 = b->local4;
	he->local6 = b->local6;
	he->ue4 = b->ue4;
	he->ue6 = b->ue6;
	he->port_first = b->port_first;
	he->port_last = b->port_last;
	he->start = b->authorised;
	he->end = 0;
	he->end_reason = BINDING_LIVE;
}

/* Appends an entry (live or ended).  Returns -1 if memory ran out. */
int
binding_history_add(struct binding_history *h,
    const struct binding_history_entry *he)
{
	struct binding_history_entry	*n;
	size_t				 size;

	if (h->count == h->size) {
		size = h->size == 0 ? 64 : h->size * 2;
		n = reallocarray(h->entries, size, sizeof(*n));
		if (n == NULL)
			return -1;
		h->entries = n;
		h->size = size;
	}
	h->entries[h->count++] = *he;
	return 0;
}

/*
 * Marks the live entry of a service ID that started at start as ended.
 * Returns -1 if there is no such entry.
 */
int
binding_history_end(struct binding_history *h, const char *service_id,
    size_t len, int64_t start, int64_t end, uint8_t reason)
{
	struct binding_history_entry	*he;
	size_t				 i;

	/* The entry to end is usually among the most recent ones. */
	for (i = h->count; i > 0; i--) {
		he = &h->entries[i - 1];
		if (he->end == 0 && he->start == start &&
		    he->service_id_len == len &&
		    memcmp(he->service_id, service_id, len) == 0) {
			he->end = end;
			he->end_reason = reason;
			return 0;
		}
	}
	return -1;
}

/*
 * Matches an entry whose local or UE address of that family is addr and
 * whose time span [start, end) contains at; a live entry has no end.
 * When both port and the entry's port range are set, port must lie in
 * the range.
 */
static int
history_matches(const struct binding_history_entry *he, int family,
    const void *addr, uint16_t port, int64_t at)
{
	if (at < he->start || (he->end != 0 && at >= he->end))
		return 0;
	if (port != 0 && he->port_first != 0 &&
	    (port < he->port_first || port > he->port_last))
		return 0;
	if (family == AF_INET)
		return memcmp(&he->local4, addr, 4) == 0 ||
		    memcmp(&he->ue4, addr, 4) == 0;
	if (family == AF_INET6)
		return memcmp(&he->local6, addr, 16) == 0 ||
		    memcmp(&he->ue6, addr, 16) == 0;
	return 0;
}

/*
 * Finds the entries that held addr (local or UE, struct in_addr or
 * struct in6_addr) and port (0: any) at time at.  Copies at most max of
 * them into out and returns how many match in total.
 * XXX a linear scan: fine for an operator's query over some hundred
 * thousand entries, too slow for a per-packet path.
 */
size_t
binding_history_lookup(const struct binding_history *h, int family,
    const void *addr, uint16_t port, int64_t at,
    struct binding_history_entry *out, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < h->count; i++) {
		if (!history_matches(&h->entries[i], family, addr, port, at))
			continue;
		if (n < max)
			out[n] = h->entries[i];
		n++;
	}
	return n;
}

/*
 * Drops the entries that ended before older_than, keeping the order of
 * the others.  Live entries stay.  Returns how many were dropped.
 */
size_t
binding_history_compact(struct binding_history *h, int64_t older_than)
{
	size_t	 i, kept = 0, dropped;

	for (i = 0; i < h->count; i++) {
		if (h->entries[i].end != 0 && h->entries[i].end < older_than)
			continue;
		if (kept != i)
			h->entries[kept] = h->entries[i];
		kept++;
	}
	dropped = h->count - kept;
	h->count = kept;
	return dropped;
}

size_t
binding_history_count(const struct binding_history *h)
{
	return h->count;
}

/* Copies the entry at index i, in start order.  Returns -1 past the end. */
int
binding_history_get(const struct binding_history *h, size_t i,
    struct binding_history_entry *he)
{
	if (i >= h->count)
		return -1;
	*he = h->entries[i];
	return 0;
}

void
binding_history_to_imsg(const struct binding_history_entry *he,
    struct imsg_binding_history *ih)
{
	memset(ih, 0, sizeof(*ih));
	memcpy(ih->service_id, he->service_id, he->service_id_len);
	ih->local4 = he->local4;
	ih->ue4 = he->ue4;
	ih->local6 = he->local6;
	ih->ue6 = he->ue6;
	ih->port_first = he->port_first;
	ih->port_last = he->port_last;
	ih->end_reason = he->end_reason;
	ih->start = he->start;
	ih->end = he->end;
}

/* Converts a received or journaled entry.  Returns -1 if invalid. */
int
binding_history_from_imsg(const struct imsg_binding_history *ih,
    struct binding_history_entry *he)
{
	size_t	 len;

	if (!MCGW_STR_OK(ih->service_id))
		return -1;
	len = strlen(ih->service_id);
	if (len == 0 || !auth_utf8_valid((const uint8_t *)ih->service_id,
	    len) || ih->end_reason > BINDING_PORTS_CHANGED ||
	    ih->port_first > ih->port_last)
		return -1;
	memset(he, 0, sizeof(*he));
	memcpy(he->service_id, ih->service_id, len + 1);
	he->service_id_len = len;
	he->local4 = ih->local4;
	he->ue4 = ih->ue4;
	he->local6 = ih->local6;
	he->ue6 = ih->ue6;
	he->port_first = ih->port_first;
	he->port_last = ih->port_last;
	he->end_reason = ih->end_reason;
	he->start = ih->start;
	he->end = ih->end;
	return 0;
}

int
binding_set_ue(struct binding_table *bt, const char *service_id, size_t len,
    struct in_addr ue4, const struct in6_addr *ue6, int64_t now)
{
	struct binding_entry	*e;

	if ((e = entry_find(bt, service_id, len)) == NULL)
		return -1;
	e->b.ue4 = ue4;
	e->b.ue6 = *ue6;
	e->b.authorised = now;
	return 0;
}

int
binding_set_ports(struct binding_table *bt, const char *service_id,
    size_t len, uint16_t first, uint16_t last, int64_t now)
{
	struct binding_entry	*e;

	if ((e = entry_find(bt, service_id, len)) == NULL)
		return -1;
	e->b.port_first = first;
	e->b.port_last = last;
	e->b.authorised = now;
	return 0;
}
