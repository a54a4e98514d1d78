/*
 * Control sessions of mcgwctl on the two listening sockets that the
 * parent passes: read-write and read-only.  A client's bad message
 * closes that session only.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "mcgw.h"
#include "routed.h"

#define CONTROL_MAX_SESSIONS	32
/* A client that leaves more messages than this unread is dropped. */
#define CONTROL_MAX_QUEUED	512
/*
 * show leases queues this many leases at a time and adds more as the
 * socket drains, so a large table never sits in a session's queue.
 */
#define CONTROL_LEASE_CHUNK	128
#define CONTROL_BACKOFF_SEC	1
/*
 * XXX show bindings and show history answer in one go, so they stop at
 * this many entries to stay below CONTROL_MAX_QUEUED.
 */
#define CONTROL_MAX_ENTRIES	(CONTROL_MAX_QUEUED - 8)

struct ctl_listener {
	int			 fd;
	int			 readonly;
	struct event		 ev;
	struct event		 pause;
};

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct imsgbuf		 ibuf;
	struct event		 ev;
	uint32_t		 id;	/* peerid of a reload in the parent */
	int			 readonly;
	int			 failed; /* could not queue a reply */
	int			 ev_set;
	int			 dumping; /* show leases in progress */
	int			 dump_started;
	uint32_t		 dump_last;	/* host byte order */
};

static void	 control_accept(int, short, void *);
static void	 control_resume(int, short, void *);
static void	 control_dispatch(int, short, void *);
static void	 control_event_add(struct ctl_conn *);
static void	 control_close(struct ctl_conn *);
static int	 control_process(struct ctl_conn *);
static int	 control_request(struct ctl_conn *, struct imsg *);
static int	 control_show_leases(struct ctl_conn *, struct imsg *);
static int	 control_release(struct ctl_conn *, struct imsg *);
static int	 control_show_bindings(struct ctl_conn *, struct imsg *);
static void	 control_binding_cb(const struct binding *, void *);
static int	 control_show_history(struct ctl_conn *, struct imsg *);
static int	 control_clear_binding(struct ctl_conn *, struct imsg *);
static void	 control_dump_more(struct ctl_conn *);
static void	 control_compose(struct ctl_conn *, uint32_t, const void *,
		    size_t);
static void	 control_result(struct ctl_conn *, int32_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static struct ctl_conn *control_find(uint32_t);
static int	 control_log_ok(void);
static void	 control_bad(struct ctl_conn *, struct imsg *);

static TAILQ_HEAD(, ctl_conn)	 ctl_conns = TAILQ_HEAD_INITIALIZER(ctl_conns);
static unsigned int		 ctl_nconns;
static uint32_t			 ctl_next_id = 1;
static struct ctl_listener	 listeners[2];	/* index: readonly */
/*
 * Anyone may connect to the read-only socket (mode 0666) and send
 * garbage, over and over: outside verbose mode each kind of complaint
 * is logged at most CONTROL_LOG_BURST times per CONTROL_LOG_WINDOW
 * seconds, and a count of the rest follows.
 */
#define CONTROL_LOG_BURST	5
#define CONTROL_LOG_WINDOW	60
static struct log_ratelimit	 ctl_full_rl = {
	.what = "refused control connections"
};
static struct log_ratelimit	 ctl_bad_rl = {
	.what = "invalid control messages"
};

static int
control_log_ok(void)
{
	return log_ratelimit_ok(&ctl_bad_rl, CONTROL_LOG_BURST,
	    CONTROL_LOG_WINDOW);
}

/* Logs a malformed request; the caller closes the session. */
static void
control_bad(struct ctl_conn *c, struct imsg *imsg)
{
	if (control_log_ok())
		log_warnx("control session %u: invalid %s, closing it",
		    c->id, imsg_type_name(imsg_get_type(imsg)));
}

void
control_init(void)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		listeners[i].fd = -1;
		listeners[i].readonly = i;
		evtimer_set(&listeners[i].pause, control_resume,
		    &listeners[i]);
	}
}

/* A second socket with the same access replaces the first. */
void
control_listen(int fd, int readonly)
{
	struct ctl_listener	*l = &listeners[readonly ? 1 : 0];
	int			 flags;

	if (l->fd != -1) {
		event_del(&l->ev);
		evtimer_del(&l->pause);
		close(l->fd);
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("%s: control socket", __func__);
	l->fd = fd;
	event_set(&l->ev, fd, EV_READ | EV_PERSIST, control_accept, l);
	event_add(&l->ev, NULL);
	log_debug("listening on the %s control socket",
	    readonly ? "read-only" : "read-write");
}

void
control_cleanup(void)
{
	struct ctl_conn	*c;
	int		 i;

	while ((c = TAILQ_FIRST(&ctl_conns)) != NULL)
		control_close(c);
	for (i = 0; i < 2; i++) {
		if (listeners[i].fd == -1)
			continue;
		event_del(&listeners[i].ev);
		evtimer_del(&listeners[i].pause);
		close(listeners[i].fd);
		listeners[i].fd = -1;
	}
}

static void
control_accept(int fd, short event, void *arg)
{
	struct ctl_listener	*l = arg;
	struct ctl_conn		*c;
	struct timeval		 tv = { CONTROL_BACKOFF_SEC, 0 };
	int			 cfd;

	(void)event;
	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: stop accepting for a while. */
			if (log_ratelimit_ok(&ctl_full_rl, CONTROL_LOG_BURST,
			    CONTROL_LOG_WINDOW))
				log_warn("%s: accept4", __func__);
			event_del(&l->ev);
			evtimer_add(&l->pause, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept4", __func__);
		return;
	}
	if (ctl_nconns >= CONTROL_MAX_SESSIONS) {
		if (log_ratelimit_ok(&ctl_full_rl, CONTROL_LOG_BURST,
		    CONTROL_LOG_WINDOW))
			log_warnx("%d control sessions open, closing a new "
			    "one", CONTROL_MAX_SESSIONS);
		close(cfd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s", __func__);
		close(cfd);
		return;
	}
	c->id = ctl_next_id++;
	if (ctl_next_id == 0)
		ctl_next_id = 1;
	c->readonly = l->readonly;
	imsg_init(&c->ibuf, cfd);
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;
	control_event_add(c);
	log_debug("control session %u opened (%s)", c->id,
	    c->readonly ? "read-only" : "read-write");
}

static void
control_resume(int fd, short event, void *arg)
{
	struct ctl_listener	*l = arg;

	(void)fd;
	(void)event;
	if (l->fd != -1)
		event_add(&l->ev, NULL);
}

/* While a lease list is being written, the session reads nothing more. */
static void
control_event_add(struct ctl_conn *c)
{
	short	 events = 0;

	if (!c->dumping)
		events |= EV_READ;
	if (c->ibuf.w.queued > 0)
		events |= EV_WRITE;
	if (c->ev_set)
		event_del(&c->ev);
	c->ev_set = 1;
	event_set(&c->ev, c->ibuf.fd, events, control_dispatch, c);
	event_add(&c->ev, NULL);
}

static void
control_close(struct ctl_conn *c)
{
	log_debug("control session %u closed", c->id);
	event_del(&c->ev);
	imsg_clear(&c->ibuf);
	close(c->ibuf.fd);
	TAILQ_REMOVE(&ctl_conns, c, entry);
	ctl_nconns--;
	free(c);
}

static void
control_dispatch(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;
	ssize_t		 n;

	(void)fd;
	if (event & EV_READ) {
		n = imsg_read(&c->ibuf);
		if (n == 0 || (n == -1 && errno != EAGAIN)) {
			control_close(c);
			return;
		}
	}
	if (event & EV_WRITE) {
		if (msgbuf_write(&c->ibuf.w) <= 0) {
			control_close(c);
			return;
		}
		if (c->dumping && c->ibuf.w.queued < CONTROL_LEASE_CHUNK / 2)
			control_dump_more(c);
	}

	if (control_process(c) == -1 || c->failed) {
		control_close(c);
		return;
	}
	if (c->ibuf.w.queued > CONTROL_MAX_QUEUED) {
		if (control_log_ok())
			log_warnx("control session %u does not read its "
			    "answers, closing it", c->id);
		control_close(c);
		return;
	}
	control_event_add(c);
}

/* Handles the complete requests in the read buffer, in order. */
static int
control_process(struct ctl_conn *c)
{
	struct imsg	 imsg;
	ssize_t		 n;
	int		 r;

	while (!c->dumping) {
		if ((n = imsg_get(&c->ibuf, &imsg)) == -1) {
			if (control_log_ok())
				log_warnx("control session %u: invalid "
				    "message header, closing it", c->id);
			return -1;
		}
		if (n == 0)
			break;
		r = control_request(c, &imsg);
		imsg_free(&imsg);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* Returns -1 for a malformed request: the caller closes the session. */
static int
control_request(struct ctl_conn *c, struct imsg *imsg)
{
	struct imsg_ctl_status	 st;
	struct imsg_ctl_proc	 procs[3];
	uint32_t		 type = imsg_get_type(imsg);
	size_t			 i;
	int			 verbose;

	if (imsg->fd != -1) {
		if (control_log_ok())
			log_warnx("control session %u: %s with a descriptor, "
			    "closing it", c->id, imsg_type_name(type));
		return -1;
	}

	switch (type) {
	case IMSG_CTL_SHOW_STATUS:
		if (imsg_get_len(imsg) != 0)
			goto bad;
		routed_fill_status(&st);
		control_compose(c, IMSG_CTL_STATUS, &st, sizeof(st));
		routed_fill_procs(procs, 3);
		for (i = 0; i < 3; i++)
			control_compose(c, IMSG_CTL_PROC, &procs[i],
			    sizeof(procs[i]));
		control_compose(c, IMSG_CTL_END, NULL, 0);
		return 0;
	case IMSG_CTL_SHOW_LEASES:
		return control_show_leases(c, imsg);
	case IMSG_CTL_RELOAD:
		if (imsg_get_len(imsg) != 0)
			goto bad;
		if (c->readonly)
			break;
		/* The parent replies with IMSG_CTL_RELOAD_DONE. */
		if (routed_imsg_compose_parent(IMSG_CTL_RELOAD, c->id, NULL,
		    0) == -1)
			fatal("%s: imsg_compose", __func__);
		return 0;
	case IMSG_CTL_LOG_VERBOSE:
		if (imsg_get_data(imsg, &verbose, sizeof(verbose)) == -1 ||
		    (verbose != 0 && verbose != 1))
			goto bad;
		if (c->readonly)
			break;
		log_setverbose(verbose);
		if (routed_imsg_compose_parent(IMSG_CTL_LOG_VERBOSE, 0,
		    &verbose, sizeof(verbose)) == -1)
			fatal("%s: imsg_compose", __func__);
		log_info("log verbosity set to %d by control session %u",
		    verbose, c->id);
		control_result(c, 0, "ok");
		return 0;
	case IMSG_CTL_RELEASE:
		return control_release(c, imsg);
	case IMSG_CTL_SHOW_BINDINGS:
		return control_show_bindings(c, imsg);
	case IMSG_CTL_SHOW_HISTORY:
		return control_show_history(c, imsg);
	case IMSG_CTL_CLEAR_BINDING:
		return control_clear_binding(c, imsg);
	case IMSG_CTL_SHOW_ROUTES:
		if (imsg_get_len(imsg) != 0)
			goto bad;
		/* The parent answers with IMSG_CTL_ROUTE and IMSG_CTL_END. */
		if (routed_imsg_compose_parent(IMSG_CTL_SHOW_ROUTES, c->id,
		    NULL, 0) == -1)
			fatal("%s: imsg_compose", __func__);
		return 0;
	case IMSG_CTL_SHOW_FRAMED:
		if (imsg_get_len(imsg) != 0)
			goto bad;
		for (i = 0; nat_framed(i) != NULL; i++)
			control_compose(c, IMSG_CTL_FRAMED, nat_framed(i),
			    sizeof(struct imsg_framed));
		control_compose(c, IMSG_CTL_END, NULL, 0);
		return 0;
	default:
		goto bad;
	}

	control_result(c, EACCES, "permission denied: read-only socket");
	return 0;

 bad:
	control_bad(c, imsg);
	return -1;
}

static int
control_show_leases(struct ctl_conn *c, struct imsg *imsg)
{
	struct imsg_ctl_addr		 a;
	const struct imsg_lease4	*l;

	if (imsg_get_data(imsg, &a, sizeof(a)) == -1) {
		control_bad(c, imsg);
		return -1;
	}
	switch (a.family) {
	case 0:
		c->dumping = 1;
		c->dump_started = 0;
		control_dump_more(c);
		return 0;
	case AF_INET:
		if ((l = lease_find(a.addr4)) != NULL)
			control_compose(c, IMSG_CTL_LEASE, l, sizeof(*l));
		break;
	case AF_INET6:
		/* XXX No DHCPv6 leases are stored yet. */
		break;
	default:
		control_result(c, EAFNOSUPPORT, "unsupported address family "
		    "%u", a.family);
		return 0;
	}
	control_compose(c, IMSG_CTL_END, NULL, 0);
	return 0;
}

static int
control_release(struct ctl_conn *c, struct imsg *imsg)
{
	struct imsg_ctl_addr		 a;
	const struct imsg_lease4	*l;
	char				 buf[INET_ADDRSTRLEN];

	if (imsg_get_data(imsg, &a, sizeof(a)) == -1) {
		control_bad(c, imsg);
		return -1;
	}
	if (c->readonly) {
		control_result(c, EACCES,
		    "permission denied: read-only socket");
		return 0;
	}
	if (a.family != AF_INET) {
		control_result(c, EAFNOSUPPORT, "release needs an IPv4 "
		    "address");
		return 0;
	}
	inet_ntop(AF_INET, &a.addr4, buf, sizeof(buf));
	l = lease_find(a.addr4);
	if (l == NULL || l->state != LEASE_ACTIVE) {
		control_result(c, 1, "no active lease for %s", buf);
		return 0;
	}
	/* dhcpd ends the lease and stores it as LEASE_ABANDONED. */
	if (routed_imsg_compose_dhcpd(IMSG_LEASE_RELEASE, 0, &a.addr4,
	    sizeof(a.addr4)) == -1)
		fatal("%s: imsg_compose", __func__);
	log_info("control session %u released %s", c->id, buf);
	control_result(c, 0, "released %s", buf);
	return 0;
}

struct binding_dump {
	struct ctl_conn		*c;
	size_t			 n;
};

static void
control_binding_cb(const struct binding *b, void *arg)
{
	struct binding_dump	*d = arg;
	struct imsg_binding	 ib;

	if (d->n++ >= CONTROL_MAX_ENTRIES)
		return;
	binding_to_imsg(b, &ib);
	control_compose(d->c, IMSG_CTL_BINDING, &ib, sizeof(ib));
}

static int
control_show_bindings(struct ctl_conn *c, struct imsg *imsg)
{
	struct imsg_ctl_show_bindings	 q;
	struct binding_dump		 d;

	if (imsg_get_data(imsg, &q, sizeof(q)) == -1 ||
	    !MCGW_STR_OK(q.service_id)) {
		control_bad(c, imsg);
		return -1;
	}
	d.c = c;
	d.n = 0;
	auth_ctl_bindings(q.service_id, control_binding_cb, &d);
	control_compose(c, IMSG_CTL_END, NULL, 0);
	return 0;
}

static int
control_show_history(struct ctl_conn *c, struct imsg *imsg)
{
	struct imsg_ctl_show_history	 q;
	struct imsg_binding_history	 ih;
	struct binding_history_entry	*out;
	size_t				 i, n;

	if (imsg_get_data(imsg, &q, sizeof(q)) == -1 ||
	    (q.family != AF_INET && q.family != AF_INET6) ||
	    q.has_port > 1 || q.has_time > 1) {
		control_bad(c, imsg);
		return -1;
	}
	if ((out = calloc(CONTROL_MAX_ENTRIES, sizeof(*out))) == NULL) {
		control_result(c, ENOMEM, "out of memory");
		return 0;
	}
	n = auth_ctl_history(&q, out, CONTROL_MAX_ENTRIES);
	for (i = 0; i < n && i < CONTROL_MAX_ENTRIES; i++) {
		binding_history_to_imsg(&out[i], &ih);
		control_compose(c, IMSG_CTL_HISTORY, &ih, sizeof(ih));
	}
	free(out);
	control_compose(c, IMSG_CTL_END, NULL, 0);
	return 0;
}

static int
control_clear_binding(struct ctl_conn *c, struct imsg *imsg)
{
	struct imsg_ctl_show_bindings	 q;
	char				 vis[4 * sizeof(q.service_id) + 1];

	if (imsg_get_data(imsg, &q, sizeof(q)) == -1 ||
	    !MCGW_STR_OK(q.service_id)) {
		control_bad(c, imsg);
		return -1;
	}
	if (c->readonly) {
		control_result(c, EACCES,
		    "permission denied: read-only socket");
		return 0;
	}
	mcgw_vis(vis, sizeof(vis), q.service_id, strlen(q.service_id));
	switch (auth_ctl_clear(q.service_id)) {
	case 0:
		log_info("control session %u cleared the binding of %s",
		    c->id, vis);
		control_result(c, 0, "cleared the binding of %s", vis);
		break;
	case -1:
		control_result(c, ENOENT, "no binding for %s", vis);
		break;
	default:
		control_result(c, EIO, "cannot store the end of the "
		    "binding of %s", vis);
		break;
	}
	return 0;
}

static void
control_dump_more(struct ctl_conn *c)
{
	const struct imsg_lease4	*l;
	int				 n;

	l = c->dump_started ? lease_next(c->dump_last) : lease_first();
	for (n = 0; l != NULL && n < CONTROL_LEASE_CHUNK; n++) {
		control_compose(c, IMSG_CTL_LEASE, l, sizeof(*l));
		c->dump_started = 1;
		c->dump_last = ntohl(l->addr.s_addr);
		l = lease_next(c->dump_last);
	}
	if (l == NULL) {
		control_compose(c, IMSG_CTL_END, NULL, 0);
		c->dumping = 0;
	}
}

static void
control_compose(struct ctl_conn *c, uint32_t type, const void *data,
    size_t len)
{
	if (imsg_compose(&c->ibuf, type, 0, 0, -1, data, len) == -1) {
		log_warn("control session %u: imsg_compose", c->id);
		c->failed = 1;
	}
}

/* Sends IMSG_CTL_RESULT and IMSG_CTL_END, which ends one reply. */
static void
control_result(struct ctl_conn *c, int32_t code, const char *fmt, ...)
{
	struct imsg_result	 res;
	va_list			 ap;

	memset(&res, 0, sizeof(res));
	res.code = code;
	va_start(ap, fmt);
	vsnprintf(res.message, sizeof(res.message), fmt, ap);
	va_end(ap);
	control_compose(c, IMSG_CTL_RESULT, &res, sizeof(res));
	control_compose(c, IMSG_CTL_END, NULL, 0);
}

static struct ctl_conn *
control_find(uint32_t id)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

void
control_relay(uint32_t id, uint32_t type, const void *data, size_t len)
{
	struct ctl_conn	*c;

	if ((c = control_find(id)) == NULL)
		return;
	control_compose(c, type, data, len);
	if (c->failed) {
		control_close(c);
		return;
	}
	control_event_add(c);
}

void
control_reload_done(uint32_t id, const struct imsg_result *res)
{
	struct ctl_conn	*c;

	if ((c = control_find(id)) == NULL) {
		log_debug("reload done for control session %u, which is "
		    "gone", id);
		return;
	}
	control_compose(c, IMSG_CTL_RESULT, res, sizeof(*res));
	control_compose(c, IMSG_CTL_END, NULL, 0);
	if (c->failed) {
		control_close(c);
		return;
	}
	control_event_add(c);
}
