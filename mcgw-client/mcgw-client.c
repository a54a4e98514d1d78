/*
 * mcgw-client: the client side of mcgwd's connection-authorisation
 * protocol (mcgwd-auth(7)).  Creates a key pair, or sends one signed
 * request to the gateway and prints its answer; watch authorises, then
 * waits for the gateway's NOTIFY of a new UE IP and acknowledges it.
 *
 * Exit status: 0 success; 1 usage or local error; 2 no answer in time;
 * 3 only answers with a bad signature or not matching the request;
 * 10 + result code when the gateway rejected the request (11 to 19); 20
 * for a result code that this version does not know.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"

#define EXIT_TIMEOUT		2
#define EXIT_UNAUTHENTIC	3
#define EXIT_REJECTED_BASE	10
#define EXIT_REJECTED_UNKNOWN	20
#define DEFAULT_TIMEOUT		2	/* seconds per transmission */
#define RETRANSMISSIONS		3

struct client {
	const char	*gateway;
	const char	*port;
	const char	*bind_addr;
	const char	*local_port;	/* -l */
	int		 watch;
	int		 watch_timeout;	/* -t for watch, 0: the lifetime */
	const char	*keyfile;
	const char	*gateway_key;
	int		 json;
	int		 timeout;	/* seconds per transmission */
	uint8_t		 type;
	const char	*service_id;
	unsigned char	 sk[AUTH_SK_LEN];
	unsigned char	 gw_pk[AUTH_PK_LEN];
	/* The nonce of every transmission: a late answer still counts. */
	uint8_t		 nonces[RETRANSMISSIONS + 1][AUTH_NONCE_LEN];
	int		 sent;
	int		 rejected;	/* answers seen but not accepted */
	const char	*write_file;	/* -w: save the request's bytes */
	uint8_t		 replay[AUTH_MAX_MSG];	/* -r: bytes to send again */
	size_t		 replay_len;
};

static void	 usage(void) __attribute__((noreturn));
static int	 keygen(int, char **);
static uint8_t	 parse_command(const char *);
static int	 open_socket(const struct client *);
static void	 send_request(struct client *, int);
static void	 replay_load(struct client *, const char *);
static void	 request_save(const char *, const uint8_t *, size_t);
static int	 answer_accept(struct client *, const uint8_t *, size_t,
		    struct auth_msg *);
static int	 wait_answer(struct client *, int, struct auth_msg *);
static int	 wait_notify(struct client *, int, uint32_t,
		    struct auth_msg *);
static int	 notify_accept(struct client *, const uint8_t *, size_t,
		    struct auth_msg *);
static void	 send_ack(struct client *, int, const struct auth_msg *);
static int64_t	 monotonic_ms(void);
static void	 print_message(FILE *, const char *, size_t);
static void	 print_text(const struct auth_msg *);
static void	 print_json(const struct auth_msg *);
static void	 print_json_string(const char *, size_t);
static int	 exit_status(const struct auth_msg *);

static void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s keygen keyfile\n"
	    "       %s [-j] [-b address] [-l local-port] [-P gateway-key] "
	    "[-p port]\n"
	    "           [-t seconds] [-r request-file | -w request-file]\n"
	    "           -g gateway -k keyfile "
	    "authorise | refresh | release | status service-id\n"
	    "       %s [-j] [-b address] [-l local-port] [-p port] "
	    "[-t seconds]\n"
	    "           -g gateway -k keyfile -P gateway-key "
	    "watch service-id\n",
	    __progname, __progname, __progname);
	exit(1);
}

static int
keygen(int argc, char **argv)
{
	unsigned char	 pk[AUTH_PK_LEN], sk[AUTH_SK_LEN];
	char		 b64[AUTH_PK_B64_LEN], errbuf[512];

	if (argc != 2)
		usage();
	if (auth_keygen(argv[1], pk, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	/* auth_pubkey_b64 takes a secret key: its second half is pk. */
	memset(sk, 0, AUTH_PK_LEN);
	memcpy(sk + AUTH_PK_LEN, pk, AUTH_PK_LEN);
	if (auth_pubkey_b64(sk, b64, sizeof(b64)) == -1)
		errx(1, "cannot encode the public key");
	printf("%s\n", b64);
	return 0;
}

static uint8_t
parse_command(const char *word)
{
	if (strcmp(word, "authorise") == 0 || strcmp(word, "authorize") == 0)
		return AUTH_AUTHORISE;
	if (strcmp(word, "refresh") == 0)
		return AUTH_REFRESH;
	if (strcmp(word, "release") == 0)
		return AUTH_RELEASE;
	if (strcmp(word, "status") == 0)
		return AUTH_STATUS;
	return 0;
}

/*
 * Opens a UDP socket connected to the gateway, so that the kernel drops
 * datagrams from other sources.
 */
static int
open_socket(const struct client *c)
{
	struct addrinfo	 hints, *res, *bres;
	int		 fd, error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((error = getaddrinfo(c->gateway, c->port, &hints, &res)) != 0)
		errx(1, "gateway %s port %s: %s", c->gateway, c->port,
		    gai_strerror(error));
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		err(1, "socket");
	if (c->bind_addr != NULL || c->local_port != NULL) {
		hints.ai_family = res->ai_family;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
		error = getaddrinfo(c->bind_addr, c->local_port, &hints,
		    &bres);
		if (error != 0)
			errx(1, "bind address %s port %s: %s",
			    c->bind_addr ? c->bind_addr : "*",
			    c->local_port ? c->local_port : "*",
			    gai_strerror(error));
		if (bind(fd, bres->ai_addr, bres->ai_addrlen) == -1)
			err(1, "bind %s port %s",
			    c->bind_addr ? c->bind_addr : "*",
			    c->local_port ? c->local_port : "*");
		freeaddrinfo(bres);
	}
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1)
		err(1, "connect %s", c->gateway);
	freeaddrinfo(res);
	return fd;
}

/*
 * Sends transmission number n.  Each one has its own nonce and
 * timestamp: the gateway rejects a repeated nonce as a replay, so an
 * identical copy would fail whenever the first one did arrive.
 */
static void
send_request(struct client *c, int fd)
{
	struct auth_msg	 m;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 len;

	if (c->replay_len > 0) {
		/* A testing aid: the saved bytes again, nonce and all. */
		if (auth_decode(c->replay, c->replay_len, &m) < 0)
			errx(1, "the saved request is malformed");
		memcpy(c->nonces[c->sent], m.nonce, AUTH_NONCE_LEN);
		c->sent++;
		if (send(fd, c->replay, c->replay_len, 0) == -1 &&
		    errno != ECONNREFUSED)
			warn("send to %s", c->gateway);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = c->type;
	m.present = AUTH_HAS(AE_SERVICE_ID) | AUTH_HAS(AE_NONCE) |
	    AUTH_HAS(AE_TIMESTAMP);
	m.service_id_len = strlen(c->service_id);
	memcpy(m.service_id, c->service_id, m.service_id_len);
	auth_nonce(m.nonce);
	m.timestamp = time(NULL);
	memcpy(c->nonces[c->sent], m.nonce, AUTH_NONCE_LEN);
	c->sent++;

	if ((len = auth_encode(&m, c->sk, buf, sizeof(buf))) == -1)
		errx(1, "cannot encode the request");
	if (c->write_file != NULL && c->sent == 1)
		request_save(c->write_file, buf, (size_t)len);
	/* A lost datagram or an ICMP error is handled by retransmission. */
	if (send(fd, buf, (size_t)len, 0) == -1 && errno != ECONNREFUSED)
		warn("send to %s", c->gateway);
}

/* -w: writes the exact bytes of the first transmission to path. */
static void
request_save(const char *path, const uint8_t *buf, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL)
		err(1, "%s", path);
	if (fwrite(buf, 1, len, f) != len || fclose(f) == EOF)
		err(1, "%s", path);
}

/* -r: reads a request that -w saved. */
static void
replay_load(struct client *c, const char *path)
{
	FILE	*f;

	if ((f = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	c->replay_len = fread(c->replay, 1, sizeof(c->replay), f);
	if (ferror(f) || c->replay_len == 0)
		errx(1, "%s: cannot read a request", path);
	fclose(f);
}

/* Returns 1 if a datagram is the answer to one of our transmissions. */
static int
answer_accept(struct client *c, const uint8_t *buf, size_t len,
    struct auth_msg *m)
{
	int	 rv, i;

	if ((rv = auth_decode(buf, len, m)) != 0) {
		warnx("ignoring a malformed answer: %s",
		    auth_decode_strerror(rv));
		c->rejected = 1;
		return 0;
	}
	if (m->type != (c->type | AUTH_ANSWER)) {
		warnx("ignoring a %s message", auth_type_name(m->type));
		c->rejected = 1;
		return 0;
	}
	if (c->gateway_key != NULL && auth_verify(buf, m, c->gw_pk) != 0) {
		warnx("ignoring an answer with a bad signature");
		c->rejected = 1;
		return 0;
	}
	/* A MALFORMED answer may carry no nonce (see mcgwd-auth(7)). */
	if (!(m->present & AUTH_HAS(AE_NONCE)))
		return 1;
	for (i = 0; i < c->sent; i++)
		if (memcmp(m->nonce, c->nonces[i], AUTH_NONCE_LEN) == 0)
			return 1;
	warnx("ignoring an answer to another request");
	c->rejected = 1;
	return 0;
}

static int64_t
monotonic_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Sends the request and waits for a matching answer, retransmitting
 * with a new nonce after each timeout.  Returns 0 with the answer in m,
 * or the exit status for no usable answer.
 */
static int
wait_answer(struct client *c, int fd, struct auth_msg *m)
{
	struct pollfd	 pfd;
	uint8_t		 buf[AUTH_MAX_MSG + 1];
	int64_t		 deadline, left;
	ssize_t		 n;
	int		 rv;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (c->sent <= RETRANSMISSIONS) {
		send_request(c, fd);
		deadline = monotonic_ms() + (int64_t)c->timeout * 1000;
		while ((left = deadline - monotonic_ms()) > 0) {
			rv = poll(&pfd, 1, (int)left);
			if (rv == -1 && errno != EINTR)
				err(1, "poll");
			if (rv <= 0)
				continue;
			/* One byte more than the maximum shows oversize. */
			n = recv(fd, buf, sizeof(buf), 0);
			if (n == -1) {
				if (errno != ECONNREFUSED && errno != EINTR)
					warn("recv");
				continue;
			}
			if (answer_accept(c, buf, (size_t)n, m))
				return 0;
		}
	}
	if (c->rejected) {
		warnx("no valid answer from %s", c->gateway);
		return EXIT_UNAUTHENTIC;
	}
	warnx("no answer from %s after %d transmissions", c->gateway,
	    c->sent);
	return EXIT_TIMEOUT;
}

/*
 * watch: returns 1 if a datagram is a NOTIFY for our service ID that
 * the gateway signed and that is not stale.  The answers to earlier
 * transmissions of the request may still arrive: they are ignored.
 */
static int
notify_accept(struct client *c, const uint8_t *buf, size_t len,
    struct auth_msg *m)
{
	int64_t	 d;
	int	 rv;

	if ((rv = auth_decode(buf, len, m)) != 0) {
		warnx("ignoring a malformed message: %s",
		    auth_decode_strerror(rv));
		return 0;
	}
	if (m->type == (c->type | AUTH_ANSWER))
		return 0;
	if (m->type != AUTH_NOTIFY) {
		warnx("ignoring a %s message", auth_type_name(m->type));
		return 0;
	}
	if (auth_verify(buf, m, c->gw_pk) != 0) {
		warnx("ignoring a notify with a bad signature");
		return 0;
	}
	if (strcmp(m->service_id, c->service_id) != 0) {
		warnx("ignoring a notify for another service ID");
		return 0;
	}
	/* A NOTIFY recorded earlier and sent again is not news. */
	d = m->timestamp - time(NULL);
	if (d > AUTH_SKEW || d < -AUTH_SKEW) {
		warnx("ignoring a notify with a stale timestamp");
		return 0;
	}
	return 1;
}

/* Acknowledges a NOTIFY: an ACK with its nonce, signed with our key. */
static void
send_ack(struct client *c, int fd, const struct auth_msg *n)
{
	struct auth_msg	 m;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 len;

	memset(&m, 0, sizeof(m));
	m.type = AUTH_ACK;
	m.present = AUTH_HAS(AE_SERVICE_ID) | AUTH_HAS(AE_NONCE) |
	    AUTH_HAS(AE_TIMESTAMP);
	m.service_id_len = strlen(c->service_id);
	memcpy(m.service_id, c->service_id, m.service_id_len);
	memcpy(m.nonce, n->nonce, AUTH_NONCE_LEN);
	m.timestamp = time(NULL);
	if ((len = auth_encode(&m, c->sk, buf, sizeof(buf))) == -1)
		errx(1, "cannot encode the acknowledgement");
	/* A lost ACK only makes the gateway send the NOTIFY again. */
	if (send(fd, buf, (size_t)len, 0) == -1 && errno != ECONNREFUSED)
		warn("send to %s", c->gateway);
}

/*
 * watch: waits up to seconds for a NOTIFY on the socket of the request,
 * whose port the gateway recorded.  Returns 0 with it in m, or
 * EXIT_TIMEOUT.
 */
static int
wait_notify(struct client *c, int fd, uint32_t seconds, struct auth_msg *m)
{
	struct pollfd	 pfd;
	uint8_t		 buf[AUTH_MAX_MSG + 1];
	int64_t		 deadline, left;
	ssize_t		 n;
	int		 rv;

	pfd.fd = fd;
	pfd.events = POLLIN;
	deadline = monotonic_ms() + (int64_t)seconds * 1000;
	while ((left = deadline - monotonic_ms()) > 0) {
		rv = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rv == -1 && errno != EINTR)
			err(1, "poll");
		if (rv <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1) {
			if (errno != ECONNREFUSED && errno != EINTR)
				warn("recv");
			continue;
		}
		if (notify_accept(c, buf, (size_t)n, m)) {
			send_ack(c, fd, m);
			return 0;
		}
	}
	warnx("no notify from %s within %u seconds", c->gateway, seconds);
	return EXIT_TIMEOUT;
}

/*
 * Replaces control characters, so that a message cannot drive the
 * terminal.
 */
static void
print_message(FILE *f, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		putc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
		    '?' : s[i], f);
}

static void
print_text(const struct auth_msg *m)
{
	char	 a[INET6_ADDRSTRLEN];

	if (m->type == AUTH_NOTIFY)
		printf("notify ue-changed\n");
	else
		printf("result %s\n", auth_result_name(m->result));
	if (m->present & AUTH_HAS(AE_UE_IPV4))
		printf("ue-ipv4 %s\n", inet_ntop(AF_INET, &m->ue4, a,
		    sizeof(a)));
	if (m->present & AUTH_HAS(AE_UE_IPV6))
		printf("ue-ipv6 %s\n", inet_ntop(AF_INET6, &m->ue6, a,
		    sizeof(a)));
	if (m->present & AUTH_HAS(AE_LOCAL_IPV4))
		printf("local-ipv4 %s\n", inet_ntop(AF_INET, &m->local4, a,
		    sizeof(a)));
	if (m->present & AUTH_HAS(AE_LOCAL_IPV6))
		printf("local-ipv6 %s\n", inet_ntop(AF_INET6, &m->local6, a,
		    sizeof(a)));
	if (m->present & AUTH_HAS(AE_LIFETIME))
		printf("lifetime %u\n", m->lifetime);
	if (m->present & AUTH_HAS(AE_PORT_RANGE))
		printf("port-range %u-%u\n", m->port_first, m->port_last);
	if (m->present & AUTH_HAS(AE_MESSAGE)) {
		printf("message ");
		print_message(stdout, m->message, m->message_len);
		putchar('\n');
	}
}

/* Writes a JSON string; the decoder already checked the UTF-8. */
static void
print_json_string(const char *s, size_t len)
{
	size_t	 i;

	putchar('"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if ((unsigned char)s[i] < 0x20)
			printf("\\u%04x", (unsigned char)s[i]);
		else
			putchar(s[i]);
	}
	putchar('"');
}

/* Prints one JSON object; absent elements are null. */
static void
print_json(const struct auth_msg *m)
{
	char	 a[INET6_ADDRSTRLEN];

	if (m->type == AUTH_NOTIFY) {
		printf("{\"notify\":\"ue_changed\",\"service_id\":");
		print_json_string(m->service_id, m->service_id_len);
	} else
		printf("{\"result\":\"%s\",\"result_code\":%u",
		    auth_result_name(m->result), m->result);
	printf(",\"ue_ipv4\":");
	if (m->present & AUTH_HAS(AE_UE_IPV4))
		printf("\"%s\"", inet_ntop(AF_INET, &m->ue4, a, sizeof(a)));
	else
		printf("null");
	printf(",\"ue_ipv6\":");
	if (m->present & AUTH_HAS(AE_UE_IPV6))
		printf("\"%s\"", inet_ntop(AF_INET6, &m->ue6, a, sizeof(a)));
	else
		printf("null");
	printf(",\"local_ipv4\":");
	if (m->present & AUTH_HAS(AE_LOCAL_IPV4))
		printf("\"%s\"", inet_ntop(AF_INET, &m->local4, a,
		    sizeof(a)));
	else
		printf("null");
	printf(",\"local_ipv6\":");
	if (m->present & AUTH_HAS(AE_LOCAL_IPV6))
		printf("\"%s\"", inet_ntop(AF_INET6, &m->local6, a,
		    sizeof(a)));
	else
		printf("null");
	if (m->present & AUTH_HAS(AE_LIFETIME))
		printf(",\"lifetime\":%u", m->lifetime);
	else
		printf(",\"lifetime\":null");
	if (m->present & AUTH_HAS(AE_PORT_RANGE))
		printf(",\"port_first\":%u,\"port_last\":%u", m->port_first,
		    m->port_last);
	else
		printf(",\"port_first\":null,\"port_last\":null");
	printf(",\"message\":");
	if (m->present & AUTH_HAS(AE_MESSAGE))
		print_json_string(m->message, m->message_len);
	else
		printf("null");
	printf("}\n");
}

/* Prints the name of a rejection, and its message, on stderr. */
static int
exit_status(const struct auth_msg *m)
{
	if (m->result == AUTH_SUCCESS)
		return 0;
	fprintf(stderr, "%s", auth_result_name(m->result));
	if (m->message_len > 0) {
		fprintf(stderr, ": ");
		print_message(stderr, m->message, m->message_len);
	}
	fprintf(stderr, "\n");
	if (m->result > AUTH_RESULT_MAX)
		return EXIT_REJECTED_UNKNOWN;
	return EXIT_REJECTED_BASE + m->result;
}

int
main(int argc, char *argv[])
{
	struct client	 c;
	struct auth_msg	 answer;
	const char	*errstr;
	char		 errbuf[512];
	int		 ch, fd, status, timeout_set = 0;

	memset(&c, 0, sizeof(c));
	c.port = "4767";
	c.timeout = DEFAULT_TIMEOUT;

	if (auth_init() == -1)
		errx(1, "libsodium failed to initialise");
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return keygen(argc - 1, argv + 1);

	while ((ch = getopt(argc, argv, "b:g:jk:l:P:p:r:t:w:")) != -1) {
		switch (ch) {
		case 'b':
			c.bind_addr = optarg;
			break;
		case 'g':
			c.gateway = optarg;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'k':
			c.keyfile = optarg;
			break;
		case 'l':
			strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL)
				errx(1, "local port %s is %s", optarg, errstr);
			c.local_port = optarg;
			break;
		case 'P':
			c.gateway_key = optarg;
			break;
		case 'p':
			strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL)
				errx(1, "port %s is %s", optarg, errstr);
			c.port = optarg;
			break;
		case 'r':
			replay_load(&c, optarg);
			break;
		case 'w':
			c.write_file = optarg;
			break;
		case 't':
			timeout_set = 1;
			c.timeout = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(1, "timeout %s is %s (1 to 3600 "
				    "seconds)", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || c.gateway == NULL || c.keyfile == NULL)
		usage();
	if (strcmp(argv[0], "watch") == 0) {
		/* -t is the wait for the NOTIFY, not for the answer. */
		c.watch = 1;
		c.watch_timeout = timeout_set ? c.timeout : 0;
		c.timeout = DEFAULT_TIMEOUT;
		c.type = AUTH_AUTHORISE;
		if (c.gateway_key == NULL || c.replay_len > 0 ||
		    c.write_file != NULL)
			usage();
	} else if ((c.type = parse_command(argv[0])) == 0)
		usage();
	c.service_id = argv[1];
	if (strlen(c.service_id) == 0 ||
	    strlen(c.service_id) > AUTH_MAX_SERVICE_ID ||
	    !auth_utf8_valid((const uint8_t *)c.service_id,
	    strlen(c.service_id)))
		errx(1, "service ID must be 1 to 255 bytes of UTF-8");

	if (auth_key_load(c.keyfile, c.sk, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if (c.gateway_key == NULL)
		warnx("warning: no gateway public key (-P): the answer "
		    "will be unauthenticated");
	else if (auth_pubkey_decode(c.gateway_key, c.gw_pk) == -1)
		errx(1, "gateway key %s is not a base64 Ed25519 public key",
		    c.gateway_key);

	fd = open_socket(&c);
	status = wait_answer(&c, fd, &answer);
	if (status == 0 && c.watch && answer.result == AUTH_SUCCESS)
		status = wait_notify(&c, fd, c.watch_timeout != 0 ?
		    (uint32_t)c.watch_timeout : answer.lifetime, &answer);
	close(fd);
	explicit_bzero(c.sk, sizeof(c.sk));
	if (status != 0)
		return status;

	if (c.json)
		print_json(&answer);
	else
		print_text(&answer);
	fflush(stdout);
	return exit_status(&answer);
}
