/*
 * Unit tests for the replay cache and the per-source rate limiter
 * (routed-engine/replay.c).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <atf-c.h>
#include <string.h>

#include "auth.h"
#include "../../routed-engine/replay.h"

#define ID		"sip:alice@mc.example"
#define NOW		1764000000
#define WINDOW		30

static void
nonce_of(uint8_t *nonce, unsigned int n)
{
	memset(nonce, 0, AUTH_NONCE_LEN);
	memcpy(nonce, &n, sizeof(n));
}

ATF_TC_WITHOUT_HEAD(replay_fresh_then_seen);
ATF_TC_BODY(replay_fresh_then_seen, tc)
{
	struct replay_cache	*rc;
	uint8_t			 nonce[AUTH_NONCE_LEN];

	rc = replay_new(16, WINDOW);
	ATF_REQUIRE(rc != NULL);
	nonce_of(nonce, 1);
	ATF_CHECK_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce, NOW,
	    NOW), 0);
	ATF_CHECK_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce, NOW,
	    NOW + 1), 1);
	/* The same nonce under another service ID is another request. */
	ATF_CHECK_EQ(replay_check_and_add(rc, "sip:bob", 7, nonce, NOW,
	    NOW), 0);
	nonce_of(nonce, 2);
	ATF_CHECK_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce, NOW,
	    NOW), 0);
	ATF_CHECK_EQ(replay_count(rc), 3);
	ATF_CHECK_EQ(replay_get_stats(rc)->replays, 1);
	replay_free(rc);
}

ATF_TC_WITHOUT_HEAD(replay_expiry);
ATF_TC_BODY(replay_expiry, tc)
{
	struct replay_cache	*rc;
	uint8_t			 nonce[AUTH_NONCE_LEN];

	rc = replay_new(16, WINDOW);
	ATF_REQUIRE(rc != NULL);
	nonce_of(nonce, 1);
	ATF_REQUIRE_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce, NOW,
	    NOW), 0);
	/* Still inside the window: the skew check would accept a replay. */
	ATF_CHECK_EQ(replay_expire(rc, NOW + WINDOW), 0);
	ATF_CHECK_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce, NOW,
	    NOW + WINDOW), 1);
	ATF_CHECK_EQ(replay_expire(rc, NOW + WINDOW + 1), 1);
	ATF_CHECK_EQ(replay_count(rc), 0);
	replay_free(rc);
}

ATF_TC_WITHOUT_HEAD(replay_capacity_floor);
ATF_TC_BODY(replay_capacity_floor, tc)
{
	struct replay_cache	*rc;
	uint8_t			 nonce[AUTH_NONCE_LEN];
	unsigned int		 i;

	rc = replay_new(4, WINDOW);
	ATF_REQUIRE(rc != NULL);
	for (i = 0; i < 4; i++) {
		nonce_of(nonce, i);
		ATF_REQUIRE_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce,
		    NOW + i, NOW), 0);
	}
	/* Full: a request no newer than the oldest entry is rejected. */
	nonce_of(nonce, 100);
	ATF_CHECK_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce, NOW,
	    NOW), 1);
	ATF_CHECK_EQ(replay_get_stats(rc)->evictions, 0);

	/* A newer one evicts the oldest (timestamp NOW). */
	nonce_of(nonce, 4);
	ATF_CHECK_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce,
	    NOW + 10, NOW), 0);
	ATF_CHECK_EQ(replay_count(rc), 4);
	ATF_CHECK_EQ(replay_get_stats(rc)->evictions, 1);

	/* The evicted request must not come back as fresh. */
	nonce_of(nonce, 0);
	ATF_CHECK_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce, NOW,
	    NOW), 1);
	ATF_CHECK_EQ(replay_get_stats(rc)->floor_rejects, 2);

	/* Once entries expire there is room again without eviction. */
	ATF_CHECK_EQ(replay_expire(rc, NOW + 3 + WINDOW + 1), 3);
	nonce_of(nonce, 5);
	ATF_CHECK_EQ(replay_check_and_add(rc, ID, strlen(ID), nonce,
	    NOW + 40, NOW + 40), 0);
	replay_free(rc);
}

ATF_TC_WITHOUT_HEAD(ratelimit_burst_and_rate);
ATF_TC_BODY(ratelimit_burst_and_rate, tc)
{
	struct ratelimit	*rl;
	struct in_addr		 a, b;
	int			 i;

	rl = ratelimit_new(16, RATELIMIT_RATE, RATELIMIT_BURST);
	ATF_REQUIRE(rl != NULL);
	inet_pton(AF_INET, "10.20.30.100", &a);
	inet_pton(AF_INET, "10.20.30.101", &b);
	for (i = 0; i < RATELIMIT_BURST; i++)
		ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET, &a, 1000), 1);
	ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET, &a, 1000), 0);
	/* Another source has its own bucket. */
	ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET, &b, 1000), 1);
	/* 5 per second: one token every 200 ms. */
	ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET, &a, 1199), 0);
	ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET, &a, 1200), 1);
	ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET, &a, 1200), 0);
	/* A long pause refills the burst, no more. */
	for (i = 0; i < RATELIMIT_BURST; i++)
		ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET, &a, 100000), 1);
	ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET, &a, 100000), 0);
	ratelimit_free(rl);
}

ATF_TC_WITHOUT_HEAD(ratelimit_bounded_table);
ATF_TC_BODY(ratelimit_bounded_table, tc)
{
	struct ratelimit	*rl;
	struct in6_addr		 a;
	unsigned int		 i;

	rl = ratelimit_new(8, RATELIMIT_RATE, RATELIMIT_BURST);
	ATF_REQUIRE(rl != NULL);
	memset(&a, 0, sizeof(a));
	for (i = 0; i < 100; i++) {
		a.s6_addr[15] = (uint8_t)i;
		ATF_CHECK_EQ(ratelimit_allow(rl, AF_INET6, &a, 1000), 1);
	}
	ATF_CHECK_EQ(ratelimit_count(rl), 8);
	/* Buckets that are full again are dropped. */
	ATF_CHECK_EQ(ratelimit_expire(rl, 2000), 8);
	ATF_CHECK_EQ(ratelimit_count(rl), 0);
	ratelimit_free(rl);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, replay_fresh_then_seen);
	ATF_TP_ADD_TC(tp, replay_expiry);
	ATF_TP_ADD_TC(tp, replay_capacity_floor);
	ATF_TP_ADD_TC(tp, ratelimit_burst_and_rate);
	ATF_TP_ADD_TC(tp, ratelimit_bounded_table);

	return atf_no_error();
}
