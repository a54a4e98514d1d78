/*
 * Unit tests for the DHCPv4 lease table and allocator.
 */

#include <sys/types.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "../../dhcpd-engine/dhcpd.h"

#define HOLD	600

struct client {
	struct lease_client	 c;
	uint8_t			 key[8];
	uint8_t			 mac[6];
};

static struct in_addr
ip(const char *s)
{
	struct in_addr	 a;

	ATF_REQUIRE(inet_pton(AF_INET, s, &a) == 1);
	return a;
}

static void
mkclient(struct client *cl, uint32_t n)
{
	memset(cl, 0, sizeof(*cl));
	cl->mac[0] = 0x02;
	cl->mac[2] = n >> 24;
	cl->mac[3] = n >> 16;
	cl->mac[4] = n >> 8;
	cl->mac[5] = n;
	cl->key[0] = 1;
	memcpy(cl->key + 1, cl->mac, 6);
	cl->c.key = cl->key;
	cl->c.keylen = 7;
	cl->c.htype = 1;
	cl->c.hlen = 6;
	cl->c.chaddr = cl->mac;
}

static struct pool *
mkpool(struct lease_db *db, const char *start, const char *end)
{
	struct pool	*p;

	p = pool_new(db, ip("10.0.0.0"), 8);
	ATF_REQUIRE_EQ(pool_add_range(p, ip(start), ip(end)), 0);
	pool_activate(p);
	return p;
}

/* Selects an address for cl and binds it until now + 3600. */
static struct lease *
take(struct lease_db *db, struct pool *p, struct client *cl,
    const char *req, int64_t now)
{
	struct in_addr	 r = { INADDR_ANY };
	struct lease	*l;

	if (req != NULL)
		r = ip(req);
	if ((l = pool_select(p, &cl->c, r, now)) == NULL)
		return NULL;
	lease_set_client(db, l, &cl->c);
	l->start = now;
	lease_set_state(db, l, LEASE_ACTIVE, now + 3600);
	return l;
}

static int
is(const struct lease *l, const char *addr)
{
	return l != NULL && l->addr.s_addr == ip(addr).s_addr;
}

ATF_TC_WITHOUT_HEAD(pool_order_unused_then_lru);
ATF_TC_BODY(pool_order_unused_then_lru, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.0.0.10", "10.0.0.13");
	struct client	 a, b, c, d, e;
	struct lease	*la, *lb;

	mkclient(&a, 1);
	mkclient(&b, 2);
	mkclient(&c, 3);
	mkclient(&d, 4);
	mkclient(&e, 5);
	ATF_CHECK(is(la = take(db, p, &a, NULL, 100), "10.0.0.10"));
	ATF_CHECK(is(lb = take(db, p, &b, NULL, 100), "10.0.0.11"));

	/* b's address frees first, then a's, both without hold-down. */
	lease_set_state(db, lb, LEASE_FREE, 200);
	lease_set_state(db, la, LEASE_FREE, 300);

	/* Never-used addresses go before freed ones. */
	ATF_CHECK(is(take(db, p, &c, NULL, 400), "10.0.0.12"));
	ATF_CHECK(is(take(db, p, &d, NULL, 400), "10.0.0.13"));
	/* Then the address free the longest: b's. */
	ATF_CHECK(is(take(db, p, &e, NULL, 400), "10.0.0.11"));
	lease_db_free(db);
}

ATF_TC_WITHOUT_HEAD(pool_previous_preferred);
ATF_TC_BODY(pool_previous_preferred, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.0.0.10", "10.0.0.20");
	struct client	 a, b;
	struct lease	*l;

	mkclient(&a, 1);
	mkclient(&b, 2);
	ATF_REQUIRE(is(take(db, p, &b, NULL, 0), "10.0.0.10"));
	ATF_REQUIRE(is(l = take(db, p, &a, NULL, 0), "10.0.0.11"));

	/* The binding expires into hold-down: still a's. */
	lease_db_expire(db, 4000, HOLD, NULL, NULL);
	ATF_CHECK_EQ(l->state, LEASE_EXPIRED);
	ATF_CHECK(is(pool_select(p, &a.c, ip("10.0.0.15"), 4000),
	    "10.0.0.11"));

	/* After the hold-down the free address still goes back to a. */
	lease_db_expire(db, 4000 + HOLD, HOLD, NULL, NULL);
	ATF_CHECK_EQ(l->state, LEASE_FREE);
	ATF_CHECK(is(pool_select(p, &a.c, ip("0.0.0.0"), 5000),
	    "10.0.0.11"));
	lease_db_free(db);
}

ATF_TC_WITHOUT_HEAD(pool_hold_down);
ATF_TC_BODY(pool_hold_down, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.0.0.10", "10.0.0.10");
	struct client	 a, b;
	struct lease	*l;

	mkclient(&a, 1);
	mkclient(&b, 2);
	ATF_REQUIRE(is(l = take(db, p, &a, NULL, 100), "10.0.0.10"));
	lease_set_state(db, l, LEASE_RELEASED, 100 + HOLD);

	ATF_CHECK(pool_select(p, &b.c, ip("10.0.0.10"), 100) == NULL);
	ATF_CHECK_EQ(pool_addr_ok(p, ip("10.0.0.10"), &b.c, 100), 0);
	lease_db_expire(db, 100 + HOLD - 1, HOLD, NULL, NULL);
	ATF_CHECK(pool_select(p, &b.c, ip("0.0.0.0"), 100 + HOLD - 1) ==
	    NULL);

	lease_db_expire(db, 100 + HOLD, HOLD, NULL, NULL);
	ATF_CHECK(is(take(db, p, &b, NULL, 100 + HOLD), "10.0.0.10"));
	lease_db_free(db);
}

ATF_TC_WITHOUT_HEAD(pool_declined_held);
ATF_TC_BODY(pool_declined_held, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.0.0.10", "10.0.0.10");
	struct client	 a;
	struct lease	*l;

	mkclient(&a, 1);
	ATF_REQUIRE(is(l = take(db, p, &a, NULL, 100), "10.0.0.10"));
	lease_clear_client(db, l);
	lease_set_state(db, l, LEASE_DECLINED, 100 + 3600);
	/* A declined address goes back to no one, the decliner included. */
	ATF_CHECK(pool_select(p, &a.c, ip("10.0.0.10"), 200) == NULL);
	lease_db_free(db);
}

ATF_TC_WITHOUT_HEAD(pool_requested_addr);
ATF_TC_BODY(pool_requested_addr, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.0.0.10", "10.0.0.20");
	struct client	 a, b;
	struct lease	*l;

	mkclient(&a, 1);
	mkclient(&b, 2);
	ATF_CHECK(is(take(db, p, &a, "10.0.0.15", 0), "10.0.0.15"));
	ATF_CHECK_EQ(pool_addr_ok(p, ip("10.0.0.15"), &b.c, 0), 0);
	l = take(db, p, &b, "10.0.0.15", 0);
	ATF_REQUIRE(l != NULL);
	ATF_CHECK(!is(l, "10.0.0.15"));
	/* Outside every range: not honoured. */
	ATF_CHECK_EQ(pool_addr_ok(p, ip("10.0.0.30"), &b.c, 0), 0);
	/* The never-used cursor skips what a request took. */
	mkclient(&b, 3);
	ATF_CHECK(!is(take(db, p, &b, NULL, 0), "10.0.0.15"));
	lease_db_free(db);
}

ATF_TC_WITHOUT_HEAD(pool_reserved_skipped);
ATF_TC_BODY(pool_reserved_skipped, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p;
	struct client	 a;

	p = pool_new(db, ip("10.0.0.0"), 24);
	pool_add_range(p, ip("10.0.0.1"), ip("10.0.0.2"));
	pool_add_reserved(p, ip("10.0.0.1"));
	pool_activate(p);
	mkclient(&a, 1);
	ATF_CHECK(is(take(db, p, &a, "10.0.0.1", 0), "10.0.0.2"));
	lease_db_free(db);
}

ATF_TC_WITHOUT_HEAD(pool_exhausted);
ATF_TC_BODY(pool_exhausted, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.0.0.10", "10.0.0.11");
	struct client	 cl;

	mkclient(&cl, 1);
	ATF_CHECK(take(db, p, &cl, NULL, 0) != NULL);
	mkclient(&cl, 2);
	ATF_CHECK(take(db, p, &cl, NULL, 0) != NULL);
	mkclient(&cl, 3);
	ATF_CHECK(take(db, p, &cl, NULL, 0) == NULL);
	lease_db_free(db);
}

ATF_TC_WITHOUT_HEAD(pool_large_range);
ATF_TC_BODY(pool_large_range, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.1.0.0", "10.1.255.255");
	struct client	 cl;
	struct lease	*l;
	uint8_t		*seen;
	uint32_t	 i, a, dups = 0, outside = 0;

	seen = calloc(65536, 1);
	ATF_REQUIRE(seen != NULL);
	for (i = 0; i < 65536; i++) {
		mkclient(&cl, i);
		l = take(db, p, &cl, NULL, 0);
		ATF_REQUIRE(l != NULL);
		a = ntohl(l->addr.s_addr);
		if ((a >> 16) != 0x0a01) {
			outside++;
			continue;
		}
		if (seen[a & 0xffff]++)
			dups++;
	}
	ATF_CHECK_EQ(dups, 0);
	ATF_CHECK_EQ(outside, 0);
	ATF_CHECK_EQ(lease_db_count(db), 65536);
	mkclient(&cl, 70000);
	ATF_CHECK(take(db, p, &cl, NULL, 0) == NULL);
	free(seen);
	lease_db_free(db);
}

static void
mkrecord(struct imsg_lease4 *r, const struct client *cl, const char *addr,
    uint8_t state, int64_t end)
{
	memset(r, 0, sizeof(*r));
	r->addr = ip(addr);
	r->state = state;
	r->htype = 1;
	r->hlen = 6;
	memcpy(r->chaddr, cl->mac, 6);
	/* No client id: the key is htype and chaddr, as mkclient's. */
	r->cidlen = 0;
	r->start = 0;
	r->end = end;
}

ATF_TC_WITHOUT_HEAD(pool_restore_held);
ATF_TC_BODY(pool_restore_held, tc)
{
	struct lease_db	*db = lease_db_new();
	struct imsg_lease4 r;
	struct pool	*p;
	struct client	 a, b, c;
	struct lease	*l;

	mkclient(&a, 1);
	mkclient(&b, 2);
	mkclient(&c, 3);
	/* Restored before the pool exists, as at start-up. */
	mkrecord(&r, &a, "10.0.0.10", LEASE_ACTIVE, 50);
	lease_restore(db, &r);
	mkrecord(&r, &c, "10.0.0.11", LEASE_RELEASED, 5000);
	lease_restore(db, &r);
	p = mkpool(db, "10.0.0.10", "10.0.0.11");

	ATF_CHECK(pool_select(p, &b.c, ip("10.0.0.10"), 100) == NULL);
	ATF_CHECK_EQ(pool_addr_ok(p, ip("10.0.0.11"), &b.c, 100), 0);

	/* An ACTIVE record whose end passed expires into hold-down. */
	lease_db_expire(db, 100, HOLD, NULL, NULL);
	l = lease_find(db, ip("10.0.0.10"));
	ATF_REQUIRE(l != NULL);
	ATF_CHECK_EQ(l->state, LEASE_EXPIRED);
	ATF_CHECK(pool_select(p, &b.c, ip("0.0.0.0"), 100) == NULL);
	ATF_CHECK(is(pool_select(p, &a.c, ip("0.0.0.0"), 100),
	    "10.0.0.10"));
	lease_db_free(db);
}

/*
 * A client identifier of 7 and of 32 octets keys its lease, and each
 * survives the round trip through struct imsg_lease4.
 */
ATF_TC_WITHOUT_HEAD(pool_client_id_keys);
ATF_TC_BODY(pool_client_id_keys, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.0.0.10", "10.0.0.20");
	struct imsg_lease4 r;
	struct client	 a, b;
	struct lease	*la, *lb;
	uint8_t		 longid[32];
	size_t		 i;

	mkclient(&a, 1);
	a.c.cid = 1;
	a.key[0] = 0xff;	/* a key unlike htype and chaddr */
	mkclient(&b, 2);
	for (i = 0; i < sizeof(longid); i++)
		longid[i] = i + 1;
	b.c.cid = 1;
	b.c.key = longid;
	b.c.keylen = sizeof(longid);

	la = take(db, p, &a, NULL, 0);
	lb = take(db, p, &b, NULL, 0);
	ATF_REQUIRE(la != NULL && lb != NULL);
	ATF_CHECK(la != lb);
	ATF_CHECK(lease_find_client(db, &a.c, ip("10.0.0.0"), 8) == la);
	ATF_CHECK(lease_find_client(db, &b.c, ip("10.0.0.0"), 8) == lb);

	/* The same MAC without the identifier is another client. */
	a.c.cid = 0;
	a.key[0] = 1;
	ATF_CHECK(lease_find_client(db, &a.c, ip("10.0.0.0"), 8) == NULL);

	lease_to_imsg(lb, "lan0", &r);
	ATF_CHECK_EQ(r.cidlen, sizeof(longid));
	ATF_CHECK(memcmp(r.cid, longid, sizeof(longid)) == 0);
	ATF_CHECK_EQ(r.htype, 1);
	ATF_CHECK_EQ(r.hlen, 6);
	ATF_CHECK(memcmp(r.chaddr, b.mac, 6) == 0);
	lease_to_imsg(la, "lan0", &r);
	ATF_CHECK_EQ(r.cidlen, 7);
	ATF_CHECK_EQ(r.cid[0], 0xff);
	lease_db_free(db);
}

/*
 * A client identifier of type 1 and the MAC is stored as htype and
 * chaddr, and stays the key when the same client id comes from
 * another MAC.
 */
ATF_TC_WITHOUT_HEAD(pool_client_id_is_mac);
ATF_TC_BODY(pool_client_id_is_mac, tc)
{
	struct lease_db	*db = lease_db_new();
	struct pool	*p = mkpool(db, "10.0.0.10", "10.0.0.20");
	struct imsg_lease4 r;
	struct client	 a, nocid;
	struct lease	*l;

	mkclient(&a, 1);
	a.c.cid = 1;		/* key: 01 and the MAC, as mkclient's */
	mkclient(&nocid, 1);	/* the same bytes, not a client id */
	l = take(db, p, &a, NULL, 0);
	ATF_REQUIRE(l != NULL);
	ATF_CHECK(l->cidbuf == NULL);
	ATF_CHECK(lease_find_client(db, &a.c, ip("10.0.0.0"), 8) == l);
	ATF_CHECK(lease_find_client(db, &nocid.c, ip("10.0.0.0"), 8) ==
	    NULL);

	/* The client id again, from a new network card. */
	a.mac[5] = 0x99;
	lease_set_client(db, l, &a.c);
	ATF_CHECK(l->cidbuf != NULL);
	ATF_CHECK(lease_find_client(db, &a.c, ip("10.0.0.0"), 8) == l);
	lease_to_imsg(l, "lan0", &r);
	ATF_CHECK_EQ(r.cidlen, 7);
	ATF_CHECK(memcmp(r.cid, a.key, 7) == 0);
	ATF_CHECK_EQ(r.chaddr[5], 0x99);
	lease_db_free(db);
}

/* Entries of forgotten addresses go back to the slab and are reused. */
ATF_TC_WITHOUT_HEAD(pool_entry_reuse);
ATF_TC_BODY(pool_entry_reuse, tc)
{
	struct lease_db	*db = lease_db_new();
	struct client	 cl;
	struct in_addr	 a;
	struct lease	*l;
	uint32_t	 i, round;

	for (round = 0; round < 3; round++) {
		/* No pool contains these, so once free they are forgotten. */
		for (i = 0; i < 1000; i++) {
			a.s_addr = htonl(0xc0a80000 + round * 1000 + i);
			l = lease_get(db, a);
			mkclient(&cl, round * 1000 + i);
			lease_set_client(db, l, &cl.c);
			lease_set_state(db, l, LEASE_OFFERED, 10);
		}
		ATF_CHECK_EQ(lease_db_count(db), 1000);
		mkclient(&cl, round * 1000 + 7);
		l = lease_find_client(db, &cl.c, ip("192.168.0.0"), 16);
		ATF_REQUIRE(l != NULL);
		ATF_CHECK_EQ(ntohl(l->addr.s_addr), 0xc0a80000 +
		    round * 1000 + 7);
		lease_db_expire(db, 10, HOLD, NULL, NULL);
		ATF_CHECK_EQ(lease_db_count(db), 0);
		ATF_CHECK(lease_find_client(db, &cl.c, ip("192.168.0.0"),
		    16) == NULL);
	}
	lease_db_free(db);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, pool_order_unused_then_lru);
	ATF_TP_ADD_TC(tp, pool_previous_preferred);
	ATF_TP_ADD_TC(tp, pool_hold_down);
	ATF_TP_ADD_TC(tp, pool_declined_held);
	ATF_TP_ADD_TC(tp, pool_requested_addr);
	ATF_TP_ADD_TC(tp, pool_reserved_skipped);
	ATF_TP_ADD_TC(tp, pool_exhausted);
	ATF_TP_ADD_TC(tp, pool_large_range);
	ATF_TP_ADD_TC(tp, pool_restore_held);
	ATF_TP_ADD_TC(tp, pool_client_id_keys);
	ATF_TP_ADD_TC(tp, pool_client_id_is_mac);
	ATF_TP_ADD_TC(tp, pool_entry_reuse);
	return atf_no_error();
}
