/*
 * mcgwd-routed: keeps the lease store and its journal, restores the
 * leases to dhcpd at start, makes every lease change durable before
 * dhcpd acknowledges it, and serves the control sessions of mcgwctl.
 */

#include <sys/types.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "mcgw.h"
#include "sandbox.h"
#include "routed.h"

/* Leases queued to dhcpd per refill while restoring. */
#define RESTORE_CHUNK		1024
/* Refill once fewer messages than this wait to be written. */
#define RESTORE_LOW_WATER	64
/*
 * Group commit: a dispatch takes what one read of the socket brings (at
 * most the read buffer, about 160 lease records) and writes it with one
 * fdatasync.  The small bound keeps the replies to the first records
 * from waiting for the later ones.  What arrives meanwhile goes into
 * the next batch, which starts at once.
 */

struct store_batch {
	struct imsg_lease4	*leases;
	uint32_t		*tokens;
	size_t			 n;
	size_t			 size;
};

/* Iteration state over the lease table, in address order. */
struct lease_cursor {
	int			 started;
	uint32_t		 last;	/* host byte order */
};

static void	routed_sig_handler(int, short, void *);
static void	routed_shutdown(void) __attribute__((noreturn));
static void	routed_imsgev_init(struct imsgev **, int,
		    void (*)(int, short, void *));
static void	routed_dispatch_parent(int, short, void *);
static void	routed_parent_imsg(struct imsg *);
static void	routed_reconf_imsg(struct imsg *);
static void	routed_dispatch_dhcpd(int, short, void *);
static void	routed_dhcpd_imsg(struct imsg *);
static void	routed_check_lease(const struct imsg_lease4 *);
static void	routed_batch_add(const struct imsg_lease4 *, uint32_t);
static void	routed_batch_commit(void);
static void	routed_restore_more(void);
static void	routed_replay_lease(const struct imsg_lease4 *, void *);
static const struct imsg_lease4 *routed_compact_next(void *);
static const struct imsg_binding *routed_compact_binding(void *);
static const struct imsg_binding_history *routed_compact_history(void *);
static void	routed_compact(void);

static struct imsgev		*iev_parent;
static struct imsgev		*iev_dhcpd;
static struct journal		 journal;
static struct store_batch	 batch;
static struct imsg_conf		 conf;
static struct imsg_conf		 nconf;
static int			 reconf_active;
static struct imsg_procinfo	 procinfo;
static int			 dhcpd_ready;
static time_t			 routed_started;
static int			 restoring;
static struct lease_cursor	 restore_cursor;
static uint32_t			 restore_sent;
static struct log_ratelimit	 store_fail_rl = { .what = "journal writes" };

struct in_addr			 routed_uplink4;
struct in6_addr			 routed_uplink6;

int
main(int argc, char *argv[])
{
	struct event	 ev_sigint, ev_sigterm;
	struct journal_sink sink;
	struct sandbox_args args;
	struct sched_param sp;
	int64_t		 n;

	sandbox_args_parse(argc, argv, &args);

	log_init(args.debug, args.verbose, "routed");
	routed_started = time(NULL);

	/*
	 * The parent passes both socketpairs at fixed descriptors: check
	 * them before the event base takes the first free descriptor.
	 */
	routed_imsgev_init(&iev_parent, MCGW_FD_PARENT,
	    routed_dispatch_parent);
	routed_imsgev_init(&iev_dhcpd, MCGW_FD_SIBLING,
	    routed_dispatch_dhcpd);
	/* The control and authorisation sockets come from the parent. */
	imsgbuf_allow_fdpass(&iev_parent->ibuf);
	event_init();

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* Over a file size limit, a write fails like on a full disk. */
	signal(SIGXFSZ, SIG_IGN);
	signal_set(&ev_sigint, SIGINT, routed_sig_handler, NULL);
	signal_set(&ev_sigterm, SIGTERM, routed_sig_handler, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sigterm, NULL);

	leases_init();
	control_init();
	auth_server_init();

	/*
	 * sched(7) describes a SCHED_BATCH thread as disfavoured at
	 * wake-up, and Linux does not let its wake-up preempt the running
	 * task.  On a
	 * shared CPU dhcpd then finishes what it has read before routed
	 * writes the records, so more of them share one fdatasync.
	 */
	memset(&sp, 0, sizeof(sp));
	if (sched_setscheduler(0, SCHED_BATCH, &sp) == -1)
		log_warn("sched_setscheduler SCHED_BATCH");

	/* From here on the state directory is the root directory. */
	sandbox_enter(SANDBOX_ROUTED, MCGW_USER, args.root,
	    args.seccomp_debug);

	/*
	 * Invariant: dhcpd receives no lease, so it replies to no client,
	 * before the journal is replayed in full.
	 */
	if (journal_open(&journal, MCGW_JOURNAL) == -1)
		fatalx("cannot open or create the journal %s in %s: the "
		    "directory and the files in it must belong to user %s",
		    MCGW_JOURNAL, args.root, MCGW_USER);
	memset(&sink, 0, sizeof(sink));
	sink.lease = routed_replay_lease;
	sink.binding = auth_replay_binding;
	sink.history = auth_replay_history;
	if ((n = journal_replay_all(&journal, &sink)) == -1)
		fatalx("cannot read the journal %s in %s", MCGW_JOURNAL,
		    args.root);
	log_info("restored %u leases (%u active) from %lld lease records",
	    leases_total(), leases_active(), (long long)n);
	auth_server_load_key();
	auth_server_start();
	routed_maybe_compact();

	restoring = 1;
	memset(&restore_cursor, 0, sizeof(restore_cursor));
	routed_restore_more();
	imsg_event_add(iev_parent);

	event_dispatch();
	routed_shutdown();
}

static void
routed_sig_handler(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		routed_shutdown();
	default:
		fatalx("unexpected signal %d", sig);
	}
}

/*
 * Every batch is committed inside the dispatch that read it, so at
 * this point only the final sync remains.
 */
static void
routed_shutdown(void)
{
	int	 r;

	r = journal_close(&journal);
	control_cleanup();
	auth_server_cleanup();
	if (r == -1)
		log_warn("%s: closing the journal", __func__);
	log_info("terminating");
	exit(0);
}

static void
routed_imsgev_init(struct imsgev **ievp, int fd,
    void (*handler)(int, short, void *))
{
	struct imsgev	*iev;
	int		 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("%s: descriptor %d", __func__, fd);
	if ((iev = calloc(1, sizeof(*iev))) == NULL)
		fatal("%s", __func__);
	imsg_init(&iev->ibuf, fd);
	iev->handler = handler;
	iev->events = 0;
	*ievp = iev;
}

/*
 * The event persists and changes only with the interest in writing:
 * every change costs epoll_ctl calls, and a lease needs none.
 */
void
imsg_event_add(struct imsgev *iev)
{
	short	 events = EV_READ | EV_PERSIST;

	if (iev->ibuf.w.queued)
		events |= EV_WRITE;
	if (events == iev->events)
		return;
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = events;
	event_set(&iev->ev, iev->ibuf.fd, iev->events, iev->handler, iev);
	event_add(&iev->ev, NULL);
}

int
imsg_compose_event(struct imsgev *iev, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	int	 r;

	if ((r = imsg_compose(&iev->ibuf, type, peerid, pid, fd, data,
	    datalen)) != -1)
		imsg_event_add(iev);
	return r;
}

int
routed_imsg_compose_parent(uint32_t type, uint32_t peerid,
    const void *data, size_t len)
{
	return imsg_compose_event(iev_parent, type, peerid, 0, -1, data,
	    len);
}

int
routed_imsg_compose_dhcpd(uint32_t type, uint32_t peerid,
    const void *data, size_t len)
{
	return imsg_compose_event(iev_dhcpd, type, peerid, 0, -1, data, len);
}

static void
routed_dispatch_parent(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsgbuf	*ibuf = &iev->ibuf;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (event & EV_READ) {
		if ((n = imsg_read(ibuf)) == -1 && errno != EAGAIN)
			fatal("%s: imsg_read", __func__);
		if (n == 0)
			fatalx("parent closed the pipe");
	}
	if (event & EV_WRITE) {
		if ((n = msgbuf_write(&ibuf->w)) == -1)
			fatal("%s: msgbuf_write", __func__);
		if (n == 0)
			fatalx("parent closed the pipe");
	}

	for (;;) {
		if ((n = imsg_get(ibuf, &imsg)) == -1)
			fatal("%s: imsg_get", __func__);
		if (n == 0)
			break;
		routed_parent_imsg(&imsg);
		imsg_free(&imsg);
	}
	imsg_event_add(iev);
}

static void
routed_parent_imsg(struct imsg *imsg)
{
	struct imsg_socket	 sock;
	struct imsg_result	 res;
	uint32_t		 type = imsg_get_type(imsg);
	int			 fd, verbose;

	switch (type) {
	case IMSG_RECONF_CONF:
	case IMSG_RECONF_IFACE:
	case IMSG_RECONF_SUBNET:
	case IMSG_RECONF_RANGE:
	case IMSG_RECONF_OPTION:
	case IMSG_RECONF_HOST:
	case IMSG_RECONF_AUTH:
	case IMSG_RECONF_AUTH_KEY:
	case IMSG_AUTH_SOCKET:
	case IMSG_RECONF_FRAMED:
	case IMSG_RECONF_END:
		routed_reconf_imsg(imsg);
		break;
	case IMSG_UPLINK_ADDR:
	case IMSG_KERNEL_RESULT:
	case IMSG_CTL_ROUTE:
	case IMSG_CTL_END:
		if (nat_parent_imsg(imsg) == -1)
			fatalx("%s: invalid %s", __func__,
			    imsg_type_name(type));
		break;
	case IMSG_CONTROL_FD:
		if (imsg_get_data(imsg, &sock, sizeof(sock)) == -1 ||
		    sock.readonly > 1)
			fatalx("%s: invalid %s", __func__,
			    imsg_type_name(type));
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("%s: %s without a descriptor", __func__,
			    imsg_type_name(type));
		control_listen(fd, sock.readonly);
		break;
	case IMSG_PROCINFO:
		if (imsg_get_data(imsg, &procinfo, sizeof(procinfo)) == -1)
			fatalx("%s: invalid %s", __func__,
			    imsg_type_name(type));
		break;
	case IMSG_CTL_RELOAD_DONE:
		if (imsg_get_data(imsg, &res, sizeof(res)) == -1 ||
		    !MCGW_STR_OK(res.message))
			fatalx("%s: invalid %s", __func__,
			    imsg_type_name(type));
		control_reload_done(imsg_get_peerid(imsg), &res);
		break;
	case IMSG_CTL_LOG_VERBOSE:
		if (imsg_get_data(imsg, &verbose, sizeof(verbose)) == -1)
			fatalx("%s: invalid %s", __func__,
			    imsg_type_name(type));
		log_setverbose(verbose);
		break;
	default:
		fatalx("%s: unexpected %s", __func__, imsg_type_name(type));
	}
}

/*
 * The configuration arrives as IMSG_RECONF_CONF, the interfaces with
 * their subnets, and IMSG_RECONF_END.  This process keeps only the
 * global part, for show status, but checks every message.
 */
static void
routed_reconf_imsg(struct imsg *imsg)
{
	struct imsg_iface	 iface;
	struct imsg_subnet	 subnet;
	struct imsg_range	 range;
	struct imsg_option	 option;
	struct imsg_host	 host;
	struct imsg_auth_conf	 ac;
	struct imsg_auth_key	 ak;
	struct imsg_socket	 sock;
	uint32_t		 type = imsg_get_type(imsg);
	int			 bad;

	if (type != IMSG_RECONF_CONF && !reconf_active)
		fatalx("%s: %s outside a configuration", __func__,
		    imsg_type_name(type));

	switch (type) {
	case IMSG_RECONF_CONF:
		bad = imsg_get_data(imsg, &nconf, sizeof(nconf)) == -1 ||
		    !MCGW_STR_OK(nconf.state_dir) ||
		    !MCGW_STR_OK(nconf.uplink);
		reconf_active = 1;
		auth_reconf_begin();
		if (!bad)
			nat_reconf_conf(&nconf);
		break;
	case IMSG_RECONF_FRAMED:
		bad = nat_reconf_framed(imsg) == -1;
		break;
	case IMSG_RECONF_IFACE:
		bad = imsg_get_data(imsg, &iface, sizeof(iface)) == -1 ||
		    !MCGW_STR_OK(iface.name) || iface.prefixlen > 32;
		break;
	case IMSG_RECONF_SUBNET:
		bad = imsg_get_data(imsg, &subnet, sizeof(subnet)) == -1 ||
		    subnet.prefixlen > 32;
		break;
	case IMSG_RECONF_RANGE:
		bad = imsg_get_data(imsg, &range, sizeof(range)) == -1;
		break;
	case IMSG_RECONF_OPTION:
		bad = imsg_get_data(imsg, &option, sizeof(option)) == -1;
		break;
	case IMSG_RECONF_HOST:
		bad = imsg_get_data(imsg, &host, sizeof(host)) == -1 ||
		    !MCGW_STR_OK(host.name) || host.hlen > MCGW_MAX_HWLEN;
		break;
	case IMSG_RECONF_AUTH:
		if (!(bad = imsg_get_data(imsg, &ac, sizeof(ac)) == -1))
			auth_reconf_conf(&ac);
		break;
	case IMSG_RECONF_AUTH_KEY:
		if (!(bad = imsg_get_data(imsg, &ak, sizeof(ak)) == -1))
			auth_reconf_key(&ak);
		break;
	case IMSG_AUTH_SOCKET:
		if (!(bad = imsg_get_data(imsg, &sock, sizeof(sock)) == -1))
			auth_reconf_socket(&sock, imsg_get_fd(imsg));
		break;
	case IMSG_RECONF_END:
		bad = imsg_get_len(imsg) != 0;
		conf = nconf;
		reconf_active = 0;
		auth_reconf_end();
		nat_reconf_end();
		log_debug("configuration received: mode %s, uplink %s",
		    mode_name(conf.mode), conf.uplink);
		break;
	default:
		fatalx("%s: unexpected %s", __func__, imsg_type_name(type));
	}
	if (bad)
		fatalx("%s: invalid %s", __func__, imsg_type_name(type));
}

/*
 * Group commit: read everything dhcpd has sent, queue all its lease
 * records into one batch, and make the batch durable with a single
 * write and fdatasync before any reply is sent.
 */
static void
routed_dispatch_dhcpd(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsgbuf	*ibuf = &iev->ibuf;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (event & EV_WRITE) {
		if ((n = msgbuf_write(&ibuf->w)) == -1)
			fatal("%s: msgbuf_write", __func__);
		if (n == 0)
			fatalx("dhcpd closed the pipe");
		if (restoring && ibuf->w.queued < RESTORE_LOW_WATER)
			routed_restore_more();
	}

	/*
	 * One read per wake-up takes everything queued, up to the buffer's
	 * size.  A second read would mostly return EAGAIN, and what arrives
	 * meanwhile goes into the next batch.
	 */
	if (event & EV_READ) {
		if ((n = imsg_read(ibuf)) == -1 && errno != EAGAIN)
			fatal("%s: imsg_read", __func__);
		if (n == 0)
			fatalx("dhcpd closed the pipe");
		for (;;) {
			if ((n = imsg_get(ibuf, &imsg)) == -1)
				fatal("%s: imsg_get", __func__);
			if (n == 0)
				break;
			routed_dhcpd_imsg(&imsg);
			imsg_free(&imsg);
		}
	}

	routed_batch_commit();
	/*
	 * Answer at once rather than after one more wake-up.  A restore
	 * refills the queue from the write event, so it keeps that path.
	 */
	if (!restoring && ibuf->w.queued > 0 &&
	    (n = msgbuf_write(&ibuf->w)) <= 0) {
		if (n == 0)
			fatalx("dhcpd closed the pipe");
		fatal("%s: msgbuf_write", __func__);
	}
	imsg_event_add(iev);
}

static void
routed_dhcpd_imsg(struct imsg *imsg)
{
	struct imsg_lease4	 l;
	uint32_t		 type = imsg_get_type(imsg);

	if (imsg->fd != -1)
		fatalx("%s: %s with a descriptor", __func__,
		    imsg_type_name(type));

	switch (type) {
	case IMSG_DHCPD_READY:
		if (imsg_get_len(imsg) != 0)
			fatalx("%s: invalid %s", __func__,
			    imsg_type_name(type));
		if (!dhcpd_ready)
			log_debug("dhcpd serves clients");
		dhcpd_ready = 1;
		break;
	case IMSG_LEASE_STORE:
		if (imsg_get_data(imsg, &l, sizeof(l)) == -1)
			fatalx("%s: invalid %s", __func__,
			    imsg_type_name(type));
		routed_check_lease(&l);
		routed_batch_add(&l, imsg_get_peerid(imsg));
		break;
	default:
		fatalx("%s: unexpected %s", __func__, imsg_type_name(type));
	}
}

/* Offers live in dhcpd's memory only, so the journal stores none. */
static void
routed_check_lease(const struct imsg_lease4 *l)
{
	if (!MCGW_STR_OK(l->ifname) || !MCGW_STR_OK(l->hostname))
		fatalx("%s: lease string without NUL", __func__);
	if (l->hlen > MCGW_MAX_HWLEN)
		fatalx("%s: hardware address length %u", __func__, l->hlen);
	if (l->state > LEASE_ABANDONED || l->state == LEASE_OFFERED)
		fatalx("%s: lease state %u", __func__, l->state);
}

static void
routed_batch_add(const struct imsg_lease4 *l, uint32_t token)
{
	size_t		 nsize;
	void		*p;

	if (batch.n == batch.size) {
		nsize = batch.size == 0 ? 256 : batch.size * 2;
		if ((p = reallocarray(batch.leases, nsize,
		    sizeof(*batch.leases))) == NULL)
			fatal("%s", __func__);
		batch.leases = p;
		if ((p = reallocarray(batch.tokens, nsize,
		    sizeof(*batch.tokens))) == NULL)
			fatal("%s", __func__);
		batch.tokens = p;
		batch.size = nsize;
	}
	if (journal_add_lease(&journal, l) == -1)
		fatal("%s: journal_add_lease", __func__);
	batch.leases[batch.n] = *l;
	batch.tokens[batch.n] = token;
	batch.n++;
}

/*
 * The table changes only once the records are durable, so that show
 * leases, the restore after a restart and compaction never contain an
 * update for which dhcpd received IMSG_LEASE_STORE_FAILED.
 */
static void
routed_batch_commit(void)
{
	uint32_t		 answer = IMSG_LEASE_STORED;
	size_t			 i;

	if (batch.n == 0)
		return;
	if (journal_commit(&journal) == -1) {
		/* A full disk fails every batch: do not flood the log. */
		if (log_ratelimit_ok(&store_fail_rl, 10, 60))
			log_warn("journal write failed, %zu lease updates "
			    "not stored", batch.n);
		answer = IMSG_LEASE_STORE_FAILED;
	}
	for (i = 0; i < batch.n; i++) {
		if (answer == IMSG_LEASE_STORED) {
			lease_update(&batch.leases[i]);
			auth_lease_changed(&batch.leases[i]);
		}
		if (imsg_compose(&iev_dhcpd->ibuf, answer, batch.tokens[i], 0,
		    -1, NULL, 0) == -1)
			fatal("%s: imsg_compose", __func__);
	}
	/* A failed batch was logged above: "stored" would be untrue. */
	if (answer == IMSG_LEASE_STORED)
		log_debug("stored %zu lease updates with one sync", batch.n);
	batch.n = 0;
	/* Bindings that ended with their lease. */
	if (journal.pending > 0 && journal_commit(&journal) == -1)
		log_warn("journal write failed, binding ends not stored");
	if (answer == IMSG_LEASE_STORED)
		routed_maybe_compact();
}

struct journal *
routed_journal(void)
{
	return &journal;
}

uint8_t
routed_mode(void)
{
	return conf.mode;
}

void
routed_maybe_compact(void)
{
	if (journal.pending == 0 &&
	    journal_need_compact(&journal, leases_total() +
	    auth_live_records()))
		routed_compact();
}

/*
 * XXX Compaction runs in the event loop: with a very large table it
 * delays the replies queued before it by the time of one snapshot
 * write and fsync.
 */
static void
routed_compact(void)
{
	struct journal_source	 src;
	struct lease_cursor	 cursor;

	memset(&cursor, 0, sizeof(cursor));
	memset(&src, 0, sizeof(src));
	src.leases = routed_compact_next;
	src.bindings = routed_compact_binding;
	src.history = routed_compact_history;
	src.arg = &cursor;
	auth_snapshot_begin();
	if (journal_compact_all(&journal, &src) == -1)
		log_warnx("journal compaction failed, will retry");
	auth_snapshot_end();
}

static const struct imsg_binding *
routed_compact_binding(void *arg)
{
	(void)arg;
	return auth_snapshot_binding();
}

static const struct imsg_binding_history *
routed_compact_history(void *arg)
{
	(void)arg;
	return auth_snapshot_history();
}

/*
 * Queues the next chunk of stored leases to dhcpd, so that a large
 * table does not sit in memory twice; IMSG_LEASE_RESTORE_END follows
 * the last one.
 */
static void
routed_restore_more(void)
{
	const struct imsg_lease4	*l;
	int				 n;

	if (!restoring)
		return;
	l = restore_cursor.started ? lease_next(restore_cursor.last) :
	    lease_first();
	for (n = 0; l != NULL && n < RESTORE_CHUNK; n++) {
		if (imsg_compose(&iev_dhcpd->ibuf, IMSG_LEASE_RESTORE, 0, 0,
		    -1, l, sizeof(*l)) == -1)
			fatal("%s: imsg_compose", __func__);
		restore_cursor.started = 1;
		restore_cursor.last = ntohl(l->addr.s_addr);
		restore_sent++;
		l = lease_next(restore_cursor.last);
	}
	if (l == NULL) {
		/* The held addresses, before dhcpd may answer anyone. */
		auth_hold_send_all();
		if (imsg_compose(&iev_dhcpd->ibuf, IMSG_LEASE_RESTORE_END, 0,
		    0, -1, NULL, 0) == -1)
			fatal("%s: imsg_compose", __func__);
		restoring = 0;
		log_info("sent %u stored leases to dhcpd", restore_sent);
	}
	imsg_event_add(iev_dhcpd);
}

static void
routed_replay_lease(const struct imsg_lease4 *l, void *arg)
{
	(void)arg;
	lease_update(l);
}

static const struct imsg_lease4 *
routed_compact_next(void *arg)
{
	struct lease_cursor		*c = arg;
	const struct imsg_lease4	*l;

	l = c->started ? lease_next(c->last) : lease_first();
	if (l != NULL) {
		c->started = 1;
		c->last = ntohl(l->addr.s_addr);
	}
	return l;
}

/*
 * journal_bytes is where the journal's records end (the file is larger
 * by its preallocated zeros), journal_records the number of records in
 * it; journal_syncs counts since start.
 */
void
routed_fill_status(struct imsg_ctl_status *st)
{
	memset(st, 0, sizeof(*st));
	strlcpy(st->version, MCGW_VERSION, sizeof(st->version));
	st->mode = conf.mode;
	st->verbose = log_getverbose() > 255 ? 255 : log_getverbose();
	st->dhcpd_ready = dhcpd_ready;
	st->started = procinfo.started != 0 ? procinfo.started :
	    routed_started;
	st->now = time(NULL);
	strlcpy(st->uplink, conf.uplink, sizeof(st->uplink));
	st->leases_active = leases_active();
	st->leases_total = leases_total();
	st->journal_records = journal.records;
	st->journal_syncs = journal.syncs;
	st->journal_bytes = journal.size;
	strlcpy(st->state_dir, conf.state_dir, sizeof(st->state_dir));
	strlcpy(st->public_key, auth_public_key(), sizeof(st->public_key));
	st->bindings = auth_binding_count();
	st->ue4 = routed_uplink4;
	st->ue6 = routed_uplink6;
}

/* Fills n (at most 3) entries: parent, dhcpd, routed. */
void
routed_fill_procs(struct imsg_ctl_proc *p, size_t n)
{
	static const char	*names[] = { "parent", "dhcpd", "routed" };
	int32_t			 pids[3];
	size_t			 i;

	pids[0] = procinfo.parent_pid;
	pids[1] = procinfo.dhcpd_pid;
	pids[2] = procinfo.routed_pid != 0 ? procinfo.routed_pid : getpid();
	for (i = 0; i < n && i < 3; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		strlcpy(p[i].name, names[i], sizeof(p[i].name));
		p[i].pid = pids[i];
	}
}
