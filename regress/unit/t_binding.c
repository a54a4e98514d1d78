/*
 * Unit tests for the binding table and the binding history
 * (routed-engine/binding.c).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <atf-c.h>
#include <string.h>

#include "../../routed-engine/binding.h"

#define T0		1764000000

/* Record of the bindings that the end callback received. */
struct ended {
	char		 service_id[AUTH_MAX_SERVICE_ID + 1];
	struct in_addr	 local4;
	int		 reason;
	int64_t		 when;
	size_t		 count;
};

static void
record_end(const struct binding *b, enum binding_end_reason reason,
    int64_t when, void *arg)
{
	struct ended	*e = arg;

	strlcpy(e->service_id, b->service_id, sizeof(e->service_id));
	e->local4 = b->local4;
	e->reason = reason;
	e->when = when;
	e->count++;
}

static void
count_visit(const struct binding *b, void *arg)
{
	size_t	*n = arg;

	(void)b;
	(*n)++;
}

static void
make_binding(struct binding *b, const char *id, const char *local4,
    int64_t expires)
{
	memset(b, 0, sizeof(*b));
	strlcpy(b->service_id, id, sizeof(b->service_id));
	b->service_id_len = strlen(id);
	ATF_REQUIRE(inet_pton(AF_INET, local4, &b->local4) == 1);
	ATF_REQUIRE(inet_pton(AF_INET, "192.0.2.1", &b->ue4) == 1);
	strlcpy(b->ifname, "lan0", sizeof(b->ifname));
	b->mode = MODE_ROUTED;
	b->expires = expires;
}

ATF_TC_WITHOUT_HEAD(authorise_and_find);
ATF_TC_BODY(authorise_and_find, tc)
{
	struct binding_table	*bt;
	struct binding		 b;
	const struct binding	*found;
	struct ended		 ended = { .count = 0 };

	bt = binding_table_new();
	ATF_REQUIRE(bt != NULL);
	make_binding(&b, "sip:alice", "10.20.30.100", T0 + 600);
	ATF_CHECK_EQ(binding_authorise(bt, &b, T0, record_end, &ended),
	    BINDING_NEW);
	found = binding_find(bt, "sip:alice", 9);
	ATF_REQUIRE(found != NULL);
	ATF_CHECK_EQ(found->authorised, T0);
	ATF_CHECK_EQ(found->expires, T0 + 600);
	/* Again from the same address: renewed, not ended. */
	b.expires = T0 + 900;
	ATF_CHECK_EQ(binding_authorise(bt, &b, T0 + 100, record_end, &ended),
	    BINDING_RENEWED);
	found = binding_find(bt, "sip:alice", 9);
	ATF_REQUIRE(found != NULL);
	ATF_CHECK_EQ(found->authorised, T0);
	ATF_CHECK_EQ(found->refreshed, T0 + 100);
	ATF_CHECK_EQ(found->expires, T0 + 900);
	ATF_CHECK_EQ(ended.count, 0);
	ATF_CHECK(binding_find(bt, "sip:bob", 7) == NULL);
	/* A binding needs a local address. */
	b.local4.s_addr = INADDR_ANY;
	ATF_CHECK_EQ(binding_authorise(bt, &b, T0, record_end, &ended), -1);
	binding_table_free(bt);
}

ATF_TC_WITHOUT_HEAD(move_ends_old);
ATF_TC_BODY(move_ends_old, tc)
{
	struct binding_table	*bt;
	struct binding		 b;
	const struct binding	*found;
	struct ended		 ended = { .count = 0 };
	struct in_addr		 old;
	size_t			 n = 0;

	bt = binding_table_new();
	ATF_REQUIRE(bt != NULL);
	make_binding(&b, "sip:alice", "10.20.30.100", T0 + 600);
	old = b.local4;
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	make_binding(&b, "sip:alice", "10.20.30.101", T0 + 700);
	ATF_CHECK_EQ(binding_authorise(bt, &b, T0 + 50, record_end, &ended),
	    BINDING_NEW);
	ATF_CHECK_EQ(ended.count, 1);
	ATF_CHECK_EQ(ended.reason, BINDING_MOVED);
	ATF_CHECK_EQ(ended.when, T0 + 50);
	ATF_CHECK_EQ(ended.local4.s_addr, old.s_addr);
	ATF_CHECK_EQ(binding_count(bt), 1);
	found = binding_find(bt, "sip:alice", 9);
	ATF_REQUIRE(found != NULL);
	ATF_CHECK_EQ(found->local4.s_addr, b.local4.s_addr);
	ATF_CHECK_EQ(found->authorised, T0 + 50);
	/* The old address no longer carries it. */
	ATF_CHECK_EQ(binding_foreach_local(bt, AF_INET, &old, count_visit,
	    &n), 0);
	binding_table_free(bt);
}

ATF_TC_WITHOUT_HEAD(several_ids_per_address);
ATF_TC_BODY(several_ids_per_address, tc)
{
	struct binding_table	*bt;
	struct binding		 b;
	struct in_addr		 a, other;
	struct ended		 ended = { .count = 0 };
	size_t			 n = 0;

	bt = binding_table_new();
	ATF_REQUIRE(bt != NULL);
	make_binding(&b, "sip:alice", "10.20.30.100", T0 + 600);
	a = b.local4;
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	make_binding(&b, "sip:bob", "10.20.30.100", T0 + 600);
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	make_binding(&b, "sip:carol", "10.20.30.99", T0 + 600);
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	other = b.local4;
	ATF_CHECK_EQ(binding_count(bt), 3);
	ATF_CHECK_EQ(binding_foreach_local(bt, AF_INET, &a, count_visit, &n),
	    2);
	ATF_CHECK_EQ(n, 2);

	/* The lease of 10.20.30.100 ends: both of its IDs end. */
	ATF_CHECK_EQ(binding_end_by_address(bt, AF_INET, &a, T0 + 5,
	    record_end, &ended), 2);
	ATF_CHECK_EQ(ended.count, 2);
	ATF_CHECK_EQ(ended.reason, BINDING_LEASE_ENDED);
	ATF_CHECK_EQ(binding_count(bt), 1);
	ATF_CHECK(binding_find(bt, "sip:carol", 9) != NULL);
	ATF_CHECK_EQ(binding_end_by_address(bt, AF_INET, &a, T0 + 5,
	    record_end, &ended), 0);
	ATF_CHECK_EQ(binding_end_by_address(bt, AF_INET, &other, T0 + 5,
	    record_end, &ended), 1);
	binding_table_free(bt);
}

ATF_TC_WITHOUT_HEAD(end_by_ipv6_address);
ATF_TC_BODY(end_by_ipv6_address, tc)
{
	struct binding_table	*bt;
	struct binding		 b;
	struct in6_addr		 a;
	struct ended		 ended = { .count = 0 };

	bt = binding_table_new();
	ATF_REQUIRE(bt != NULL);
	make_binding(&b, "sip:alice", "10.20.30.100", T0 + 600);
	ATF_REQUIRE(inet_pton(AF_INET6, "2001:db8::100", &a) == 1);
	b.local6 = a;
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	ATF_CHECK_EQ(binding_end_by_address(bt, AF_INET6, &a, T0 + 1,
	    record_end, &ended), 1);
	ATF_CHECK_EQ(ended.reason, BINDING_LEASE_ENDED);
	ATF_CHECK_EQ(binding_count(bt), 0);
	binding_table_free(bt);
}

ATF_TC_WITHOUT_HEAD(expiry_and_refresh);
ATF_TC_BODY(expiry_and_refresh, tc)
{
	struct binding_table	*bt;
	struct binding		 b;
	struct ended		 ended = { .count = 0 };

	bt = binding_table_new();
	ATF_REQUIRE(bt != NULL);
	make_binding(&b, "sip:alice", "10.20.30.100", T0 + 600);
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	make_binding(&b, "sip:bob", "10.20.30.101", T0 + 600);
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	ATF_CHECK_EQ(binding_refresh(bt, "sip:bob", 7, T0 + 1200, T0 + 500),
	    0);
	ATF_CHECK_EQ(binding_refresh(bt, "sip:nobody", 10, T0 + 1200,
	    T0 + 500), -1);
	ATF_CHECK_EQ(binding_expire(bt, T0 + 599, record_end, &ended), 0);
	ATF_CHECK_EQ(binding_expire(bt, T0 + 600, record_end, &ended), 1);
	ATF_CHECK_EQ(ended.reason, BINDING_EXPIRED);
	ATF_CHECK_STREQ(ended.service_id, "sip:alice");
	ATF_CHECK(binding_find(bt, "sip:bob", 7) != NULL);
	ATF_CHECK_EQ(binding_expire(bt, T0 + 1200, record_end, &ended), 1);
	ATF_CHECK_EQ(binding_count(bt), 0);
	binding_table_free(bt);
}

ATF_TC_WITHOUT_HEAD(release_and_clear);
ATF_TC_BODY(release_and_clear, tc)
{
	struct binding_table	*bt;
	struct binding		 b;
	struct ended		 ended = { .count = 0 };

	bt = binding_table_new();
	ATF_REQUIRE(bt != NULL);
	make_binding(&b, "sip:alice", "10.20.30.100", T0 + 600);
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	make_binding(&b, "sip:bob", "10.20.30.100", T0 + 600);
	ATF_REQUIRE_EQ(binding_authorise(bt, &b, T0, NULL, NULL), BINDING_NEW);
	ATF_CHECK_EQ(binding_release(bt, "sip:alice", 9, T0 + 1, record_end,
	    &ended), 0);
	ATF_CHECK_EQ(ended.reason, BINDING_RELEASED);
	ATF_CHECK_EQ(binding_release(bt, "sip:alice", 9, T0 + 1, record_end,
	    &ended), -1);
	ATF_CHECK_EQ(binding_clear(bt, "sip:bob", 7, T0 + 2, record_end,
	    &ended), 0);
	ATF_CHECK_EQ(ended.reason, BINDING_CLEARED);
	ATF_CHECK_EQ(binding_clear(bt, "sip:bob", 7, T0 + 2, record_end,
	    &ended), -1);
	ATF_CHECK_EQ(ended.count, 2);
	ATF_CHECK_EQ(binding_count(bt), 0);
	ATF_CHECK_STREQ(binding_end_reason_name(BINDING_MOVED), "MOVED");
	binding_table_free(bt);
}

ATF_TC_WITHOUT_HEAD(imsg_roundtrip);
ATF_TC_BODY(imsg_roundtrip, tc)
{
	struct binding		 b, back;
	struct imsg_binding	 ib;

	make_binding(&b, "sip:alice", "10.20.30.100", T0 + 600);
	b.hlen = 6;
	b.hwaddr[5] = 0x10;
	b.port_first = 20000;
	b.port_last = 20999;
	binding_to_imsg(&b, &ib);
	ATF_REQUIRE_EQ(binding_from_imsg(&ib, &back), 0);
	ATF_CHECK_STREQ(back.service_id, "sip:alice");
	ATF_CHECK_EQ(back.service_id_len, 9);
	ATF_CHECK_EQ(back.local4.s_addr, b.local4.s_addr);
	ATF_CHECK_EQ(back.port_last, 20999);
	ATF_CHECK_EQ(back.expires, T0 + 600);
	memset(ib.service_id, 'a', sizeof(ib.service_id));
	ATF_CHECK_EQ(binding_from_imsg(&ib, &back), -1);
	binding_to_imsg(&b, &ib);
	memset(ib.ifname, 'x', sizeof(ib.ifname));
	ATF_CHECK_EQ(binding_from_imsg(&ib, &back), -1);
}

/*
 * History of 10.20.30.100: alice [T0, T0+100), bob live from T0+200 with
 * ports 20000-20999.  Carol holds 10.20.30.101 from T0+200 with ports
 * 21000-21999.  All share the UE address 192.0.2.1.
 */
static struct binding_history *
history_fixture(void)
{
	struct binding_history		*h;
	struct binding_history_entry	 he;
	struct binding			 b;

	h = binding_history_new();
	ATF_REQUIRE(h != NULL);
	make_binding(&b, "sip:alice", "10.20.30.100", 0);
	b.authorised = T0;
	binding_history_from_binding(&he, &b);
	ATF_REQUIRE_EQ(binding_history_add(h, &he), 0);
	ATF_REQUIRE_EQ(binding_history_end(h, "sip:alice", 9, T0, T0 + 100,
	    BINDING_RELEASED), 0);
	make_binding(&b, "sip:bob", "10.20.30.100", 0);
	b.authorised = T0 + 200;
	b.port_first = 20000;
	b.port_last = 20999;
	binding_history_from_binding(&he, &b);
	ATF_REQUIRE_EQ(binding_history_add(h, &he), 0);
	make_binding(&b, "sip:carol", "10.20.30.101", 0);
	b.authorised = T0 + 200;
	b.port_first = 21000;
	b.port_last = 21999;
	binding_history_from_binding(&he, &b);
	ATF_REQUIRE_EQ(binding_history_add(h, &he), 0);
	return h;
}

ATF_TC_WITHOUT_HEAD(history_lookup_times);
ATF_TC_BODY(history_lookup_times, tc)
{
	struct binding_history		*h;
	struct binding_history_entry	 out[4];
	struct in_addr			 a;

	h = history_fixture();
	ATF_REQUIRE(inet_pton(AF_INET, "10.20.30.100", &a) == 1);
	ATF_CHECK_EQ(binding_history_lookup(h, AF_INET, &a, 0, T0 - 1, out,
	    4), 0);
	ATF_REQUIRE_EQ(binding_history_lookup(h, AF_INET, &a, 0, T0, out,
	    4), 1);
	ATF_CHECK_STREQ(out[0].service_id, "sip:alice");
	ATF_REQUIRE_EQ(binding_history_lookup(h, AF_INET, &a, 0, T0 + 99,
	    out, 4), 1);
	ATF_CHECK_EQ(out[0].end_reason, BINDING_RELEASED);
	/* The end time itself is outside [start, end). */
	ATF_CHECK_EQ(binding_history_lookup(h, AF_INET, &a, 0, T0 + 100,
	    out, 4), 0);
	ATF_REQUIRE_EQ(binding_history_lookup(h, AF_INET, &a, 0, T0 + 5000,
	    out, 4), 1);
	ATF_CHECK_STREQ(out[0].service_id, "sip:bob");
	ATF_CHECK_EQ(out[0].end, 0);
	binding_history_free(h);
}

ATF_TC_WITHOUT_HEAD(history_lookup_ue_port);
ATF_TC_BODY(history_lookup_ue_port, tc)
{
	struct binding_history		*h;
	struct binding_history_entry	 out[4];
	struct in_addr			 ue;

	h = history_fixture();
	ATF_REQUIRE(inet_pton(AF_INET, "192.0.2.1", &ue) == 1);
	/* NAT: every client shares the UE address; the port decides. */
	ATF_CHECK_EQ(binding_history_lookup(h, AF_INET, &ue, 0, T0 + 300,
	    out, 4), 2);
	ATF_REQUIRE_EQ(binding_history_lookup(h, AF_INET, &ue, 21500,
	    T0 + 300, out, 4), 1);
	ATF_CHECK_STREQ(out[0].service_id, "sip:carol");
	ATF_CHECK_EQ(binding_history_lookup(h, AF_INET, &ue, 30000,
	    T0 + 300, out, 4), 0);
	/* More matches than room: the count is still the total. */
	ATF_CHECK_EQ(binding_history_lookup(h, AF_INET, &ue, 0, T0 + 300,
	    out, 1), 2);
	binding_history_free(h);
}

ATF_TC_WITHOUT_HEAD(history_compaction);
ATF_TC_BODY(history_compaction, tc)
{
	struct binding_history		*h;
	struct binding_history_entry	 out[4];
	struct imsg_binding_history	 ih;
	struct in_addr			 a;

	h = history_fixture();
	ATF_REQUIRE(inet_pton(AF_INET, "10.20.30.100", &a) == 1);
	ATF_CHECK_EQ(binding_history_compact(h, T0 + 100), 0);
	ATF_CHECK_EQ(binding_history_compact(h, T0 + 101), 1);
	ATF_CHECK_EQ(binding_history_count(h), 2);
	ATF_CHECK_EQ(binding_history_lookup(h, AF_INET, &a, 0, T0 + 50, out,
	    4), 0);
	/* Live entries survive any compaction. */
	ATF_CHECK_EQ(binding_history_compact(h, T0 + 100000), 0);
	ATF_REQUIRE_EQ(binding_history_lookup(h, AF_INET, &a, 0, T0 + 300,
	    out, 4), 1);
	binding_history_to_imsg(&out[0], &ih);
	ATF_REQUIRE_EQ(binding_history_from_imsg(&ih, &out[1]), 0);
	ATF_CHECK_STREQ(out[1].service_id, "sip:bob");
	ATF_CHECK_EQ(out[1].start, T0 + 200);
	ih.end_reason = 200;
	ATF_CHECK_EQ(binding_history_from_imsg(&ih, &out[1]), -1);
	binding_history_free(h);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, authorise_and_find);
	ATF_TP_ADD_TC(tp, move_ends_old);
	ATF_TP_ADD_TC(tp, several_ids_per_address);
	ATF_TP_ADD_TC(tp, end_by_ipv6_address);
	ATF_TP_ADD_TC(tp, expiry_and_refresh);
	ATF_TP_ADD_TC(tp, release_and_clear);
	ATF_TP_ADD_TC(tp, imsg_roundtrip);
	ATF_TP_ADD_TC(tp, history_lookup_times);
	ATF_TP_ADD_TC(tp, history_lookup_ue_port);
	ATF_TP_ADD_TC(tp, history_compaction);

	return atf_no_error();
}
