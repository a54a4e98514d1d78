/*
 * libFuzzer target: the imsg reader (imsg_read, imsg_get,
 * imsg_get_data), fed through a socketpair as a sibling process would.
 *
 * The first input byte picks the mode:
 *   bit 0  pass a descriptor with the first chunk
 *   bit 1  compose mode: the rest is a list of messages, each sent with
 *          imsg_compose and read back, which must match
 *   bit 2  pass a descriptor with every chunk
 *   bit 3  raw mode: the reader does not allow descriptors to arrive
 * In raw mode the second byte sets the chunk size (0: all at once) and
 * the rest is written to the socket as it is, so that truncated,
 * oversized and malformed headers reach imsg_get.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "mcgw.h"

#define FZ_FD_FIRST	0x01
#define FZ_COMPOSE	0x02
#define FZ_FD_EVERY	0x04
#define FZ_NO_FDPASS	0x08	/* the reader does not allow descriptors */
#define FZ_MAX_INPUT	65536

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	 devnull = -1;

/* Writes len bytes, with a descriptor as SCM_RIGHTS when withfd. */
static int
send_chunk(int s, const uint8_t *p, size_t len, int withfd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (withfd) {
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &devnull, sizeof(int));
	}
	return sendmsg(s, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Reads the payload as the engines do: an exact-size copy. */
static void
take_payload(struct imsg *imsg)
{
	struct imsg_lease4	 lease;
	struct imsg_result	 result;
	uint8_t			 any[MAX_IMSGSIZE];
	size_t			 len;
	int			 fd;

	len = imsg_get_len(imsg);
	if (len > sizeof(any))
		abort();
	if (imsg_get_data(imsg, any, len) == -1)
		abort();
	(void)imsg_get_data(imsg, &lease, sizeof(lease));
	(void)imsg_get_data(imsg, &result, sizeof(result));
	(void)imsg_get_type(imsg);
	(void)imsg_get_peerid(imsg);
	if ((fd = imsg_get_fd(imsg)) != -1)
		close(fd);
}

/* Takes every complete message.  Returns -1 once the stream is malformed. */
static int
drain(struct imsgbuf *ibuf)
{
	struct imsg	 imsg;
	ssize_t		 n;

	for (;;) {
		if ((n = imsg_get(ibuf, &imsg)) == -1)
			return -1;
		if (n == 0)
			return 0;
		if ((size_t)n != imsg.hdr.len || n < (ssize_t)IMSG_HEADER_SIZE)
			abort();
		take_payload(&imsg);
		imsg_free(&imsg);
	}
}

/* Reads until the socket is empty; -1 once the stream is bad. */
static int
read_all(struct imsgbuf *ibuf)
{
	ssize_t	 n;

	for (;;) {
		if ((n = imsg_read(ibuf)) == -1)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1;
		if (drain(ibuf) == -1)
			return -1;
	}
}

static void
raw_mode(int sv[2], uint8_t mode, const uint8_t *p, size_t len)
{
	struct imsgbuf	 ibuf;
	size_t		 chunk, n;
	int		 first = 1;

	if (len == 0)
		return;
	chunk = p[0] == 0 ? len : (size_t)p[0] * 8;
	p++;
	len--;
	imsg_init(&ibuf, sv[1]);
	if (!(mode & FZ_NO_FDPASS))
		imsgbuf_allow_fdpass(&ibuf);
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
	while (len > 0) {
		n = len < chunk ? len : chunk;
		if (send_chunk(sv[0], p, n, (first && (mode & FZ_FD_FIRST)) ||
		    (mode & FZ_FD_EVERY)) == -1)
			break;
		first = 0;
		p += n;
		len -= n;
		if (read_all(&ibuf) == -1)
			break;
	}
	imsg_clear(&ibuf);
}

/*
 * Each message: type (1 byte), flags (1 byte: bit 0 passes a
 * descriptor), length (2 bytes, big-endian), then up to that many bytes.
 */
static void
compose_mode(int sv[2], const uint8_t *p, size_t len)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	size_t		 dlen;
	ssize_t		 n;
	uint32_t	 type;
	int		 fd, rv;

	imsg_init(&w, sv[0]);
	imsg_init(&r, sv[1]);
	imsgbuf_allow_fdpass(&r);
	while (len >= 4) {
		type = p[0];
		fd = (p[1] & 1) ? dup(devnull) : -1;
		dlen = (size_t)p[2] << 8 | p[3];
		p += 4;
		len -= 4;
		if (dlen > len)
			dlen = len;
		rv = imsg_compose(&w, type, dlen, 0, fd, p, dlen);
		if (rv == -1) {
			/* Only an oversized message may be refused. */
			if (dlen + IMSG_HEADER_SIZE <= MAX_IMSGSIZE)
				abort();
			if (fd != -1)
				close(fd);
			break;
		}
		if (imsg_flush(&w) == -1)
			abort();
		if (imsg_read(&r) <= 0)
			abort();
		if ((n = imsg_get(&r, &imsg)) <= 0)
			abort();
		if (imsg_get_type(&imsg) != type ||
		    imsg_get_peerid(&imsg) != dlen ||
		    imsg_get_len(&imsg) != dlen ||
		    (dlen > 0 && memcmp(imsg.data, p, dlen) != 0) ||
		    ((fd != -1) != (imsg.fd != -1)))
			abort();
		imsg_free(&imsg);
		p += dlen;
		len -= dlen;
	}
	imsg_clear(&w);
	imsg_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int	 sv[2];

	if (size < 1 || size > FZ_MAX_INPUT)
		return 0;
	if (devnull == -1 &&
	    (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		abort();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	if (data[0] & FZ_COMPOSE)
		compose_mode(sv, data + 1, size - 1);
	else
		raw_mode(sv, data[0], data + 1, size - 1);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
