/*
 * Replay cache and per-source rate limiter for the connection-
 * authorisation endpoint (mcgwd-auth(7)).  Both have a fixed maximum
 * number of entries, so that a flood of requests cannot exhaust memory.
 */

#ifndef MCGW_REPLAY_H
#define MCGW_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#define REPLAY_CAP		65536
#define RATELIMIT_RATE		5	/* requests per second, sustained */
#define RATELIMIT_BURST		10	/* requests at once */
#define RATELIMIT_CAP		4096	/* source addresses tracked */

struct replay_stats {
	uint64_t	 fresh;
	uint64_t	 replays;	/* (service ID, nonce) seen before */
	uint64_t	 floor_rejects;	/* older than an evicted entry */
	uint64_t	 evictions;
};

struct replay_cache;
struct ratelimit;

/* replay.c */
struct replay_cache	*replay_new(size_t, int64_t);
void			 replay_free(struct replay_cache *);
int			 replay_check_and_add(struct replay_cache *,
			    const char *, size_t, const uint8_t *, int64_t,
			    int64_t);
size_t			 replay_expire(struct replay_cache *, int64_t);
size_t			 replay_count(const struct replay_cache *);
const struct replay_stats *replay_get_stats(const struct replay_cache *);

struct ratelimit	*ratelimit_new(size_t, unsigned int, unsigned int);
void			 ratelimit_free(struct ratelimit *);
int			 ratelimit_allow(struct ratelimit *, int,
			    const void *, int64_t);
size_t			 ratelimit_expire(struct ratelimit *, int64_t);
size_t			 ratelimit_count(const struct ratelimit *);

#endif /* MCGW_REPLAY_H */
