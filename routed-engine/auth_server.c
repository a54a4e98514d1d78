/*
 * The connection-authorisation endpoint (mcgwd-auth(7)) and the
 * binding store: reads requests from the UDP sockets the parent opens
 * per LAN interface, checks them in the order the protocol gives,
 * keeps the bindings and their history in the journal, and answers
 * only once the change is durable.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/tree.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "mcgw.h"
#include "binding.h"
#include "replay.h"
#include "routed.h"

/* libbsd leaves it undefined; RB_GENERATE_STATIC marks helpers with it. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#define GATEWAY_KEY		"gateway.key"
/* Datagrams one dispatch reads before their answers go out together. */
#define AUTH_BATCH_MAX		64
#define AUTH_DEFAULT_LIFETIME	3600
#define AUTH_DEFAULT_RETENTION	(90 * 86400)
#define AUTH_TIMER_SEC		1
/* The history is compacted by age once per this many timer ticks. */
#define AUTH_COMPACT_TICKS	60
/* A NOTIFY is sent again this often and this many times until acked. */
#define AUTH_NOTIFY_INTERVAL	1
#define AUTH_NOTIFY_RETRIES	3

/*
 * Refusals, ignored ACKs and failed sends can be caused at will by any
 * host on the link, so outside verbose mode each kind is logged at most
 * AUTH_LOG_BURST times per AUTH_LOG_WINDOW seconds, and a count of the
 * rest follows.  Requests that fail the cheap checks (no lease, over the
 * per-address rate) have their own limiter, so that a flood of them
 * cannot hide the refusal of a leased client's signed request.
 */
#define AUTH_LOG_BURST		5
#define AUTH_LOG_WINDOW		60
/*
 * The binding records (bound, renewed, refreshed, ended) are the
 * operator's account of who used an address, so they are not limited as
 * a class.  Each service ID has a budget of AUTH_RECORD_BURST records per
 * AUTH_LOG_WINDOW seconds instead.  A client past it, one in a loop of
 * AUTHORISE, REFRESH or RELEASE, has its further records logged at the
 * debug level and counted.  The configured keys bound the total.
 */
#define AUTH_RECORD_BURST	4

/*
 * Where a binding's client last sent a request from, so that a NOTIFY
 * can reach it, and the NOTIFY waiting for its ACK.  Kept in memory
 * only, not journaled: the port belongs to a client process, which
 * after a restart of the gateway may be gone, its port reused by
 * another program; a client learns of a change at its next REFRESH
 * instead, which records its port again.
 */
struct auth_peer {
	RB_ENTRY(auth_peer)	 entry;
	char			 service_id[AUTH_MAX_SERVICE_ID + 1];
	char			 ifname[IF_NAMESIZE];
	struct sockaddr_in	 to;
	struct in_addr		 spec_dst;
	int			 ifindex;
	int			 pending;	/* a NOTIFY awaits its ACK */
	int			 tries;
	uint8_t			 nonce[AUTH_NONCE_LEN];
	uint8_t			 buf[AUTH_MAX_MSG];
	size_t			 len;
	struct event		 ev;
};
RB_HEAD(auth_peers, auth_peer);

static int
auth_peer_cmp(struct auth_peer *a, struct auth_peer *b)
{
	return strcmp(a->service_id, b->service_id);
}
RB_GENERATE_STATIC(auth_peers, auth_peer, entry, auth_peer_cmp)

struct auth_sock {
	TAILQ_ENTRY(auth_sock)	 entry;
	char			 ifname[IF_NAMESIZE];
	int			 fd;
	int			 seen;	/* named by this configuration */
	struct event		 ev;
};

struct auth_key {
	TAILQ_ENTRY(auth_key)	 entry;
	struct imsg_auth_key	 k;
	int64_t			 log_window;	/* start of its log budget */
	uint8_t			 log_lines;	/* records in log_window */
};
TAILQ_HEAD(auth_keys, auth_key);

/* One answer waiting for the journal commit of its dispatch. */
struct auth_answer {
	struct auth_msg		 m;
	struct sockaddr_in	 to;
	struct in_addr		 spec_dst;	/* the request's destination */
	int			 ifindex;
	int			 fd;
	int			 durable;	/* waits for the commit */
};

/* Snapshot of the bindings and history for journal compaction. */
struct auth_snapshot {
	struct imsg_binding		*b;
	size_t				 nb, bi, bsize;
	struct imsg_binding_history	*h;
	size_t				 nh, hi;
};

static void	 auth_read(int, short, void *);
static void	 auth_request(struct auth_sock *, const uint8_t *, size_t,
		    const struct sockaddr_in *, struct in_addr, int);
static int	 auth_check(struct auth_sock *, const uint8_t *, size_t,
		    const struct sockaddr_in *, struct auth_msg *);
static void	 auth_execute(const struct auth_msg *, struct in_addr,
		    struct auth_answer *);
static void	 auth_authorise(const struct auth_msg *,
		    const struct imsg_lease4 *, struct auth_answer *);
static void	 auth_describe(const struct binding *, struct auth_msg *,
		    int64_t);
static void	 auth_flush(void);
static void	 auth_send(struct auth_answer *);
static void	 auth_sendto(int, const uint8_t *, size_t,
		    struct sockaddr_in *, struct in_addr, int);
static struct auth_peer *auth_peer_find(const char *);
static void	 auth_peer_set(const struct auth_msg *, struct auth_sock *,
		    const struct sockaddr_in *, struct in_addr, int);
static void	 auth_peer_del(const char *);
static void	 auth_notify(const struct binding *);
static void	 auth_notify_send(struct auth_peer *);
static void	 auth_notify_timer(int, short, void *);
static void	 auth_ack(struct auth_sock *, const uint8_t *, size_t,
		    const struct sockaddr_in *);
static void	 auth_refuse_log(const struct auth_msg *, struct in_addr,
		    unsigned int);
static struct log_ratelimit *auth_refuse_rl(unsigned int);
static void	 auth_record_log(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static const struct imsg_auth_key *auth_key_find(const char *);
static void	 auth_end_cb(const struct binding *, enum binding_end_reason,
		    int64_t, void *);
static void	 auth_journal_binding(const struct binding *, uint8_t);
static void	 auth_journal_history(const struct binding_history_entry *);
static void	 auth_hold(struct in_addr, int);
static void	 auth_count_cb(const struct binding *, void *);
static void	 auth_timer(int, short, void *);
static void	 auth_commit(const char *);
static void	 auth_snap_binding(const struct binding *, void *);
static int64_t	 auth_monotonic_ms(void);

static struct imsg_auth_conf	 aconf;
static int			 aconf_set;	/* an authorisation block */
static struct imsg_auth_conf	 naconf;
static int			 naconf_set;
static struct auth_keys		 keys = TAILQ_HEAD_INITIALIZER(keys);
static struct auth_keys		 nkeys = TAILQ_HEAD_INITIALIZER(nkeys);
static TAILQ_HEAD(, auth_sock)	 socks = TAILQ_HEAD_INITIALIZER(socks);
static unsigned char		 gw_sk[AUTH_SK_LEN];
static char			 gw_pk_b64[AUTH_PK_B64_LEN];
static struct binding_table	*bindings;
static struct binding_history	*history;
static struct replay_cache	*replays;
static struct ratelimit		*ratelimit;
static struct auth_answer	 answers[AUTH_BATCH_MAX];
static size_t			 nanswers;
static struct event		 ev_timer;
static unsigned int		 ticks;
static struct auth_snapshot	 snap;
static struct log_ratelimit	 refuse_rl = {
	.what = "refused authorisation requests"
};
static struct log_ratelimit	 unleased_rl = {
	.what = "authorisation requests without a lease or over the rate"
};
static struct log_ratelimit	 send_rl = { .what = "failed sends" };
static struct log_ratelimit	 record_rl = {
	.what = "repeated binding records of one service ID"
};
static struct auth_peers	 peers = RB_INITIALIZER(&peers);

/*
 * Before the sandbox: libsodium needs /dev/urandom or getrandom at
 * init, and the tables are allocated while memory limits are loose.
 */
void
auth_server_init(void)
{
	if (auth_init() == -1)
		fatalx("%s: libsodium initialisation failed", __func__);
	aconf.port = AUTH_PORT;
	aconf.skew = AUTH_SKEW;
	aconf.lifetime = AUTH_DEFAULT_LIFETIME;
	aconf.retention = AUTH_DEFAULT_RETENTION;
	aconf.rate = RATELIMIT_RATE;
	aconf.burst = RATELIMIT_BURST;
	if ((bindings = binding_table_new()) == NULL ||
	    (history = binding_history_new()) == NULL ||
	    (replays = replay_new(REPLAY_CAP, aconf.skew)) == NULL ||
	    (ratelimit = ratelimit_new(RATELIMIT_CAP, aconf.rate,
	    aconf.burst)) == NULL)
		fatal("%s", __func__);
}

/*
 * Inside the chroot (the state directory): loads the gateway's key, or
 * creates it at first start.
 */
void
auth_server_load_key(void)
{
	unsigned char	 pk[AUTH_PK_LEN];
	char		 err[512];

	if (auth_key_load(GATEWAY_KEY, gw_sk, err, sizeof(err)) == -1) {
		if (errno != ENOENT && access(GATEWAY_KEY, F_OK) == 0)
			fatalx("cannot load the gateway key: %s (it must "
			    "belong to user %s, mode 0600)", err, MCGW_USER);
		if (auth_keygen(GATEWAY_KEY, pk, err, sizeof(err)) == -1)
			fatalx("cannot create the gateway key: %s", err);
		if (auth_key_load(GATEWAY_KEY, gw_sk, err, sizeof(err)) == -1)
			fatalx("cannot load the gateway key: %s", err);
		log_info("created the gateway key %s", GATEWAY_KEY);
	}
	if (auth_pubkey_b64(gw_sk, gw_pk_b64, sizeof(gw_pk_b64)) == -1)
		fatalx("%s: cannot encode the public key", __func__);
	log_debug("gateway public key %s", gw_pk_b64);
}

const char *
auth_public_key(void)
{
	return gw_pk_b64;
}

uint32_t
auth_binding_count(void)
{
	return binding_count(bindings);
}

/* Records that compaction must keep: live bindings and the history. */
uint64_t
auth_live_records(void)
{
	return binding_count(bindings) + binding_history_count(history);
}

/*
 * Journal replay.  A live record (end_reason 0) is the binding's whole
 * state after its last change; an ended record removes it.
 */
void
auth_replay_binding(const struct imsg_binding *ib, void *arg)
{
	const struct binding	*old;
	struct binding		 b;

	(void)arg;
	if (binding_from_imsg(ib, &b) == -1) {
		log_warnx("%s: skipping an invalid binding record", __func__);
		return;
	}
	old = binding_find(bindings, b.service_id, b.service_id_len);
	if (old != NULL)
		binding_clear(bindings, b.service_id, b.service_id_len, 0,
		    NULL, NULL);
	if (ib->end_reason != BINDING_LIVE)
		return;
	if (binding_authorise(bindings, &b, b.authorised, NULL, NULL) == -1 ||
	    binding_refresh(bindings, b.service_id, b.service_id_len,
	    b.expires, b.refreshed) == -1)
		fatal("%s", __func__);
}

void
auth_replay_history(const struct imsg_binding_history *ih, void *arg)
{
	struct binding_history_entry	 he;

	(void)arg;
	if (binding_history_from_imsg(ih, &he) == -1) {
		log_warnx("%s: skipping an invalid history record", __func__);
		return;
	}
	/* A snapshot stores ended entries whole. */
	if (he.end != 0 && binding_history_end(history, he.service_id,
	    he.service_id_len, he.start, he.end, he.end_reason) == 0)
		return;
	if (binding_history_add(history, &he) == -1)
		fatal("%s", __func__);
}

/* Ends a binding whose lease ended while the daemon was down. */
static void
auth_check_lease_cb(const struct binding *b, void *arg)
{
	const struct imsg_lease4	*l;
	struct in_addr			*out = arg;
	size_t				 i;

	l = lease_find(b->local4);
	if (l != NULL && l->state == LEASE_ACTIVE)
		return;
	for (i = 0; i < 64; i++)
		if (out[i].s_addr == INADDR_ANY) {
			out[i] = b->local4;
			break;
		}
}

/*
 * After replay, before anything is served: ends the bindings whose
 * lease is gone and starts the timer, which expires the others.
 */
void
auth_server_start(void)
{
	struct timeval	 tv = { AUTH_TIMER_SEC, 0 };
	struct in_addr	 gone[64];
	size_t		 i;

	do {
		memset(gone, 0, sizeof(gone));
		binding_foreach(bindings, auth_check_lease_cb, gone);
		for (i = 0; i < 64 && gone[i].s_addr != INADDR_ANY; i++)
			binding_end_by_address(bindings, AF_INET, &gone[i],
			    time(NULL), auth_end_cb, NULL);
	} while (i == 64);
	auth_commit("ending bindings without a lease");
	log_info("restored %zu bindings, %zu history entries",
	    binding_count(bindings), binding_history_count(history));
	evtimer_set(&ev_timer, auth_timer, NULL);
	evtimer_add(&ev_timer, &tv);
}

static void
auth_hold_all_cb(const struct binding *b, void *arg)
{
	(void)arg;
	if (b->local4.s_addr != INADDR_ANY)
		auth_hold(b->local4, 1);
}

/* Every held address again, for dhcpd's restore. */
void
auth_hold_send_all(void)
{
	binding_foreach(bindings, auth_hold_all_cb, NULL);
}

/*
 * A lease that is no longer active ends the bindings on its address.
 * The lease is durable already; the caller commits the binding ends.
 */
void
auth_lease_changed(const struct imsg_lease4 *l)
{
	if (l->state == LEASE_ACTIVE)
		return;
	/* The caller commits the records with its batch. */
	binding_end_by_address(bindings, AF_INET, &l->addr, time(NULL),
	    auth_end_cb, NULL);
}

/*
 * Configuration.  The sequence is IMSG_RECONF_AUTH, the keys, the
 * sockets; without IMSG_RECONF_AUTH nothing listens.
 */
void
auth_reconf_begin(void)
{
	struct auth_key	*k;
	struct auth_sock *s;

	while ((k = TAILQ_FIRST(&nkeys)) != NULL) {
		TAILQ_REMOVE(&nkeys, k, entry);
		free(k);
	}
	naconf_set = 0;
	TAILQ_FOREACH(s, &socks, entry)
		s->seen = 0;
}

void
auth_reconf_conf(const struct imsg_auth_conf *c)
{
	if (c->port == 0 || c->skew == 0 || c->lifetime == 0 ||
	    c->rate == 0 || c->burst == 0 || c->retention <= 0)
		fatalx("%s: invalid authorisation settings", __func__);
	naconf = *c;
	naconf_set = 1;
}

void
auth_reconf_key(const struct imsg_auth_key *ik)
{
	struct auth_key	*k;

	if (!MCGW_STR_OK(ik->service_id) || ik->service_id[0] == '\0')
		fatalx("%s: invalid service ID", __func__);
	if ((k = calloc(1, sizeof(*k))) == NULL)
		fatal("%s", __func__);
	k->k = *ik;
	TAILQ_INSERT_TAIL(&nkeys, k, entry);
}

/* A new socket (fd != -1) or one routed keeps (fd == -1). */
void
auth_reconf_socket(const struct imsg_socket *is, int fd)
{
	struct auth_sock	*s;

	if (!MCGW_STR_OK(is->ifname))
		fatalx("%s: invalid interface name", __func__);
	TAILQ_FOREACH(s, &socks, entry)
		if (strcmp(s->ifname, is->ifname) == 0)
			break;
	if (s != NULL && fd != -1) {
		/* The parent opened it again: the new one replaces it. */
		event_del(&s->ev);
		close(s->fd);
	} else if (s == NULL) {
		if (fd == -1) {
			log_warnx("%s: no socket for %s", __func__,
			    is->ifname);
			return;
		}
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal("%s", __func__);
		strlcpy(s->ifname, is->ifname, sizeof(s->ifname));
		TAILQ_INSERT_TAIL(&socks, s, entry);
	}
	s->seen = 1;
	if (fd != -1) {
		s->fd = fd;
		event_set(&s->ev, fd, EV_READ | EV_PERSIST, auth_read, s);
		event_add(&s->ev, NULL);
		log_info("%s: accepting authorisation requests", s->ifname);
	}
}

void
auth_reconf_end(void)
{
	struct auth_key		*k;
	struct auth_sock	*s, *next;

	while ((k = TAILQ_FIRST(&keys)) != NULL) {
		TAILQ_REMOVE(&keys, k, entry);
		free(k);
	}
	while ((k = TAILQ_FIRST(&nkeys)) != NULL) {
		TAILQ_REMOVE(&nkeys, k, entry);
		TAILQ_INSERT_TAIL(&keys, k, entry);
	}
	for (s = TAILQ_FIRST(&socks); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->seen && naconf_set)
			continue;
		log_info("%s: no longer accepting authorisation requests",
		    s->ifname);
		event_del(&s->ev);
		close(s->fd);
		TAILQ_REMOVE(&socks, s, entry);
		free(s);
	}
	aconf_set = naconf_set;
	if (!naconf_set)
		return;
	if (naconf.rate != aconf.rate || naconf.burst != aconf.burst) {
		ratelimit_free(ratelimit);
		if ((ratelimit = ratelimit_new(RATELIMIT_CAP, naconf.rate,
		    naconf.burst)) == NULL)
			fatal("%s", __func__);
	}
	/* XXX a changed skew takes effect for new cache entries only. */
	aconf = naconf;
}

static const struct imsg_auth_key *
auth_key_find(const char *service_id)
{
	struct auth_key	*k;

	TAILQ_FOREACH(k, &keys, entry)
		if (strcmp(k->k.service_id, service_id) == 0)
			return &k->k;
	return NULL;
}

static int64_t
auth_monotonic_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Group commit: read what the socket holds (up to a batch), then make
 * the batch's records durable with one sync, then answer.
 */
static void
auth_read(int fd, short event, void *arg)
{
	struct auth_sock	*s = arg;
	uint8_t			 buf[AUTH_MAX_MSG + 1];
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	}			 cmsgbuf;
	struct sockaddr_in	 from;
	struct in_pktinfo	*pi;
	struct cmsghdr		*cm;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct in_addr		 dst;
	ssize_t			 n;
	int			 ifindex;

	(void)event;
	while (nanswers < AUTH_BATCH_MAX) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		if ((n = recvmsg(fd, &msg, 0)) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("%s: recvmsg", s->ifname);
			break;
		}
		if (msg.msg_namelen != sizeof(from) ||
		    from.sin_family != AF_INET)
			continue;
		dst.s_addr = INADDR_ANY;
		ifindex = 0;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != IPPROTO_IP ||
			    cm->cmsg_type != IP_PKTINFO)
				continue;
			pi = (struct in_pktinfo *)CMSG_DATA(cm);
			dst = pi->ipi_addr;
			ifindex = pi->ipi_ifindex;
		}
		/*
		 * The datagram may be longer than the buffer: the kernel
		 * marks it truncated, and the codec rejects it as too long.
		 */
		if (msg.msg_flags & MSG_TRUNC)
			n = sizeof(buf);
		auth_request(s, buf, (size_t)n, &from, dst, ifindex);
	}
	auth_flush();
}

static void
auth_request(struct auth_sock *s, const uint8_t *buf, size_t len,
    const struct sockaddr_in *from, struct in_addr dst, int ifindex)
{
	struct auth_answer	*a = &answers[nanswers];
	struct auth_msg		 req;
	int			 result;
	uint8_t			 base;

	/* An ACK, or a NOTIFY reflected back, gets no answer. */
	if (len >= AUTH_HDR_LEN && memcmp(buf, AUTH_MAGIC, 4) == 0 &&
	    buf[4] == AUTH_VERSION &&
	    (buf[5] == AUTH_ACK || buf[5] == AUTH_NOTIFY)) {
		auth_ack(s, buf, len, from);
		return;
	}
	memset(a, 0, sizeof(*a));
	a->to = *from;
	a->spec_dst = dst;
	a->ifindex = ifindex;
	a->fd = s->fd;
	nanswers++;

	result = auth_check(s, buf, len, from, &req);
	base = req.type & ~AUTH_ANSWER;
	if (base < AUTH_AUTHORISE || base > AUTH_STATUS)
		base = AUTH_AUTHORISE;	/* unknown: any valid answer type */
	a->m.type = base | AUTH_ANSWER;
	a->m.present = AUTH_HAS(AE_RESULT) | AUTH_HAS(AE_TIMESTAMP);
	a->m.timestamp = time(NULL);
	if (req.present & AUTH_HAS(AE_NONCE)) {
		memcpy(a->m.nonce, req.nonce, sizeof(a->m.nonce));
		a->m.present |= AUTH_HAS(AE_NONCE);
	}
	if (req.present & AUTH_HAS(AE_SERVICE_ID)) {
		memcpy(a->m.service_id, req.service_id,
		    sizeof(a->m.service_id));
		a->m.service_id_len = req.service_id_len;
		a->m.present |= AUTH_HAS(AE_SERVICE_ID);
	}
	if (result != AUTH_SUCCESS) {
		a->m.result = result;
		auth_refuse_log(&req, from->sin_addr, result);
		return;
	}
	auth_execute(&req, from->sin_addr, a);
	if (a->m.result != AUTH_SUCCESS)
		auth_refuse_log(&req, from->sin_addr, a->m.result);
	else if (req.type != AUTH_RELEASE)
		auth_peer_set(&req, s, from, dst, ifindex);
}

/*
 * The checks of mcgwd-auth(7) in its order; returns the first failure
 * or AUTH_SUCCESS.  req is zeroed when the request cannot be decoded.
 */
static int
auth_check(struct auth_sock *s, const uint8_t *buf, size_t len,
    const struct sockaddr_in *from, struct auth_msg *req)
{
	const struct imsg_lease4	*l;
	const struct imsg_auth_key	*k;
	int64_t				 now = time(NULL), d;
	int				 r;

	if ((r = auth_decode(buf, len, req)) < 0) {
		/* Keep only the type and what identifies the request. */
		memset(req, 0, sizeof(*req));
		if (len > 5)
			req->type = buf[5];
	} else if (req->type & AUTH_ANSWER) {
		memset(req, 0, sizeof(*req));
		r = AUTH_ERR_HEADER;
	}

	l = lease_find(from->sin_addr);
	if (l == NULL || l->state != LEASE_ACTIVE ||
	    strcmp(l->ifname, s->ifname) != 0)
		return AUTH_NO_LEASE;
	if (ratelimit_allow(ratelimit, AF_INET, &from->sin_addr,
	    auth_monotonic_ms()) != 1)
		return AUTH_RATE_LIMITED;
	if (r < 0) {
		log_debug("%s: malformed request from %s: %s", s->ifname,
		    inet_ntoa(from->sin_addr), auth_decode_strerror(r));
		return AUTH_MALFORMED;
	}
	if ((k = auth_key_find(req->service_id)) == NULL)
		return AUTH_UNKNOWN_SERVICE_ID;
	if (auth_verify(buf, req, k->key) != 0)
		return AUTH_BAD_SIGNATURE;
	d = req->timestamp - now;
	if (d > (int64_t)aconf.skew || d < -(int64_t)aconf.skew)
		return AUTH_STALE_TIMESTAMP;
	r = replay_check_and_add(replays, req->service_id,
	    req->service_id_len, req->nonce, req->timestamp, now);
	if (r == -1)
		return AUTH_INTERNAL_ERROR;
	if (r == 1)
		return AUTH_REPLAY;
	return AUTH_SUCCESS;
}

/* Carries out a request that passed every check. */
static void
auth_execute(const struct auth_msg *req, struct in_addr src,
    struct auth_answer *a)
{
	const struct binding	*b;
	char			 vis[4 * AUTH_MAX_SERVICE_ID + 1];
	int64_t			 now = time(NULL);
	uint8_t			 type = req->type;

	if (type == AUTH_AUTHORISE) {
		auth_authorise(req, lease_find(src), a);
		return;
	}
	b = binding_find(bindings, req->service_id, req->service_id_len);
	if (b == NULL || b->local4.s_addr != src.s_addr) {
		a->m.result = AUTH_NO_BINDING;
		return;
	}
	a->m.result = AUTH_SUCCESS;
	switch (type) {
	case AUTH_REFRESH:
		binding_refresh(bindings, req->service_id,
		    req->service_id_len, now + aconf.lifetime, now);
		auth_journal_binding(b, BINDING_LIVE);
		a->durable = 1;
		mcgw_vis(vis, sizeof(vis), b->service_id,
		    b->service_id_len);
		auth_record_log(b->service_id, "binding of %s refreshed",
		    vis);
		auth_describe(b, &a->m, now);
		break;
	case AUTH_RELEASE:
		binding_release(bindings, req->service_id,
		    req->service_id_len, now, auth_end_cb, NULL);
		a->durable = 1;
		break;
	case AUTH_STATUS:
		auth_describe(b, &a->m, now);
		break;
	}
}

static void
auth_authorise(const struct auth_msg *req, const struct imsg_lease4 *l,
    struct auth_answer *a)
{
	const struct binding		*b;
	struct binding			 nb;
	struct binding_history_entry	 he;
	char				 vis[4 * AUTH_MAX_SERVICE_ID + 1];
	int64_t				 now = time(NULL);
	int				 r;

	memset(&nb, 0, sizeof(nb));
	memcpy(nb.service_id, req->service_id, req->service_id_len);
	nb.service_id_len = req->service_id_len;
	nb.local4 = l->addr;
	/* XXX no DHCPv6 yet: local6 stays unspecified. */
	nb.mode = routed_mode();
	if (nb.mode == MODE_NAT) {
		nb.ue4 = routed_uplink4;
		nb.ue6 = routed_uplink6;
		if (nat_block_get(nb.local4, &nb.port_first,
		    &nb.port_last) == -1) {
			a->m.result = AUTH_INTERNAL_ERROR;
			return;
		}
	} else
		nb.ue4 = l->addr;
	nb.hlen = l->hlen > MCGW_MAX_HWLEN ? MCGW_MAX_HWLEN : l->hlen;
	memcpy(nb.hwaddr, l->chaddr, nb.hlen);
	nb.cidlen = l->cidlen;
	memcpy(nb.cid, l->cid, l->cidlen);
	strlcpy(nb.ifname, l->ifname, sizeof(nb.ifname));
	nb.expires = now + aconf.lifetime;

	r = binding_authorise(bindings, &nb, now, auth_end_cb, NULL);
	if (r == -1) {
		log_warn("%s: binding_authorise", __func__);
		a->m.result = AUTH_INTERNAL_ERROR;
		return;
	}
	b = binding_find(bindings, nb.service_id, nb.service_id_len);
	auth_journal_binding(b, BINDING_LIVE);
	if (r == BINDING_NEW) {
		binding_history_from_binding(&he, b);
		if (binding_history_add(history, &he) == -1)
			fatal("%s", __func__);
		auth_journal_history(&he);
		if (binding_foreach_local(bindings, AF_INET, &b->local4,
		    auth_count_cb, NULL) == 1)
			auth_hold(b->local4, 1);
	}
	a->durable = 1;
	a->m.result = AUTH_SUCCESS;
	auth_describe(b, &a->m, now);
	mcgw_vis(vis, sizeof(vis), b->service_id,
	    b->service_id_len);
	auth_record_log(b->service_id, "%s %s to %s on %s", vis,
	    r == BINDING_NEW ? "bound" : "renewed", inet_ntoa(b->local4),
	    b->ifname);
}

/* The elements of a SUCCESS answer that describe the binding. */
static void
auth_describe(const struct binding *b, struct auth_msg *m, int64_t now)
{
	m->lifetime = b->expires > now ? (uint32_t)(b->expires - now) : 0;
	m->present |= AUTH_HAS(AE_LIFETIME);
	if (b->local4.s_addr != INADDR_ANY) {
		m->local4 = b->local4;
		m->present |= AUTH_HAS(AE_LOCAL_IPV4);
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&b->local6)) {
		m->local6 = b->local6;
		m->present |= AUTH_HAS(AE_LOCAL_IPV6);
	}
	if (b->ue4.s_addr != INADDR_ANY) {
		m->ue4 = b->ue4;
		m->present |= AUTH_HAS(AE_UE_IPV4);
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&b->ue6)) {
		m->ue6 = b->ue6;
		m->present |= AUTH_HAS(AE_UE_IPV6);
	}
	if (b->mode == MODE_NAT && b->port_first != 0) {
		m->port_first = b->port_first;
		m->port_last = b->port_last;
		m->present |= AUTH_HAS(AE_PORT_RANGE);
	}
}

static struct log_ratelimit *
auth_refuse_rl(unsigned int result)
{
	if (result == AUTH_NO_LEASE || result == AUTH_RATE_LIMITED)
		return &unleased_rl;
	return &refuse_rl;
}

/*
 * Logs a binding record of service_id at the info level within the
 * budget of its key (see AUTH_RECORD_BURST), else at the debug level.
 */
static void
auth_record_log(const char *service_id, const char *fmt, ...)
{
	struct auth_key	*k;
	char		 line[8 * AUTH_MAX_SERVICE_ID];
	va_list		 ap;
	int64_t		 now = time(NULL);

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	TAILQ_FOREACH(k, &keys, entry)
		if (strcmp(k->k.service_id, service_id) == 0)
			break;
	/* A binding whose key a reload removed makes no more requests. */
	if (k == NULL) {
		log_info("%s", line);
		return;
	}
	if (log_budget_ok(&k->log_window, &k->log_lines, now,
	    AUTH_RECORD_BURST, AUTH_LOG_WINDOW)) {
		log_info("%s", line);
		return;
	}
	log_ratelimit_held(&record_rl, AUTH_LOG_WINDOW);
	log_debug("%s", line);
}

static void
auth_refuse_log(const struct auth_msg *req, struct in_addr src,
    unsigned int result)
{
	char	 vis[4 * AUTH_MAX_SERVICE_ID + 1];

	if (!log_ratelimit_ok(auth_refuse_rl(result), AUTH_LOG_BURST,
	    AUTH_LOG_WINDOW))
		return;
	if (req->service_id_len > 0)
		mcgw_vis(vis, sizeof(vis), req->service_id,
		    req->service_id_len);
	else
		strlcpy(vis, "-", sizeof(vis));
	log_warnx("authorisation %s from %s for %s refused: %s",
	    auth_type_name(req->type), inet_ntoa(src), vis,
	    auth_result_name(result));
}

/* Commits the batch's records, then sends every answer. */
static void
auth_flush(void)
{
	struct journal	*j = routed_journal();
	int		 failed = 0;
	size_t		 i;

	if (j->pending > 0 && journal_commit(j) == -1) {
		log_warn("journal write failed, bindings not stored");
		failed = 1;
	}
	for (i = 0; i < nanswers; i++) {
		if (failed && answers[i].durable) {
			/* XXX the table keeps the change the disk lacks. */
			answers[i].m.result = AUTH_INTERNAL_ERROR;
			answers[i].m.present &= AUTH_HAS(AE_RESULT) |
			    AUTH_HAS(AE_NONCE) | AUTH_HAS(AE_TIMESTAMP) |
			    AUTH_HAS(AE_SERVICE_ID);
		}
		auth_send(&answers[i]);
	}
	nanswers = 0;
	routed_maybe_compact();
}

static void
auth_send(struct auth_answer *a)
{
	uint8_t			 buf[AUTH_MAX_MSG];
	ssize_t			 n;

	if ((n = auth_encode(&a->m, gw_sk, buf, sizeof(buf))) == -1) {
		log_warnx("%s: cannot encode the answer", __func__);
		return;
	}
	auth_sendto(a->fd, buf, (size_t)n, &a->to, a->spec_dst, a->ifindex);
}

/* Sends from spec_dst, the address a request was sent to, if known. */
static void
auth_sendto(int fd, const uint8_t *buf, size_t len, struct sockaddr_in *to,
    struct in_addr spec_dst, int ifindex)
{
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	}			 cmsgbuf;
	struct in_pktinfo	*pi;
	struct cmsghdr		*cm;
	struct msghdr		 msg;
	struct iovec		 iov;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_name = to;
	msg.msg_namelen = sizeof(*to);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (spec_dst.s_addr != INADDR_ANY) {
		/* Answer from the address the request was sent to. */
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(*pi));
		pi = (struct in_pktinfo *)CMSG_DATA(cm);
		pi->ipi_ifindex = ifindex;
		pi->ipi_spec_dst = spec_dst;
	}
	if (sendmsg(fd, &msg, 0) == -1 &&
	    log_ratelimit_ok(&send_rl, AUTH_LOG_BURST, AUTH_LOG_WINDOW))
		log_warn("%s: sendmsg to %s", __func__,
		    inet_ntoa(to->sin_addr));
}

/* Journals the end of a binding and releases its address's hold. */
static void
auth_end_cb(const struct binding *b, enum binding_end_reason reason,
    int64_t now, void *arg)
{
	struct binding_history_entry	 he;
	char				 vis[4 * AUTH_MAX_SERVICE_ID + 1];

	(void)arg;
	auth_journal_binding(b, reason);
	binding_history_from_binding(&he, b);
	he.end = now > b->authorised ? now : b->authorised + 1;
	he.end_reason = reason;
	if (binding_history_end(history, b->service_id, b->service_id_len,
	    b->authorised, he.end, reason) == -1 &&
	    binding_history_add(history, &he) == -1)
		fatal("%s", __func__);
	auth_journal_history(&he);
	mcgw_vis(vis, sizeof(vis), b->service_id,
	    b->service_id_len);
	auth_record_log(b->service_id, "binding of %s to %s ended: %s", vis,
	    inet_ntoa(b->local4), binding_end_reason_name(reason));
	auth_peer_del(b->service_id);
	/* The table no longer holds b: count what remains. */
	if (b->local4.s_addr != INADDR_ANY &&
	    binding_foreach_local(bindings, AF_INET, &b->local4,
	    auth_count_cb, NULL) == 0) {
		auth_hold(b->local4, 0);
		/* A NAT binding renewed in routed mode may still hold one. */
		nat_block_put(b->local4);
	}
}

static void
auth_count_cb(const struct binding *b, void *arg)
{
	(void)b;
	(void)arg;
}

static void
auth_journal_binding(const struct binding *b, uint8_t reason)
{
	struct imsg_binding	 ib;

	binding_to_imsg(b, &ib);
	ib.end_reason = reason;
	if (journal_add_binding(routed_journal(), &ib) == -1)
		fatal("%s: journal_add_binding", __func__);
}

static void
auth_journal_history(const struct binding_history_entry *he)
{
	struct imsg_binding_history	 ih;

	binding_history_to_imsg(he, &ih);
	if (journal_add_history(routed_journal(), &ih) == -1)
		fatal("%s: journal_add_history", __func__);
}

static void
auth_hold(struct in_addr addr, int hold)
{
	struct imsg_binding_hold	 h;

	memset(&h, 0, sizeof(h));
	h.addr = addr;
	h.hold = hold ? 1 : 0;
	if (routed_imsg_compose_dhcpd(IMSG_BINDING_HOLD, 0, &h,
	    sizeof(h)) == -1)
		fatal("%s: imsg_compose", __func__);
}

/* Makes pending binding records durable outside a request batch. */
static void
auth_commit(const char *what)
{
	struct journal	*j = routed_journal();

	if (j->pending > 0 && journal_commit(j) == -1)
		log_warn("journal write failed %s", what);
	routed_maybe_compact();
}

static void
auth_timer(int fd, short event, void *arg)
{
	struct timeval	 tv = { AUTH_TIMER_SEC, 0 };
	int64_t		 now = time(NULL);

	(void)fd;
	(void)event;
	(void)arg;
	binding_expire(bindings, now, auth_end_cb, NULL);
	replay_expire(replays, now);
	ratelimit_expire(ratelimit, auth_monotonic_ms());
	log_ratelimit_flush();
	if (++ticks % AUTH_COMPACT_TICKS == 0)
		binding_history_compact(history, now - aconf.retention);
	auth_commit("expiring bindings");
	evtimer_add(&ev_timer, &tv);
}

/*
 * Control requests.  Each returns what mcgwctl shows; clear journals
 * the end before it reports success.
 */
size_t
auth_ctl_bindings(const char *service_id, binding_visit_cb fn, void *arg)
{
	const struct binding	*b;

	if (service_id[0] == '\0')
		return binding_foreach(bindings, fn, arg);
	if ((b = binding_find(bindings, service_id,
	    strlen(service_id))) == NULL)
		return 0;
	fn(b, arg);
	return 1;
}

size_t
auth_ctl_history(const struct imsg_ctl_show_history *q,
    struct binding_history_entry *out, size_t max)
{
	const void	*addr;
	int64_t		 at;

	addr = q->family == AF_INET ? (const void *)&q->addr4 :
	    (const void *)&q->addr6;
	at = q->has_time ? q->time : time(NULL);
	return binding_history_lookup(history, q->family, addr,
	    q->has_port ? q->port : 0, at, out, max);
}

/* Returns 0 once the end is durable, -1 if no binding, -2 on failure. */
int
auth_ctl_clear(const char *service_id)
{
	struct journal	*j = routed_journal();

	if (binding_clear(bindings, service_id, strlen(service_id),
	    time(NULL), auth_end_cb, NULL) == -1)
		return -1;
	if (journal_commit(j) == -1) {
		log_warn("journal write failed, clear not stored");
		return -2;
	}
	routed_maybe_compact();
	return 0;
}

/*
 * Compaction: the bindings and history are copied once, so that the
 * snapshot iterators need no hold on the tables.
 */
static void
auth_snap_binding(const struct binding *b, void *arg)
{
	(void)arg;
	if (snap.nb < snap.bsize)
		binding_to_imsg(b, &snap.b[snap.nb++]);
}

void
auth_snapshot_begin(void)
{
	struct binding_history_entry	 he;
	size_t				 i, n;

	memset(&snap, 0, sizeof(snap));
	snap.bsize = binding_count(bindings);
	n = binding_history_count(history);
	if ((snap.b = calloc(snap.bsize + 1, sizeof(*snap.b))) == NULL ||
	    (snap.h = calloc(n + 1, sizeof(*snap.h))) == NULL)
		fatal("%s", __func__);
	binding_foreach(bindings, auth_snap_binding, NULL);
	for (i = 0; i < n; i++) {
		if (binding_history_get(history, i, &he) == -1)
			break;
		binding_history_to_imsg(&he, &snap.h[snap.nh++]);
	}
}

const struct imsg_binding *
auth_snapshot_binding(void)
{
	return snap.bi < snap.nb ? &snap.b[snap.bi++] : NULL;
}

const struct imsg_binding_history *
auth_snapshot_history(void)
{
	return snap.hi < snap.nh ? &snap.h[snap.hi++] : NULL;
}

void
auth_snapshot_end(void)
{
	free(snap.b);
	free(snap.h);
	memset(&snap, 0, sizeof(snap));
}

void
auth_server_cleanup(void)
{
	struct auth_sock	*s;

	struct auth_peer	*p;

	while ((s = TAILQ_FIRST(&socks)) != NULL) {
		TAILQ_REMOVE(&socks, s, entry);
		event_del(&s->ev);
		close(s->fd);
		free(s);
	}
	while ((p = RB_ROOT(&peers)) != NULL)
		auth_peer_del(p->service_id);
	explicit_bzero(gw_sk, sizeof(gw_sk));
}

/*
 * The UE IP changed: the PDN/PDU session was re-established.  In NAT
 * mode every binding takes the new UE addresses (the parent moves the
 * SNAT rules itself); the history record of the old ones ends, a new
 * one starts, and both are journaled.  In routed mode a client's UE IP
 * is its own address, which does not change.
 * Once the change is durable, each client whose binding changed gets a
 * NOTIFY (mcgwd-auth(7)) at the port of its last request.
 */
static void
auth_uplink_collect_cb(const struct binding *b, void *arg)
{
	struct binding	**list = arg;

	**list = *b;
	(*list)++;
}

/*
 * Ends the history entry of a live binding that is about to change
 * (UE IP, NAT ports), and journals the entry with its end.
 */
static void
auth_history_close(const struct binding *b, uint8_t reason, int64_t now)
{
	struct binding_history_entry	 he;

	binding_history_end(history, b->service_id, b->service_id_len,
	    b->authorised, now, reason);
	binding_history_from_binding(&he, b);
	he.end = now;
	he.end_reason = reason;
	auth_journal_history(&he);
}

/*
 * Journals a binding that changed and starts its new history entry.
 * Returns the binding, or NULL if there is none.
 */
static const struct binding *
auth_history_open(const char *service_id, size_t len)
{
	struct binding_history_entry	 he;
	const struct binding		*b;

	if ((b = binding_find(bindings, service_id, len)) == NULL)
		return NULL;
	auth_journal_binding(b, BINDING_LIVE);
	binding_history_from_binding(&he, b);
	if (binding_history_add(history, &he) == -1)
		fatal("%s", __func__);
	auth_journal_history(&he);
	return b;
}

void
auth_uplink_changed(void)
{
	struct binding			*all, *end, *b;
	const struct binding		*nb;
	char				 vis[4 * AUTH_MAX_SERVICE_ID + 1];
	char				 local[INET_ADDRSTRLEN];
	char				 ue[INET_ADDRSTRLEN];
	size_t				 n;
	int64_t				 now = time(NULL);

	if (bindings == NULL || (n = binding_count(bindings)) == 0)
		return;
	if ((all = calloc(n, sizeof(*all))) == NULL)
		fatal("%s", __func__);
	end = all;
	binding_foreach(bindings, auth_uplink_collect_cb, &end);
	for (b = all; b < end; b++) {
		if (b->mode != MODE_NAT ||
		    (b->ue4.s_addr == routed_uplink4.s_addr &&
		    memcmp(&b->ue6, &routed_uplink6, sizeof(b->ue6)) == 0))
			continue;
		auth_history_close(b, BINDING_UE_CHANGED, now);
		if (binding_set_ue(bindings, b->service_id, b->service_id_len,
		    routed_uplink4, &routed_uplink6, now) == -1 ||
		    (nb = auth_history_open(b->service_id,
		    b->service_id_len)) == NULL)
			continue;
		mcgw_vis(vis, sizeof(vis), nb->service_id,
		    nb->service_id_len);
		inet_ntop(AF_INET, &nb->local4, local, sizeof(local));
		inet_ntop(AF_INET, &nb->ue4, ue, sizeof(ue));
		log_info("binding of %s on %s follows UE IP %s", vis, local,
		    nb->ue4.s_addr != INADDR_ANY ? ue : "none");
	}
	auth_commit("UE IP change");
	for (b = all; b < end; b++) {
		if (b->mode != MODE_NAT ||
		    (b->ue4.s_addr == routed_uplink4.s_addr &&
		    memcmp(&b->ue6, &routed_uplink6, sizeof(b->ue6)) == 0))
			continue;
		if ((nb = binding_find(bindings, b->service_id,
		    b->service_id_len)) != NULL)
			auth_notify(nb);
	}
	free(all);
}

/*
 * Records that a binding restored at start got another NAT port block,
 * because the configured port range changed since it was authorised.
 * The history entry with the old ports ends and one with the new ports
 * starts, so that "show history ... port" names the right service ID.
 */
void
auth_ports_changed(const char *service_id, size_t len, uint16_t first,
    uint16_t last)
{
	const struct binding		*b;
	char				 vis[4 * AUTH_MAX_SERVICE_ID + 1];
	char				 local[INET_ADDRSTRLEN];
	int64_t				 now = time(NULL);

	if ((b = binding_find(bindings, service_id, len)) == NULL)
		return;
	auth_history_close(b, BINDING_PORTS_CHANGED, now);
	mcgw_vis(vis, sizeof(vis), b->service_id, b->service_id_len);
	inet_ntop(AF_INET, &b->local4, local, sizeof(local));
	log_info("binding of %s on %s moves from NAT ports %u-%u to %u-%u",
	    vis, local, b->port_first, b->port_last, first, last);
	if (binding_set_ports(bindings, service_id, len, first, last,
	    now) == -1 || (b = auth_history_open(service_id, len)) == NULL)
		return;
	auth_commit("NAT port block change");
	auth_notify(b);
}

static struct auth_peer *
auth_peer_find(const char *service_id)
{
	struct auth_peer	 key;

	if (strlcpy(key.service_id, service_id, sizeof(key.service_id)) >=
	    sizeof(key.service_id))
		return NULL;
	return RB_FIND(auth_peers, &peers, &key);
}

/* Records where a successful request for a binding came from. */
static void
auth_peer_set(const struct auth_msg *req, struct auth_sock *s,
    const struct sockaddr_in *from, struct in_addr dst, int ifindex)
{
	struct auth_peer	*p;

	if ((p = auth_peer_find(req->service_id)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			log_warn("%s", __func__);
			return;
		}
		memcpy(p->service_id, req->service_id, req->service_id_len);
		evtimer_set(&p->ev, auth_notify_timer, p);
		RB_INSERT(auth_peers, &peers, p);
	}
	strlcpy(p->ifname, s->ifname, sizeof(p->ifname));
	p->to = *from;
	p->spec_dst = dst;
	p->ifindex = ifindex;
}

static void
auth_peer_del(const char *service_id)
{
	struct auth_peer	*p;

	if ((p = auth_peer_find(service_id)) == NULL)
		return;
	if (p->pending)
		evtimer_del(&p->ev);
	RB_REMOVE(auth_peers, &peers, p);
	free(p);
}

/*
 * Tells the client of binding b its new UE addresses: a NOTIFY with a
 * fresh nonce, sent again until the client acknowledges it.  A newer
 * change replaces a NOTIFY still waiting.
 */
static void
auth_notify(const struct binding *b)
{
	struct auth_peer	*p;
	struct auth_msg		 m;
	ssize_t			 n;
	int64_t			 now = time(NULL);

	if ((p = auth_peer_find(b->service_id)) == NULL) {
		log_debug("%s: no port known for %s", __func__,
		    b->service_id);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = AUTH_NOTIFY;
	m.present = AUTH_HAS(AE_SERVICE_ID) | AUTH_HAS(AE_NONCE) |
	    AUTH_HAS(AE_TIMESTAMP);
	memcpy(m.service_id, b->service_id, b->service_id_len);
	m.service_id_len = b->service_id_len;
	auth_nonce(m.nonce);
	m.timestamp = now;
	auth_describe(b, &m, now);
	if ((n = auth_encode(&m, gw_sk, p->buf, sizeof(p->buf))) == -1) {
		log_warnx("%s: cannot encode the notify", __func__);
		return;
	}
	if (p->pending)
		evtimer_del(&p->ev);
	memcpy(p->nonce, m.nonce, sizeof(p->nonce));
	p->len = (size_t)n;
	p->pending = 1;
	p->tries = 0;
	auth_notify_send(p);
}

static void
auth_notify_send(struct auth_peer *p)
{
	struct timeval		 tv = { AUTH_NOTIFY_INTERVAL, 0 };
	struct auth_sock	*s;
	char			 vis[4 * AUTH_MAX_SERVICE_ID + 1];

	TAILQ_FOREACH(s, &socks, entry)
		if (strcmp(s->ifname, p->ifname) == 0)
			break;
	if (s == NULL) {
		p->pending = 0;
		return;
	}
	mcgw_vis(vis, sizeof(vis), p->service_id,
	    strlen(p->service_id));
	log_info("notifying %s at %s:%u of its UE IP%s", vis,
	    inet_ntoa(p->to.sin_addr), ntohs(p->to.sin_port),
	    p->tries > 0 ? " again" : "");
	auth_sendto(s->fd, p->buf, p->len, &p->to, p->spec_dst, p->ifindex);
	evtimer_add(&p->ev, &tv);
}

static void
auth_notify_timer(int fd, short event, void *arg)
{
	struct auth_peer	*p = arg;
	char			 vis[4 * AUTH_MAX_SERVICE_ID + 1];

	(void)fd;
	(void)event;
	if (!p->pending)
		return;
	if (p->tries++ < AUTH_NOTIFY_RETRIES) {
		auth_notify_send(p);
		return;
	}
	p->pending = 0;
	mcgw_vis(vis, sizeof(vis), p->service_id,
	    strlen(p->service_id));
	log_info("%s did not acknowledge the notify", vis);
}

/*
 * An ACK passes the checks of a request, except the replay cache: its
 * nonce is the NOTIFY's, which a first ACK consumes.  Nothing answers
 * it, so that a forged datagram cannot make the gateway send one.
 */
static void
auth_ack(struct auth_sock *s, const uint8_t *buf, size_t len,
    const struct sockaddr_in *from)
{
	const struct imsg_lease4	*l;
	const struct imsg_auth_key	*k;
	struct auth_peer		*p;
	struct auth_msg			 m;
	struct log_ratelimit		*rl;
	const char			*why = NULL;
	char				 vis[4 * AUTH_MAX_SERVICE_ID + 1];
	int64_t				 d;

	l = lease_find(from->sin_addr);
	if (l == NULL || l->state != LEASE_ACTIVE ||
	    strcmp(l->ifname, s->ifname) != 0)
		why = "no lease";
	else if (ratelimit_allow(ratelimit, AF_INET, &from->sin_addr,
	    auth_monotonic_ms()) != 1)
		why = "rate limited";
	else if (auth_decode(buf, len, &m) < 0 || m.type != AUTH_ACK)
		why = "malformed or not an ack";
	else if ((k = auth_key_find(m.service_id)) == NULL)
		why = "unknown service ID";
	else if (auth_verify(buf, &m, k->key) != 0)
		why = "bad signature";
	else if ((d = m.timestamp - time(NULL)) > (int64_t)aconf.skew ||
	    d < -(int64_t)aconf.skew)
		why = "stale timestamp";
	else if ((p = auth_peer_find(m.service_id)) == NULL || !p->pending ||
	    memcmp(p->nonce, m.nonce, sizeof(p->nonce)) != 0 ||
	    p->to.sin_addr.s_addr != from->sin_addr.s_addr)
		why = "no notify waits for it";
	if (why != NULL) {
		/* The first two checks are the cheap ones (see unleased_rl). */
		rl = strcmp(why, "no lease") == 0 ||
		    strcmp(why, "rate limited") == 0 ? &unleased_rl :
		    &refuse_rl;
		if (log_ratelimit_ok(rl, AUTH_LOG_BURST, AUTH_LOG_WINDOW))
			log_warnx("%s: ack from %s ignored: %s", s->ifname,
			    inet_ntoa(from->sin_addr), why);
		return;
	}
	evtimer_del(&p->ev);
	p->pending = 0;
	mcgw_vis(vis, sizeof(vis), p->service_id,
	    strlen(p->service_id));
	log_info("%s acknowledged the notify", vis);
}
