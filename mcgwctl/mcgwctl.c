/*
 * mcgwctl: control program for mcgwd.  Sends one request over the
 * control socket and prints the reply as text or JSON.
 *
 * Exit status: 0 on success, 1 on any failure, including a usage error
 * and a request that mcgwd rejected.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define LIBBSD_OPENBSD_VIS	/* the strnvis() prototype, unused here */
#include <vis.h>

#include "imsg.h"
#include "mcgw.h"
#include "mcgwctl.h"

enum ctl_action {
	SHOW_STATUS,
	SHOW_LEASES,
	RELOAD,
	LOG_VERBOSE,
	LOG_BRIEF,
	RELEASE_ADDRESS,
	SHOW_BINDINGS,
	SHOW_HISTORY,
	CLEAR_BINDING,
	SHOW_ROUTES,
	SHOW_FRAMED
};

enum ctl_argument {
	ARG_NONE,
	ARG_OPTIONAL,
	ARG_REQUIRED,
	ARG_HISTORY	/* address ADDR [port PORT] [at TIME] */
};

struct ctl_command {
	const char		*words[3];	/* NULL-terminated */
	enum ctl_action		 action;
	enum ctl_argument	 argument;	/* an address after the words */
	int			 readonly;	/* served on the .ro socket */
};

static const struct ctl_command ctl_commands[] = {
	{ { "show", "status" },		SHOW_STATUS,	ARG_NONE,	1 },
	{ { "show", "leases" },		SHOW_LEASES,	ARG_OPTIONAL,	1 },
	{ { "reload" },			RELOAD,		ARG_NONE,	0 },
	{ { "log", "verbose" },		LOG_VERBOSE,	ARG_NONE,	0 },
	{ { "log", "brief" },		LOG_BRIEF,	ARG_NONE,	0 },
	{ { "release", "address" },	RELEASE_ADDRESS, ARG_REQUIRED,	0 },
	{ { "show", "bindings" },	SHOW_BINDINGS,	ARG_OPTIONAL,	1 },
	{ { "show", "history" },	SHOW_HISTORY,	ARG_HISTORY,	1 },
	{ { "clear", "binding" },	CLEAR_BINDING,	ARG_REQUIRED,	0 },
	{ { "show", "routes" },		SHOW_ROUTES,	ARG_NONE,	1 },
	{ { "show", "framed" },		SHOW_FRAMED,	ARG_NONE,	1 },
};

#define NCOMMANDS	(sizeof(ctl_commands) / sizeof(ctl_commands[0]))

struct ctl_request {
	const struct ctl_command *cmd;
	const char		*address;	/* as typed, or NULL */
	char			**args;		/* after the words */
	int			 nargs;
	uint32_t		 type;
	union {
		struct imsg_ctl_addr	 addr;
		int			 verbose;
		struct imsg_ctl_show_bindings	 bindings;
		struct imsg_ctl_show_history	 history;
	} payload;
	size_t			 len;
};

static void		 usage(void) __attribute__((noreturn));
static int		 command_arguments_ok(const struct ctl_command *,
			    int);
static int		 command_filter(int *, int, const char *, char *,
			    size_t);
static const struct ctl_command *command_lookup(int, char **,
			    const char **);
static void		 request_build(struct ctl_request *);
static void		 history_build(struct ctl_request *);
static int64_t		 parse_time(const char *);
static int		 control_connect(const char *);
static int		 control_open(const struct ctl_request *,
			    const char *);
static int		 reply_add(const struct ctl_request *,
			    struct ctl_reply *, struct imsg *, int);
static void		 reply_receive(int, const struct ctl_request *,
			    struct ctl_reply *, int);
static int		 reply_print(const struct ctl_request *,
			    const struct ctl_reply *, int);

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-j] [-s socket] command [argument ...]\n"
	    "commands:\n"
	    "\tshow status\n"
	    "\tshow leases [address]\n"
	    "\treload\n"
	    "\tlog verbose | log brief\n"
	    "\trelease address address\n"
	    "\tshow bindings [service-id]\n"
	    "\tshow history address address [port port] [at time]\n"
	    "\tclear binding service-id\n"
	    "\tshow routes\n"
	    "\tshow framed\n", getprogname());
	exit(1);
}

/* Returns 1 when cmd takes argc words and arguments. */
static int
command_arguments_ok(const struct ctl_command *cmd, int argc)
{
	int	 nwords;

	for (nwords = 0; cmd->words[nwords] != NULL; nwords++)
		;
	switch (cmd->argument) {
	case ARG_NONE:
		return argc == nwords;
	case ARG_OPTIONAL:
		return argc == nwords || argc == nwords + 1;
	case ARG_REQUIRED:
		return argc == nwords + 1;
	case ARG_HISTORY:
		return argc >= nwords + 2;
	}
	return 0;
}

/*
 * Keeps the candidate commands whose word at depth begins with typed,
 * or all of them when typed is NULL.  An exact match wins over a longer
 * word.  Writes the distinct matching words to list, separated by ", ",
 * and returns how many there are.
 */
static int
command_filter(int *candidate, int depth, const char *typed, char *list,
    size_t size)
{
	const char	*word;
	size_t		 i, j;
	int		 exact = 0, nwords = 0, seen;

	for (i = 0; i < NCOMMANDS; i++)
		if (candidate[i] && typed != NULL &&
		    ctl_commands[i].words[depth] != NULL &&
		    strcmp(ctl_commands[i].words[depth], typed) == 0)
			exact = 1;
	list[0] = '\0';
	for (i = 0; i < NCOMMANDS; i++) {
		if (!candidate[i])
			continue;
		word = ctl_commands[i].words[depth];
		if (word == NULL || (typed != NULL && (typed[0] == '\0' ||
		    (exact ? strcmp(word, typed) != 0 :
		    strncmp(word, typed, strlen(typed)) != 0)))) {
			candidate[i] = 0;
			continue;
		}
		for (seen = 0, j = 0; j < i; j++)
			if (candidate[j] && strcmp(ctl_commands[j].words[depth],
			    ctl_commands[i].words[depth]) == 0)
				seen = 1;
		if (seen)
			continue;
		if (nwords++ > 0)
			strlcat(list, ", ", size);
		strlcat(list, ctl_commands[i].words[depth], size);
	}
	return nwords;
}

/*
 * Finds the command that argv names and sets *address to its argument.
 * Each word may be shortened to a prefix that no other command word in
 * the same place shares: "re" is an error because it begins both
 * "reload" and "release".
 */
static const struct ctl_command *
command_lookup(int argc, char **argv, const char **address)
{
	const struct ctl_command *found = NULL;
	char			 list[256];
	int			 candidate[NCOMMANDS];
	size_t			 i;
	int			 depth, n;

	for (i = 0; i < NCOMMANDS; i++)
		candidate[i] = 1;
	for (depth = 0; found == NULL; depth++) {
		if (depth >= argc) {
			command_filter(candidate, depth, NULL, list,
			    sizeof(list));
			warnx("incomplete command: %s must be followed by one "
			    "of %s", argv[depth - 1], list);
			usage();
		}
		n = command_filter(candidate, depth, argv[depth], list,
		    sizeof(list));
		if (n == 0) {
			warnx("unknown command: %s", argv[depth]);
			usage();
		}
		if (n > 1) {
			warnx("ambiguous command: \"%s\" can be %s",
			    argv[depth], list);
			usage();
		}
		for (i = 0; i < NCOMMANDS; i++)
			if (candidate[i] &&
			    ctl_commands[i].words[depth + 1] == NULL)
				found = &ctl_commands[i];
	}
	if (!command_arguments_ok(found, argc)) {
		warnx("wrong number of arguments for %s%s%s", found->words[0],
		    found->words[1] != NULL ? " " : "",
		    found->words[1] != NULL ? found->words[1] : "");
		usage();
	}
	*address = argc > depth ? argv[depth] : NULL;
	return found;
}

/*
 * RFC 3339 in UTC ("2026-12-04T17:00:00Z") or seconds since the epoch.
 */
static int64_t
parse_time(const char *s)
{
	struct tm	 tm;
	const char	*errstr, *end;
	int64_t		 t;

	t = strtonum(s, 0, INT64_MAX, &errstr);
	if (errstr == NULL)
		return t;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || (strcmp(end, "Z") != 0 && strcmp(end, "z") != 0))
		errx(1, "invalid time: %s (expected RFC 3339 UTC such as "
		    "2026-12-04T17:00:00Z, or seconds since the epoch)", s);
	return (int64_t)timegm(&tm);
}

/* show history address ADDR [port PORT] [at TIME] */
static void
history_build(struct ctl_request *req)
{
	struct imsg_ctl_show_history	*q = &req->payload.history;
	const char			*errstr;
	int				 i;

	req->type = IMSG_CTL_SHOW_HISTORY;
	req->len = sizeof(*q);
	if (strcmp(req->args[0], "address") != 0)
		usage();
	req->address = req->args[1];
	if (inet_pton(AF_INET, req->address, &q->addr4) == 1)
		q->family = AF_INET;
	else if (inet_pton(AF_INET6, req->address, &q->addr6) == 1)
		q->family = AF_INET6;
	else
		errx(1, "invalid address: %s (expected an IPv4 or IPv6 "
		    "address)", req->address);
	for (i = 2; i < req->nargs; i += 2) {
		if (i + 1 >= req->nargs)
			usage();
		if (strcmp(req->args[i], "port") == 0 && !q->has_port) {
			q->port = strtonum(req->args[i + 1], 1, 65535,
			    &errstr);
			if (errstr != NULL)
				errx(1, "port %s: %s", req->args[i + 1],
				    errstr);
			q->has_port = 1;
		} else if (strcmp(req->args[i], "at") == 0 && !q->has_time) {
			q->time = parse_time(req->args[i + 1]);
			q->has_time = 1;
		} else
			usage();
	}
}

/* Fills in the request's type and payload; exits on a bad address. */
static void
request_build(struct ctl_request *req)
{
	struct imsg_ctl_addr	*ca = &req->payload.addr;

	memset(&req->payload, 0, sizeof(req->payload));
	req->len = 0;
	switch (req->cmd->action) {
	case SHOW_STATUS:
		req->type = IMSG_CTL_SHOW_STATUS;
		return;
	case RELOAD:
		req->type = IMSG_CTL_RELOAD;
		return;
	case SHOW_ROUTES:
		req->type = IMSG_CTL_SHOW_ROUTES;
		return;
	case SHOW_FRAMED:
		req->type = IMSG_CTL_SHOW_FRAMED;
		return;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		req->type = IMSG_CTL_LOG_VERBOSE;
		req->payload.verbose = req->cmd->action == LOG_VERBOSE;
		req->len = sizeof(req->payload.verbose);
		return;
	case SHOW_LEASES:
		req->type = IMSG_CTL_SHOW_LEASES;
		break;
	case RELEASE_ADDRESS:
		req->type = IMSG_CTL_RELEASE;
		break;
	case SHOW_BINDINGS:
	case CLEAR_BINDING:
		req->type = req->cmd->action == SHOW_BINDINGS ?
		    IMSG_CTL_SHOW_BINDINGS : IMSG_CTL_CLEAR_BINDING;
		req->len = sizeof(req->payload.bindings);
		if (req->address != NULL &&
		    strlcpy(req->payload.bindings.service_id, req->address,
		    sizeof(req->payload.bindings.service_id)) >=
		    sizeof(req->payload.bindings.service_id))
			errx(1, "service ID too long");
		return;
	case SHOW_HISTORY:
		history_build(req);
		return;
	}

	req->len = sizeof(*ca);
	if (req->address == NULL)
		return;		/* family 0: every lease */
	/* dhcpd hands out IPv4 leases only. */
	if (inet_pton(AF_INET, req->address, &ca->addr4) != 1)
		errx(1, "invalid address: %s (expected an IPv4 address)",
		    req->address);
	ca->family = AF_INET;
}

/* Returns a connected socket, or -1 with errno set. */
static int
control_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, saved_errno;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return -1;
	}
	return fd;
}

/*
 * Connects to the socket the command needs.  A read-only command tries
 * the read-only socket first, which any user may open, then the
 * read-write one.
 */
static int
control_open(const struct ctl_request *req, const char *sockpath)
{
	char		 ropath[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	const char	*hint;
	int		 fd, ro_errno = 0, rw_errno;

	if (req->cmd->readonly &&
	    mcgw_ro_socket_path(sockpath, ropath, sizeof(ropath)) == 0) {
		if ((fd = control_connect(ropath)) != -1)
			return fd;
		ro_errno = errno;
	}
	if ((fd = control_connect(sockpath)) != -1)
		return fd;
	rw_errno = errno;

	if (ro_errno != 0)
		warnc(ro_errno, "connect to %s", ropath);
	if (rw_errno == EACCES || rw_errno == EPERM)
		hint = "this command needs root or group " MCGW_USER;
	else
		hint = "is mcgwd running?";
	errc(1, rw_errno, "connect to %s (%s)", sockpath, hint);
}

/*
 * Checks one message of the reply and stores it.  Returns 1 when the
 * reply is complete, 0 when more is to come; exits when the message
 * is malformed, unexpected, or a rejection.
 */
static int
reply_add(const struct ctl_request *req, struct ctl_reply *reply,
    struct imsg *imsg, int json)
{
	enum ctl_action		 action = req->cmd->action;
	uint32_t		 type = imsg_get_type(imsg);
	struct imsg_ctl_proc	 proc;
	struct imsg_lease4	 lease;
	struct imsg_binding	 b;
	struct imsg_binding_history h;
	void			*p;

	switch (type) {
	case IMSG_CTL_RESULT:
		if (reply->have_result ||
		    imsg_get_data(imsg, &reply->result,
		    sizeof(reply->result)) == -1 ||
		    !MCGW_STR_OK(reply->result.message))
			errx(1, "invalid result message from mcgwd");
		reply->have_result = 1;
		if (reply->result.code != 0) {
			print_result_error(reply->result.message, json);
			exit(1);
		}
		return 0;
	case IMSG_CTL_END:
		if (imsg_get_len(imsg) != 0)
			errx(1, "invalid end message from mcgwd");
		return 1;
	case IMSG_CTL_STATUS:
		if (action != SHOW_STATUS || reply->have_status)
			break;
		if (imsg_get_data(imsg, &reply->status,
		    sizeof(reply->status)) == -1 ||
		    !MCGW_STR_OK(reply->status.version) ||
		    !MCGW_STR_OK(reply->status.uplink) ||
		    !MCGW_STR_OK(reply->status.state_dir))
			errx(1, "invalid status message from mcgwd");
		reply->have_status = 1;
		return 0;
	case IMSG_CTL_PROC:
		if (action != SHOW_STATUS || !reply->have_status)
			break;
		if (imsg_get_data(imsg, &proc, sizeof(proc)) == -1 ||
		    !MCGW_STR_OK(proc.name))
			errx(1, "invalid process message from mcgwd");
		if ((p = reallocarray(reply->procs, reply->nprocs + 1,
		    sizeof(proc))) == NULL)
			err(1, NULL);
		reply->procs = p;
		reply->procs[reply->nprocs++] = proc;
		return 0;
	case IMSG_CTL_LEASE:
		if (action != SHOW_LEASES)
			break;
		if (imsg_get_data(imsg, &lease, sizeof(lease)) == -1 ||
		    !MCGW_STR_OK(lease.ifname) ||
		    !MCGW_STR_OK(lease.hostname) ||
		    lease.hlen > MCGW_MAX_HWLEN)
			errx(1, "invalid lease message from mcgwd");
		if ((p = reallocarray(reply->leases, reply->nleases + 1,
		    sizeof(lease))) == NULL)
			err(1, NULL);
		reply->leases = p;
		reply->leases[reply->nleases++] = lease;
		return 0;
	case IMSG_CTL_BINDING:
		if (action != SHOW_BINDINGS)
			break;
		if (imsg_get_data(imsg, &b, sizeof(b)) == -1 ||
		    !MCGW_STR_OK(b.service_id) || !MCGW_STR_OK(b.ifname) ||
		    b.hlen > MCGW_MAX_HWLEN)
			errx(1, "invalid binding message from mcgwd");
		if ((p = reallocarray(reply->bindings, reply->nbindings + 1,
		    sizeof(b))) == NULL)
			err(1, NULL);
		reply->bindings = p;
		reply->bindings[reply->nbindings++] = b;
		return 0;
	case IMSG_CTL_HISTORY:
		if (action != SHOW_HISTORY)
			break;
		if (imsg_get_data(imsg, &h, sizeof(h)) == -1 ||
		    !MCGW_STR_OK(h.service_id))
			errx(1, "invalid history message from mcgwd");
		if ((p = reallocarray(reply->history, reply->nhistory + 1,
		    sizeof(h))) == NULL)
			err(1, NULL);
		reply->history = p;
		reply->history[reply->nhistory++] = h;
		return 0;
	case IMSG_CTL_ROUTE:
	case IMSG_CTL_FRAMED:
		if ((action == SHOW_ROUTES && type == IMSG_CTL_ROUTE) ||
		    (action == SHOW_FRAMED && type == IMSG_CTL_FRAMED)) {
			reply_add_kernel(reply, imsg);
			return 0;
		}
		break;
	default:
		break;
	}
	errx(1, "unexpected %s from mcgwd in reply to %s",
	    imsg_type_name(type), imsg_type_name(req->type));
}

/* Reads until IMSG_CTL_END. */
static void
reply_receive(int fd, const struct ctl_request *req, struct ctl_reply *reply,
    int json)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 done = 0;

	imsg_init(&ibuf, fd);
	if (imsg_compose(&ibuf, req->type, 0, 0, -1,
	    req->len > 0 ? &req->payload : NULL, req->len) == -1)
		err(1, "imsg_compose");
	if (imsg_flush(&ibuf) == -1)
		err(1, "write to control socket");

	while (!done) {
		if ((n = imsg_read(&ibuf)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			err(1, "read from control socket");
		}
		if (n == 0)
			errx(1, "mcgwd closed the connection before the "
			    "reply was complete");
		while (!done) {
			if ((n = imsg_get(&ibuf, &imsg)) == -1)
				errx(1, "invalid message from mcgwd: %s",
				    strerror(errno));
			if (n == 0)
				break;
			done = reply_add(req, reply, &imsg, json);
			imsg_free(&imsg);
		}
	}
	imsg_clear(&ibuf);
}

/* Prints a complete reply; returns the exit status. */
static int
reply_print(const struct ctl_request *req, const struct ctl_reply *reply,
    int json)
{
	char	 vis[4 * MCGW_SERVICE_ID_LEN + 1], msg[sizeof(vis) + 32];

	switch (req->cmd->action) {
	case SHOW_STATUS:
		if (!reply->have_status)
			errx(1, "reply from mcgwd has no status");
		print_status(reply, json);
		return 0;
	case SHOW_LEASES:
		if (req->address != NULL && reply->nleases == 0) {
			snprintf(msg, sizeof(msg), "no lease for %s",
			    req->address);
			print_result_error(msg, json);
			return 1;
		}
		print_leases(reply, json);
		return 0;
	case SHOW_BINDINGS:
		if (req->address != NULL && reply->nbindings == 0) {
			/* Messages are vis(3)-encoded, like mcgwd's own. */
			strvis(vis, req->address, VIS_SAFE | VIS_OCTAL |
			    VIS_TAB | VIS_NL);
			snprintf(msg, sizeof(msg), "no binding for %s", vis);
			print_result_error(msg, json);
			return 1;
		}
		print_bindings(reply, json);
		return 0;
	case SHOW_HISTORY:
		print_history(reply, json);
		return 0;
	case SHOW_ROUTES:
		print_routes(reply, json);
		return 0;
	case SHOW_FRAMED:
		print_framed(reply, json);
		return 0;
	case RELOAD:
	case CLEAR_BINDING:
	case LOG_VERBOSE:
	case LOG_BRIEF:
	case RELEASE_ADDRESS:
		if (!reply->have_result)
			errx(1, "reply from mcgwd has no result");
		print_result_ok(reply->result.message, json);
		return 0;
	}
	return 1;
}

int
main(int argc, char *argv[])
{
	struct ctl_request	 req;
	struct ctl_reply	 reply;
	const char		*sockpath = MCGW_SOCKET;
	int			 ch, fd, json = 0, status;

	while ((ch = getopt(argc, argv, "js:")) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			sockpath = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();

	memset(&req, 0, sizeof(req));
	req.cmd = command_lookup(argc, argv, &req.address);
	req.args = argv + 2;
	req.nargs = argc - 2;
	request_build(&req);

	fd = control_open(&req, sockpath);
	memset(&reply, 0, sizeof(reply));
	reply_receive(fd, &req, &reply, json);
	close(fd);

	status = reply_print(&req, &reply, json);
	free(reply.procs);
	free(reply.leases);
	free(reply.bindings);
	free(reply.history);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return status;
}
