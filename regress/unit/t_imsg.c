/*
 * Unit tests for common/imsg.c: framing, descriptor passing and the
 * checks that imsg_get() applies to every header.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

struct pair {
	int		 fd[2];
	struct imsgbuf	 tx;
	struct imsgbuf	 rx;
};

struct sample {
	uint32_t	 a;
	char		 name[20];
	uint64_t	 b;
};

static void
pair_open(struct pair *p)
{
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd) == 0);
	imsg_init(&p->tx, p->fd[0]);
	imsg_init(&p->rx, p->fd[1]);
	imsgbuf_allow_fdpass(&p->rx);
}

static void
pair_close(struct pair *p)
{
	imsg_clear(&p->tx);
	imsg_clear(&p->rx);
	close(p->fd[0]);
	close(p->fd[1]);
}

/* Writes a raw header and payload to the sending end. */
static void
write_raw(struct pair *p, uint32_t type, uint16_t len, uint16_t flags,
    const void *data, size_t datalen)
{
	struct imsg_hdr	 hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = len;
	hdr.flags = flags;
	hdr.pid = 1234;
	ATF_REQUIRE(write(p->fd[0], &hdr, sizeof(hdr)) == sizeof(hdr));
	if (datalen > 0)
		ATF_REQUIRE(write(p->fd[0], data, datalen) ==
		    (ssize_t)datalen);
}

/* Sends buf with nfds copies of fd attached, bypassing msgbuf. */
static void
send_with_fds(int sock, const void *buf, size_t len, int fd, int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	int		 i;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	for (i = 0; i < nfds; i++)
		memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd, sizeof(int));
	ATF_REQUIRE(sendmsg(sock, &msg, 0) == (ssize_t)len);
}

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

ATF_TC_WITHOUT_HEAD(roundtrip_types);
ATF_TC_BODY(roundtrip_types, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	struct sample	 s, got;
	int		 v = 42, vgot;

	pair_open(&p);
	memset(&s, 0, sizeof(s));
	s.a = 7;
	strlcpy(s.name, "lan0", sizeof(s.name));
	s.b = UINT64_C(0x1122334455667788);

	ATF_REQUIRE(imsg_compose(&p.tx, 1, 0, 0, -1, NULL, 0) == 1);
	ATF_REQUIRE(imsg_compose(&p.tx, 2, 99, 0, -1, &v, sizeof(v)) == 1);
	ATF_REQUIRE(imsg_compose(&p.tx, 3, 0, 4321, -1, &s, sizeof(s)) == 1);
	ATF_REQUIRE(imsg_flush(&p.tx) == 0);
	ATF_CHECK_EQ(p.tx.w.queued, 0);

	ATF_REQUIRE(imsg_read(&p.rx) == 3 * 16 + sizeof(v) + sizeof(s));

	ATF_REQUIRE(imsg_get(&p.rx, &imsg) == 16);
	ATF_CHECK_EQ(imsg_get_type(&imsg), 1);
	ATF_CHECK_EQ(imsg_get_len(&imsg), 0);
	ATF_CHECK_EQ(imsg.hdr.pid, (uint32_t)getpid());
	ATF_CHECK_EQ(imsg_get_data(&imsg, NULL, 0), 0);
	imsg_free(&imsg);

	ATF_REQUIRE(imsg_get(&p.rx, &imsg) == 16 + sizeof(v));
	ATF_CHECK_EQ(imsg_get_type(&imsg), 2);
	ATF_CHECK_EQ(imsg_get_peerid(&imsg), 99);
	ATF_CHECK_EQ(imsg_get_fd(&imsg), -1);
	ATF_REQUIRE(imsg_get_data(&imsg, &vgot, sizeof(vgot)) == 0);
	ATF_CHECK_EQ(vgot, 42);
	imsg_free(&imsg);

	ATF_REQUIRE(imsg_get(&p.rx, &imsg) == 16 + sizeof(s));
	ATF_CHECK_EQ(imsg_get_type(&imsg), 3);
	ATF_CHECK_EQ(imsg.hdr.pid, 4321);
	ATF_REQUIRE(imsg_get_data(&imsg, &got, sizeof(got)) == 0);
	ATF_CHECK(memcmp(&got, &s, sizeof(s)) == 0);
	imsg_free(&imsg);

	ATF_CHECK_EQ(imsg_get(&p.rx, &imsg), 0);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(split_read_byte_by_byte);
ATF_TC_BODY(split_read_byte_by_byte, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	unsigned char	 raw[16 + 8];
	struct imsg_hdr	 hdr;
	uint64_t	 v = 0xdeadbeef, got;
	size_t		 i;

	pair_open(&p);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 5;
	hdr.len = sizeof(raw);
	memcpy(raw, &hdr, sizeof(hdr));
	memcpy(raw + sizeof(hdr), &v, sizeof(v));

	for (i = 0; i < sizeof(raw); i++) {
		ATF_REQUIRE(write(p.fd[0], raw + i, 1) == 1);
		ATF_REQUIRE(imsg_read(&p.rx) == 1);
		if (i + 1 < sizeof(raw))
			ATF_REQUIRE_EQ_MSG(imsg_get(&p.rx, &imsg), 0,
			    "message complete after %zu bytes", i + 1);
	}
	ATF_REQUIRE(imsg_get(&p.rx, &imsg) == sizeof(raw));
	ATF_CHECK_EQ(imsg_get_type(&imsg), 5);
	ATF_REQUIRE(imsg_get_data(&imsg, &got, sizeof(got)) == 0);
	ATF_CHECK_EQ(got, v);
	imsg_free(&imsg);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(several_in_one_read);
ATF_TC_BODY(several_in_one_read, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	uint32_t	 i, v;
	const uint32_t	 count = 500;

	pair_open(&p);
	for (i = 0; i < count; i++)
		ATF_REQUIRE(imsg_compose(&p.tx, 10, i, 0, -1, &i,
		    sizeof(i)) == 1);
	ATF_REQUIRE(imsg_flush(&p.tx) == 0);

	/* 500 messages of 20 bytes fit one read buffer. */
	ATF_REQUIRE(imsg_read(&p.rx) == count * 20);
	for (i = 0; i < count; i++) {
		ATF_REQUIRE(imsg_get(&p.rx, &imsg) == 20);
		ATF_CHECK_EQ(imsg_get_peerid(&imsg), i);
		ATF_REQUIRE(imsg_get_data(&imsg, &v, sizeof(v)) == 0);
		ATF_CHECK_EQ(v, i);
		imsg_free(&imsg);
	}
	ATF_CHECK_EQ(imsg_get(&p.rx, &imsg), 0);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(read_across_buffer_end);
ATF_TC_BODY(read_across_buffer_end, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	static unsigned char data[MAX_IMSGSIZE - 16];
	unsigned int	 i, got = 0;
	ssize_t		 n;

	/* 20 maximal messages overflow the 64 KiB read buffer. */
	pair_open(&p);
	ATF_REQUIRE(fcntl(p.fd[0], F_SETFL, O_NONBLOCK) == 0);
	memset(data, 0xa5, sizeof(data));
	for (i = 0; i < 20; i++)
		ATF_REQUIRE(imsg_compose(&p.tx, 11, i, 0, -1, data,
		    sizeof(data)) == 1);
	while (got < 20) {
		ATF_REQUIRE(msgbuf_write(&p.tx.w) == 1);
		n = imsg_read(&p.rx);
		ATF_REQUIRE_MSG(n > 0, "imsg_read: %zd", n);
		while ((n = imsg_get(&p.rx, &imsg)) > 0) {
			ATF_CHECK_EQ(imsg_get_peerid(&imsg), got);
			ATF_CHECK_EQ(imsg_get_len(&imsg), sizeof(data));
			ATF_CHECK(memcmp(imsg.data, data, sizeof(data)) == 0);
			imsg_free(&imsg);
			got++;
		}
		ATF_REQUIRE(n == 0);
	}
	ATF_CHECK_EQ(p.tx.w.queued, 0);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(fd_passing_pipe);
ATF_TC_BODY(fd_passing_pipe, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	int		 pfd[2], fd, v = 1;
	char		 buf[8];

	pair_open(&p);
	ATF_REQUIRE(pipe(pfd) == 0);
	ATF_REQUIRE(imsg_compose(&p.tx, 20, 0, 0, -1, &v, sizeof(v)) == 1);
	ATF_REQUIRE(imsg_compose(&p.tx, 21, 0, 0, pfd[0], &v,
	    sizeof(v)) == 1);
	ATF_REQUIRE(imsg_compose(&p.tx, 22, 0, 0, -1, NULL, 0) == 1);
	ATF_REQUIRE(imsg_flush(&p.tx) == 0);
	/* msgbuf closes the sender's copy once it is sent. */
	ATF_CHECK(!fd_is_open(pfd[0]));

	/* The kernel ends a read after the data that carries a descriptor. */
	do {
		ATF_REQUIRE(imsg_read(&p.rx) > 0);
	} while (p.rx.r.wpos < 3 * 16 + 2 * sizeof(v));
	ATF_REQUIRE(imsg_get(&p.rx, &imsg) > 0);
	ATF_CHECK_EQ(imsg_get_type(&imsg), 20);
	ATF_CHECK_EQ(imsg_get_fd(&imsg), -1);
	imsg_free(&imsg);

	ATF_REQUIRE(imsg_get(&p.rx, &imsg) > 0);
	ATF_CHECK_EQ(imsg_get_type(&imsg), 21);
	ATF_CHECK(imsg.hdr.flags & IMSGF_HASFD);
	fd = imsg_get_fd(&imsg);
	ATF_REQUIRE(fd >= 0);
	ATF_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	imsg_free(&imsg);

	ATF_REQUIRE(write(pfd[1], "hello", 5) == 5);
	ATF_REQUIRE(read(fd, buf, sizeof(buf)) == 5);
	ATF_CHECK(memcmp(buf, "hello", 5) == 0);
	close(fd);
	close(pfd[1]);

	ATF_REQUIRE(imsg_get(&p.rx, &imsg) > 0);
	ATF_CHECK_EQ(imsg_get_type(&imsg), 22);
	ATF_CHECK_EQ(imsg_get_fd(&imsg), -1);
	imsg_free(&imsg);
	pair_close(&p);
}

/* A buffer that does not allow descriptors neither keeps nor leaks one. */
ATF_TC_WITHOUT_HEAD(fd_not_allowed);
ATF_TC_BODY(fd_not_allowed, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	int		 pfd[2], v = 7;

	pair_open(&p);
	p.rx.flags &= ~IMSGBUF_FDPASS;
	signal(SIGPIPE, SIG_IGN);
	ATF_REQUIRE(pipe(pfd) == 0);
	ATF_REQUIRE(imsg_compose(&p.tx, 21, 0, 0, pfd[0], &v,
	    sizeof(v)) == 1);
	ATF_REQUIRE(imsg_flush(&p.tx) == 0);
	ATF_REQUIRE(imsg_read(&p.rx) == 16 + sizeof(v));
	ATF_CHECK_EQ(imsg_get(&p.rx, &imsg), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	/* No read end is left anywhere: the kernel closed the copy. */
	ATF_CHECK_EQ(write(pfd[1], "x", 1), -1);
	ATF_CHECK_EQ(errno, EPIPE);
	close(pfd[1]);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(fd_extra_closed);
ATF_TC_BODY(fd_extra_closed, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	int		 pfd[2], fd;

	pair_open(&p);
	ATF_REQUIRE(pipe(pfd) == 0);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 30;
	hdr.len = sizeof(hdr);
	hdr.flags = IMSGF_HASFD;
	send_with_fds(p.fd[0], &hdr, sizeof(hdr), pfd[0], 2);
	close(pfd[0]);

	ATF_REQUIRE(imsg_read(&p.rx) == sizeof(hdr));
	ATF_REQUIRE(imsg_get(&p.rx, &imsg) == sizeof(hdr));
	fd = imsg_get_fd(&imsg);
	ATF_CHECK(fd >= 0);
	ATF_CHECK(TAILQ_EMPTY(&p.rx.fds));
	imsg_free(&imsg);
	close(fd);

	/* With every read end closed, the pipe reports EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ATF_CHECK(write(pfd[1], "x", 1) == -1);
	ATF_CHECK_EQ(errno, EPIPE);
	close(pfd[1]);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(read_no_fd_slot);
ATF_TC_BODY(read_no_fd_slot, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	struct rlimit	 rl;
	int		 pfd[2], last = -1, fd;

	pair_open(&p);
	ATF_REQUIRE(pipe(pfd) == 0);
	ATF_REQUIRE(imsg_compose(&p.tx, 32, 0, 0, pfd[0], NULL, 0) == 1);
	ATF_REQUIRE(imsg_flush(&p.tx) == 0);

	/* Fill the descriptor table up to a lowered limit. */
	rl.rlim_cur = rl.rlim_max = 256;
	ATF_REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while ((fd = dup(pfd[1])) != -1)
		last = fd;
	ATF_REQUIRE_EQ(errno, EMFILE);

	errno = 0;
	ATF_CHECK_EQ(imsg_read(&p.rx), -1);
	ATF_CHECK_EQ(errno, EAGAIN);
	ATF_CHECK_EQ(imsg_get(&p.rx, &imsg), 0);

	ATF_REQUIRE(last != -1);
	close(last);
	ATF_REQUIRE(imsg_read(&p.rx) == 16);
	ATF_REQUIRE(imsg_get(&p.rx, &imsg) == 16);
	ATF_CHECK(imsg_get_fd(&imsg) == last);
	imsg_free(&imsg);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(free_closes_unclaimed_fd);
ATF_TC_BODY(free_closes_unclaimed_fd, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	int		 pfd[2], fd;

	pair_open(&p);
	ATF_REQUIRE(pipe(pfd) == 0);
	ATF_REQUIRE(imsg_compose(&p.tx, 31, 0, 0, pfd[0], NULL, 0) == 1);
	ATF_REQUIRE(imsg_flush(&p.tx) == 0);
	ATF_REQUIRE(imsg_read(&p.rx) == 16);
	ATF_REQUIRE(imsg_get(&p.rx, &imsg) == 16);
	fd = imsg.fd;
	ATF_REQUIRE(fd_is_open(fd));
	imsg_free(&imsg);
	ATF_CHECK(!fd_is_open(fd));
	close(pfd[1]);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(compose_oversized);
ATF_TC_BODY(compose_oversized, tc)
{
	struct pair	 p;
	static unsigned char data[MAX_IMSGSIZE];
	struct iovec	 iov[2];

	pair_open(&p);
	errno = 0;
	ATF_CHECK_EQ(imsg_compose(&p.tx, 40, 0, 0, -1, data,
	    MAX_IMSGSIZE - IMSG_HEADER_SIZE + 1), -1);
	ATF_CHECK_EQ(errno, ERANGE);
	ATF_CHECK_EQ(p.tx.w.queued, 0);

	iov[0].iov_base = data;
	iov[0].iov_len = MAX_IMSGSIZE / 2;
	iov[1].iov_base = data;
	iov[1].iov_len = MAX_IMSGSIZE / 2;
	errno = 0;
	ATF_CHECK_EQ(imsg_composev(&p.tx, 40, 0, 0, -1, iov, 2), -1);
	ATF_CHECK_EQ(errno, ERANGE);

	ATF_CHECK_EQ(imsg_compose(&p.tx, 40, 0, 0, -1, data,
	    MAX_IMSGSIZE - IMSG_HEADER_SIZE), 1);
	ATF_CHECK_EQ(p.tx.w.queued, 1);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(get_rejects_short_len);
ATF_TC_BODY(get_rejects_short_len, tc)
{
	struct pair	 p;
	struct imsg	 imsg;

	pair_open(&p);
	write_raw(&p, 50, IMSG_HEADER_SIZE - 1, 0, NULL, 0);
	ATF_REQUIRE(imsg_read(&p.rx) == IMSG_HEADER_SIZE);
	errno = 0;
	ATF_CHECK_EQ(imsg_get(&p.rx, &imsg), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(get_rejects_long_len);
ATF_TC_BODY(get_rejects_long_len, tc)
{
	struct pair	 p;
	struct imsg	 imsg;

	/* Rejected from the header alone, before the payload arrives. */
	pair_open(&p);
	write_raw(&p, 51, MAX_IMSGSIZE + 1, 0, NULL, 0);
	ATF_REQUIRE(imsg_read(&p.rx) == IMSG_HEADER_SIZE);
	errno = 0;
	ATF_CHECK_EQ(imsg_get(&p.rx, &imsg), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(get_rejects_unknown_flags);
ATF_TC_BODY(get_rejects_unknown_flags, tc)
{
	struct pair	 p;
	struct imsg	 imsg;

	pair_open(&p);
	write_raw(&p, 52, IMSG_HEADER_SIZE, 2, NULL, 0);
	ATF_REQUIRE(imsg_read(&p.rx) == IMSG_HEADER_SIZE);
	errno = 0;
	ATF_CHECK_EQ(imsg_get(&p.rx, &imsg), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(get_rejects_hasfd_without_fd);
ATF_TC_BODY(get_rejects_hasfd_without_fd, tc)
{
	struct pair	 p;
	struct imsg	 imsg;

	pair_open(&p);
	write_raw(&p, 53, IMSG_HEADER_SIZE, IMSGF_HASFD, NULL, 0);
	ATF_REQUIRE(imsg_read(&p.rx) == IMSG_HEADER_SIZE);
	errno = 0;
	ATF_CHECK_EQ(imsg_get(&p.rx, &imsg), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(get_data_exact_size);
ATF_TC_BODY(get_data_exact_size, tc)
{
	struct pair	 p;
	struct imsg	 imsg;
	uint64_t	 v = 77, v8;
	uint32_t	 v4;
	unsigned char	 v16[16];

	pair_open(&p);
	ATF_REQUIRE(imsg_compose(&p.tx, 60, 0, 0, -1, &v, sizeof(v)) == 1);
	ATF_REQUIRE(imsg_flush(&p.tx) == 0);
	ATF_REQUIRE(imsg_read(&p.rx) > 0);
	ATF_REQUIRE(imsg_get(&p.rx, &imsg) > 0);

	errno = 0;
	ATF_CHECK_EQ(imsg_get_data(&imsg, &v4, sizeof(v4)), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	errno = 0;
	ATF_CHECK_EQ(imsg_get_data(&imsg, v16, sizeof(v16)), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	errno = 0;
	ATF_CHECK_EQ(imsg_get_data(&imsg, NULL, 0), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	ATF_CHECK_EQ(imsg_get_data(&imsg, &v8, sizeof(v8)), 0);
	ATF_CHECK_EQ(v8, 77);
	imsg_free(&imsg);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(read_eof);
ATF_TC_BODY(read_eof, tc)
{
	struct pair	 p;

	pair_open(&p);
	close(p.fd[0]);
	p.fd[0] = -1;
	ATF_CHECK_EQ(imsg_read(&p.rx), 0);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(write_to_closed_peer);
ATF_TC_BODY(write_to_closed_peer, tc)
{
	struct pair	 p;

	pair_open(&p);
	ATF_CHECK_EQ(msgbuf_write(&p.tx.w), 1);
	close(p.fd[1]);
	p.fd[1] = -1;
	ATF_REQUIRE(imsg_compose(&p.tx, 70, 0, 0, -1, NULL, 0) == 1);
	/* No SIGPIPE: the test would die of it. */
	ATF_CHECK_EQ(msgbuf_write(&p.tx.w), 0);
	errno = 0;
	ATF_CHECK_EQ(imsg_flush(&p.tx), -1);
	ATF_CHECK_EQ(errno, EPIPE);
	pair_close(&p);
}

ATF_TC_WITHOUT_HEAD(write_would_block);
ATF_TC_BODY(write_would_block, tc)
{
	struct pair	 p;
	static unsigned char data[MAX_IMSGSIZE - 16];
	int		 i;

	pair_open(&p);
	ATF_REQUIRE(fcntl(p.fd[0], F_SETFL, O_NONBLOCK) == 0);
	/* 3.2 MB queued: more than a unix socket buffer takes. */
	for (i = 0; i < 200; i++)
		ATF_REQUIRE(imsg_compose(&p.tx, 71, 0, 0, -1, data,
		    sizeof(data)) == 1);
	for (i = 0; i < 1000 && p.tx.w.queued > 0; i++)
		ATF_REQUIRE(msgbuf_write(&p.tx.w) == 1);
	ATF_CHECK(p.tx.w.queued > 0);
	pair_close(&p);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, roundtrip_types);
	ATF_TP_ADD_TC(tp, split_read_byte_by_byte);
	ATF_TP_ADD_TC(tp, several_in_one_read);
	ATF_TP_ADD_TC(tp, read_across_buffer_end);
	ATF_TP_ADD_TC(tp, fd_passing_pipe);
	ATF_TP_ADD_TC(tp, fd_extra_closed);
	ATF_TP_ADD_TC(tp, read_no_fd_slot);
	ATF_TP_ADD_TC(tp, free_closes_unclaimed_fd);
	ATF_TP_ADD_TC(tp, compose_oversized);
	ATF_TP_ADD_TC(tp, get_rejects_short_len);
	ATF_TP_ADD_TC(tp, get_rejects_long_len);
	ATF_TP_ADD_TC(tp, get_rejects_unknown_flags);
	ATF_TP_ADD_TC(tp, get_rejects_hasfd_without_fd);
	ATF_TP_ADD_TC(tp, get_data_exact_size);
	ATF_TP_ADD_TC(tp, read_eof);
	ATF_TP_ADD_TC(tp, fd_not_allowed);
	ATF_TP_ADD_TC(tp, write_to_closed_peer);
	ATF_TP_ADD_TC(tp, write_would_block);
	return atf_no_error();
}
