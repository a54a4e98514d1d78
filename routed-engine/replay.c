/*
 * Replay cache and per-source rate limiter of the connection-
 * authorisation endpoint.
 *
 * The server accepts a request only if its timestamp lies within the
 * skew window W of its own clock, so a request with timestamp T can be
 * replayed with success until now > T + W.  The cache therefore keeps
 * each (service ID, nonce) pair until T + W has passed.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "replay.h"

/* libbsd leaves it undefined; RB_GENERATE_STATIC marks helpers with it. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#define REPLAY_KEY_LEN		16

/*
 * An entry stores a keyed BLAKE2b digest of the service ID and nonce,
 * not the pair itself: the entries keep a fixed size, and without the
 * random per-process key an attacker cannot make two pairs collide.
 * A collision by chance would only reject one fresh request.
 */
struct replay_entry {
	RB_ENTRY(replay_entry)	 by_key;
	RB_ENTRY(replay_entry)	 by_time;
	uint8_t			 key[REPLAY_KEY_LEN];
	int64_t			 timestamp;
	uint64_t		 seq;	/* orders entries of equal time */
};

RB_HEAD(replay_keys, replay_entry);
RB_HEAD(replay_times, replay_entry);

struct replay_cache {
	struct replay_keys	 keys;
	struct replay_times	 times;
	size_t			 count;
	size_t			 cap;
	int64_t			 window;
	int64_t			 floor;	/* latest timestamp ever evicted */
	int			 evicted;
	uint64_t		 seq;
	uint8_t			 hashkey[crypto_generichash_KEYBYTES];
	struct replay_stats	 stats;
};

struct bucket {
	RB_ENTRY(bucket)	 entry;
	TAILQ_ENTRY(bucket)	 lru;
	uint8_t			 family;
	uint8_t			 addr[16];
	int64_t			 last_ms;
	uint64_t		 tokens;	/* thousandths of a request */
};

RB_HEAD(buckets, bucket);

struct ratelimit {
	struct buckets		 tree;
	TAILQ_HEAD(, bucket)	 lru;	/* least recently used first */
	size_t			 count;
	size_t			 cap;
	uint64_t		 rate;	/* thousandths per millisecond */
	uint64_t		 burst;	/* thousandths */
};

static int	 replay_key_cmp(struct replay_entry *, struct replay_entry *);
static int	 replay_time_cmp(struct replay_entry *,
		    struct replay_entry *);
static void	 replay_remove(struct replay_cache *, struct replay_entry *);
static int	 bucket_cmp(struct bucket *, struct bucket *);
static void	 bucket_refill(const struct ratelimit *, struct bucket *,
		    int64_t);
static void	 bucket_remove(struct ratelimit *, struct bucket *);

RB_PROTOTYPE_STATIC(replay_keys, replay_entry, by_key, replay_key_cmp)
RB_PROTOTYPE_STATIC(replay_times, replay_entry, by_time, replay_time_cmp)
RB_PROTOTYPE_STATIC(buckets, bucket, entry, bucket_cmp)
RB_GENERATE_STATIC(replay_keys, replay_entry, by_key, replay_key_cmp)
RB_GENERATE_STATIC(replay_times, replay_entry, by_time, replay_time_cmp)
RB_GENERATE_STATIC(buckets, bucket, entry, bucket_cmp)

static int
replay_key_cmp(struct replay_entry *a, struct replay_entry *b)
{
	return memcmp(a->key, b->key, REPLAY_KEY_LEN);
}

static int
replay_time_cmp(struct replay_entry *a, struct replay_entry *b)
{
	if (a->timestamp != b->timestamp)
		return a->timestamp < b->timestamp ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

/*
 * Creates a cache of at most cap entries for a skew window of window
 * seconds.  Calls sodium_init(), so call it before entering the sandbox.
 * Returns NULL if memory or libsodium is unavailable.
 */
struct replay_cache *
replay_new(size_t cap, int64_t window)
{
	struct replay_cache	*rc;

	if (sodium_init() < 0 || cap == 0 || window < 0)
		return NULL;
	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	RB_INIT(&rc->keys);
	RB_INIT(&rc->times);
	rc->cap = cap;
	rc->window = window;
	randombytes_buf(rc->hashkey, sizeof(rc->hashkey));
	return rc;
}

void
replay_free(struct replay_cache *rc)
{
	struct replay_entry	*e;

	if (rc == NULL)
		return;
	while ((e = RB_MIN(replay_times, &rc->times)) != NULL)
		replay_remove(rc, e);
	sodium_memzero(rc->hashkey, sizeof(rc->hashkey));
	free(rc);
}

static void
replay_remove(struct replay_cache *rc, struct replay_entry *e)
{
	RB_REMOVE(replay_keys, &rc->keys, e);
	RB_REMOVE(replay_times, &rc->times, e);
	rc->count--;
	free(e);
}

/*
 * Records the pair (service ID, nonce) of a request whose timestamp
 * already passed the skew check.  Returns 0 if the request is fresh, 1
 * if it must be rejected as a replay, and -1 if memory ran out.
 *
 * When the cache is full the entry with the oldest timestamp is evicted
 * and its timestamp becomes the floor.  From then on a request with a
 * timestamp at or below the floor counts as a replay, because the cache
 * can no longer tell whether it saw that request.  Eviction under a
 * flood thus rejects some fresh requests with old timestamps (clients
 * retry with a new timestamp) but never lets a replay through.
 */
int
replay_check_and_add(struct replay_cache *rc, const char *service_id,
    size_t len, const uint8_t *nonce, int64_t timestamp, int64_t now)
{
	crypto_generichash_state	 st;
	struct replay_entry		 find, *e;
	uint8_t				 idlen = (uint8_t)len;

	/* The length prefix keeps the split between the two fields. */
	crypto_generichash_init(&st, rc->hashkey, sizeof(rc->hashkey),
	    REPLAY_KEY_LEN);
	crypto_generichash_update(&st, &idlen, 1);
	crypto_generichash_update(&st, (const uint8_t *)service_id, len);
	crypto_generichash_update(&st, nonce, AUTH_NONCE_LEN);
	crypto_generichash_final(&st, find.key, REPLAY_KEY_LEN);

	if (RB_FIND(replay_keys, &rc->keys, &find) != NULL) {
		rc->stats.replays++;
		return 1;
	}
	if (rc->evicted && timestamp <= rc->floor) {
		rc->stats.floor_rejects++;
		return 1;
	}

	if (rc->count >= rc->cap)
		replay_expire(rc, now);
	if (rc->count >= rc->cap) {
		e = RB_MIN(replay_times, &rc->times);
		/*
		 * A request no newer than every retained entry would set
		 * the floor to its own timestamp: reject it and keep them.
		 */
		if (timestamp <= e->timestamp) {
			rc->stats.floor_rejects++;
			return 1;
		}
		if (!rc->evicted || e->timestamp > rc->floor)
			rc->floor = e->timestamp;
		rc->evicted = 1;
		replay_remove(rc, e);
		rc->stats.evictions++;
	}

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	memcpy(e->key, find.key, REPLAY_KEY_LEN);
	e->timestamp = timestamp;
	e->seq = rc->seq++;
	RB_INSERT(replay_keys, &rc->keys, e);
	RB_INSERT(replay_times, &rc->times, e);
	rc->count++;
	rc->stats.fresh++;
	return 0;
}

/*
 * Forgets the pairs whose timestamp lies outside the skew window, so
 * that the skew check alone rejects their replays.  Returns how many.
 */
size_t
replay_expire(struct replay_cache *rc, int64_t now)
{
	struct replay_entry	*e;
	size_t			 n = 0;

	while ((e = RB_MIN(replay_times, &rc->times)) != NULL &&
	    e->timestamp < now - rc->window) {
		replay_remove(rc, e);
		n++;
	}
	return n;
}

size_t
replay_count(const struct replay_cache *rc)
{
	return rc->count;
}

const struct replay_stats *
replay_get_stats(const struct replay_cache *rc)
{
	return &rc->stats;
}

static int
bucket_cmp(struct bucket *a, struct bucket *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

/*
 * Creates a token-bucket limiter for at most cap source addresses: each
 * address may send burst requests at once and rate per second after.
 */
struct ratelimit *
ratelimit_new(size_t cap, unsigned int rate, unsigned int burst)
{
	struct ratelimit	*rl;

	if (cap == 0 || burst == 0)
		return NULL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	RB_INIT(&rl->tree);
	TAILQ_INIT(&rl->lru);
	rl->cap = cap;
	rl->rate = rate;
	rl->burst = (uint64_t)burst * 1000;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	struct bucket	*b;

	if (rl == NULL)
		return;
	while ((b = TAILQ_FIRST(&rl->lru)) != NULL)
		bucket_remove(rl, b);
	free(rl);
}

static void
bucket_remove(struct ratelimit *rl, struct bucket *b)
{
	RB_REMOVE(buckets, &rl->tree, b);
	TAILQ_REMOVE(&rl->lru, b, lru);
	rl->count--;
	free(b);
}

static void
bucket_refill(const struct ratelimit *rl, struct bucket *b, int64_t now_ms)
{
	uint64_t	 elapsed;

	/* A clock that steps back refills nothing. */
	if (now_ms <= b->last_ms)
		return;
	elapsed = (uint64_t)(now_ms - b->last_ms);
	if (rl->rate != 0 && elapsed > rl->burst / rl->rate)
		b->tokens = rl->burst;
	else
		b->tokens += elapsed * rl->rate;
	if (b->tokens > rl->burst)
		b->tokens = rl->burst;
	b->last_ms = now_ms;
}

/*
 * Takes one token for a request from addr (struct in_addr for AF_INET,
 * struct in6_addr for AF_INET6) at now_ms, a monotonic time in
 * milliseconds.  Returns 1 if the request may go on, 0 if it exceeds the
 * rate, -1 if memory ran out.
 *
 * When the table is full the least recently used source loses its
 * bucket; if it comes back it starts with a full burst.  Flooding from
 * many addresses can thus give one source back its burst early, which
 * costs at most a burst of signature checks.  XXX per-interface limits
 * would also bound the total; the server should check the lease, which
 * is cheap, before this.
 */
int
ratelimit_allow(struct ratelimit *rl, int family, const void *addr,
    int64_t now_ms)
{
	struct bucket	 find, *b;

	memset(&find, 0, sizeof(find));
	find.family = (uint8_t)family;
	memcpy(find.addr, addr, family == AF_INET6 ? 16 : 4);

	if ((b = RB_FIND(buckets, &rl->tree, &find)) != NULL) {
		bucket_refill(rl, b, now_ms);
		TAILQ_REMOVE(&rl->lru, b, lru);
	} else {
		if (rl->count >= rl->cap)
			bucket_remove(rl, TAILQ_FIRST(&rl->lru));
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return -1;
		b->family = find.family;
		memcpy(b->addr, find.addr, sizeof(b->addr));
		b->last_ms = now_ms;
		b->tokens = rl->burst;
		RB_INSERT(buckets, &rl->tree, b);
		rl->count++;
	}
	TAILQ_INSERT_TAIL(&rl->lru, b, lru);

	if (b->tokens < 1000)
		return 0;
	b->tokens -= 1000;
	return 1;
}

/*
 * Drops the buckets that are full again: a missing bucket behaves the
 * same.  Returns how many.
 */
size_t
ratelimit_expire(struct ratelimit *rl, int64_t now_ms)
{
	struct bucket	*b, *next;
	size_t		 n = 0;

	for (b = TAILQ_FIRST(&rl->lru); b != NULL; b = next) {
		next = TAILQ_NEXT(b, lru);
		bucket_refill(rl, b, now_ms);
		if (b->tokens == rl->burst) {
			bucket_remove(rl, b);
			n++;
		}
	}
	return n;
}

size_t
ratelimit_count(const struct ratelimit *rl)
{
	return rl->count;
}
