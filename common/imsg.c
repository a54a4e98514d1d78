/*
 * imsg: framed messages with descriptor passing over a unix stream
 * socket, with the OpenBSD names and wire format (see imsg.h).
 *
 * Return conventions that differ from, or sharpen, OpenBSD's:
 *
 * - msgbuf_write() returns 1 when it wrote something, when nothing was
 *   queued and when the socket would block.  A socket that would block
 *   (EAGAIN, ENOBUFS) took nothing, so the caller retries when it is
 *   writable.  It returns 0 when the peer has gone (EPIPE, ECONNRESET)
 *   and -1 with errno set on any other error.  It sends with
 *   MSG_NOSIGNAL, so it never raises SIGPIPE.
 * - imsg_read() returns -1 with errno EAGAIN, as OpenBSD does, when the
 *   process has no descriptor slot left for one that might arrive, so
 *   that no passed descriptor is lost to EMFILE.
 * - imsg_free() closes a descriptor that imsg_get_fd() did not take.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

/*
 * Maximum number of received descriptors not yet claimed by a message.
 * A well-behaved peer leaves at most two between imsg_get() loops: one
 * for a message still incomplete and one for the next.  The cap stops
 * a peer that sends descriptors with messages that never claim them
 * from filling the descriptor table.
 */
#define IMSG_FDS_QUEUED_MAX	4

static int	 imsg_fd_slot_free(int);
static void	 imsg_enqueue_fd(struct imsgbuf *, struct imsg_fd *, int);
static int	 imsg_dequeue_fd(struct imsgbuf *);
static int	 msgbuf_write_once(struct msgbuf *, int *);
static void	 msgbuf_drain(struct msgbuf *, size_t);
static void	 msgbuf_dequeue(struct msgbuf *, struct ibuf *);

struct ibuf *
ibuf_open(size_t len)
{
	struct ibuf	*buf;

	if (len == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return NULL;
	if ((buf->buf = malloc(len)) == NULL) {
		free(buf);
		return NULL;
	}
	buf->size = buf->max = len;
	buf->fd = -1;
	return buf;
}

struct ibuf *
ibuf_dynamic(size_t len, size_t max)
{
	struct ibuf	*buf;

	if (max == 0 || max < len) {
		errno = EINVAL;
		return NULL;
	}
	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return NULL;
	if (len > 0 && (buf->buf = malloc(len)) == NULL) {
		free(buf);
		return NULL;
	}
	buf->size = len;
	buf->max = max;
	buf->fd = -1;
	return buf;
}

/* Grows a dynamic buffer to len bytes, up to its maximum. */
static int
ibuf_realloc(struct ibuf *buf, size_t len)
{
	unsigned char	*b;

	if (len > buf->max) {
		errno = ERANGE;
		return -1;
	}
	if ((b = realloc(buf->buf, len)) == NULL)
		return -1;
	buf->buf = b;
	buf->size = len;
	return 0;
}

void *
ibuf_reserve(struct ibuf *buf, size_t len)
{
	void	*p;

	if (len > SIZE_MAX - buf->wpos) {
		errno = ERANGE;
		return NULL;
	}
	if (buf->wpos + len > buf->size &&
	    ibuf_realloc(buf, buf->wpos + len) == -1)
		return NULL;
	p = buf->buf + buf->wpos;
	buf->wpos += len;
	return p;
}

int
ibuf_add(struct ibuf *buf, const void *data, size_t len)
{
	void	*p;

	if (len == 0)
		return 0;
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return -1;
	memcpy(p, data, len);
	return 0;
}

size_t
ibuf_size(const struct ibuf *buf)
{
	return buf->wpos;
}

void
ibuf_close(struct msgbuf *msgbuf, struct ibuf *buf)
{
	TAILQ_INSERT_TAIL(&msgbuf->bufs, buf, entry);
	msgbuf->queued++;
}

void
ibuf_free(struct ibuf *buf)
{
	int	 saved_errno = errno;

	if (buf == NULL)
		return;
	if (buf->fd != -1)
		close(buf->fd);
	free(buf->buf);
	free(buf);
	errno = saved_errno;
}

void
msgbuf_init(struct msgbuf *msgbuf)
{
	TAILQ_INIT(&msgbuf->bufs);
	msgbuf->queued = 0;
	msgbuf->fd = -1;
}

static void
msgbuf_dequeue(struct msgbuf *msgbuf, struct ibuf *buf)
{
	TAILQ_REMOVE(&msgbuf->bufs, buf, entry);
	msgbuf->queued--;
	ibuf_free(buf);
}

void
msgbuf_clear(struct msgbuf *msgbuf)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL)
		msgbuf_dequeue(msgbuf, buf);
}

/* Drops n written bytes from the head of the queue. */
static void
msgbuf_drain(struct msgbuf *msgbuf, size_t n)
{
	struct ibuf	*buf, *next;
	size_t		 left;

	for (buf = TAILQ_FIRST(&msgbuf->bufs); buf != NULL; buf = next) {
		next = TAILQ_NEXT(buf, entry);
		left = buf->wpos - buf->rpos;
		if (n >= left) {
			n -= left;
			msgbuf_dequeue(msgbuf, buf);
		} else {
			buf->rpos += n;
			break;
		}
	}
}

/*
 * Sends what is queued with one sendmsg(2).  A buffer that carries a
 * descriptor always goes first in its call, so the descriptor travels
 * with its message's first bytes.  Sets *blocked when the socket would
 * block.  Return values as for msgbuf_write().
 */
static int
msgbuf_write_once(struct msgbuf *msgbuf, int *blocked)
{
	struct iovec	 iov[IOV_MAX];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct ibuf	*buf, *fdbuf = NULL;
	ssize_t		 n;
	int		 i = 0;

	*blocked = 0;
	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	TAILQ_FOREACH(buf, &msgbuf->bufs, entry) {
		if (i >= IOV_MAX || (i > 0 && buf->fd != -1))
			break;
		iov[i].iov_base = buf->buf + buf->rpos;
		iov[i].iov_len = buf->wpos - buf->rpos;
		if (buf->fd != -1)
			fdbuf = buf;
		i++;
	}
	if (i == 0)
		return 1;
	msg.msg_iov = iov;
	msg.msg_iovlen = i;
	if (fdbuf != NULL) {
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fdbuf->fd, sizeof(int));
	}

	while ((n = sendmsg(msgbuf->fd, &msg, MSG_NOSIGNAL)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			*blocked = 1;
			return 1;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		return -1;
	}

	/* The kernel keeps its own reference to a descriptor it has sent. */
	if (fdbuf != NULL) {
		close(fdbuf->fd);
		fdbuf->fd = -1;
	}
	msgbuf_drain(msgbuf, n);
	return 1;
}

int
msgbuf_write(struct msgbuf *msgbuf)
{
	int	 blocked;

	return msgbuf_write_once(msgbuf, &blocked);
}

void
imsg_init(struct imsgbuf *imsgbuf, int fd)
{
	memset(imsgbuf, 0, sizeof(*imsgbuf));
	imsgbuf->r.rptr = imsgbuf->r.buf;
	imsgbuf->r.wpos = 0;
	msgbuf_init(&imsgbuf->w);
	imsgbuf->w.fd = fd;
	imsgbuf->fd = fd;
	imsgbuf->pid = getpid();
	TAILQ_INIT(&imsgbuf->fds);
}

void
imsgbuf_allow_fdpass(struct imsgbuf *imsgbuf)
{
	imsgbuf->flags |= IMSGBUF_FDPASS;
}

/*
 * Returns 0 when the process cannot open one more descriptor, else 1.
 * Linux has no getdtablecount(), so duplicate sock and close the copy
 * at once.  Other failures are left for recvmsg(2) to report.
 */
static int
imsg_fd_slot_free(int sock)
{
	int	 fd;

	if ((fd = fcntl(sock, F_DUPFD_CLOEXEC, 0)) == -1)
		return errno != EMFILE && errno != ENFILE;
	close(fd);
	return 1;
}

/* Queues fd, or closes it when the peer has left too many unclaimed. */
static void
imsg_enqueue_fd(struct imsgbuf *imsgbuf, struct imsg_fd *ifd, int fd)
{
	struct imsg_fd	*q;
	int		 n = 0;

	TAILQ_FOREACH(q, &imsgbuf->fds, entry)
		n++;
	if (n >= IMSG_FDS_QUEUED_MAX) {
		close(fd);
		free(ifd);
		return;
	}
	ifd->fd = fd;
	TAILQ_INSERT_TAIL(&imsgbuf->fds, ifd, entry);
}

ssize_t
imsg_read(struct imsgbuf *imsgbuf)
{
	struct ibuf_read *r = &imsgbuf->r;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	struct imsg_fd	*ifd;
	size_t		 avail, i, nfds;
	ssize_t		 n;
	int		 fd;

	/* Move the unread bytes to the front to make room. */
	avail = r->wpos - (size_t)(r->rptr - r->buf);
	if (r->rptr != r->buf) {
		memmove(r->buf, r->rptr, avail);
		r->rptr = r->buf;
		r->wpos = avail;
	}
	if (r->wpos >= sizeof(r->buf)) {
		/* Only a caller that skips imsg_get() gets here. */
		errno = ENOBUFS;
		return -1;
	}

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = r->buf + r->wpos;
	iov.iov_len = sizeof(r->buf) - r->wpos;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	ifd = NULL;
	if (imsgbuf->flags & IMSGBUF_FDPASS) {
		if (!imsg_fd_slot_free(imsgbuf->fd)) {
			errno = EAGAIN;
			return -1;
		}
		/* Allocate first: a descriptor once received stays. */
		if ((ifd = calloc(1, sizeof(*ifd))) == NULL)
			return -1;
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
	}

	while ((n = recvmsg(imsgbuf->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno != EINTR) {
			free(ifd);
			return -1;
		}
	}
	r->wpos += n;

	/*
	 * One descriptor per message: the control buffer's padding can
	 * still admit a second one, which is closed here.
	 */
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (ifd != NULL) {
				imsg_enqueue_fd(imsgbuf, ifd, fd);
				ifd = NULL;
			} else
				close(fd);
		}
	}
	free(ifd);
	return n;
}

static int
imsg_dequeue_fd(struct imsgbuf *imsgbuf)
{
	struct imsg_fd	*ifd;
	int		 fd;

	if ((ifd = TAILQ_FIRST(&imsgbuf->fds)) == NULL)
		return -1;
	fd = ifd->fd;
	TAILQ_REMOVE(&imsgbuf->fds, ifd, entry);
	free(ifd);
	return fd;
}

ssize_t
imsg_get(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	struct ibuf_read *r = &imsgbuf->r;
	struct imsg_hdr	 hdr;
	size_t		 avail, datalen;
	void		*data = NULL;

	avail = r->wpos - (size_t)(r->rptr - r->buf);
	if (avail < IMSG_HEADER_SIZE)
		return 0;
	memcpy(&hdr, r->rptr, sizeof(hdr));
	if (hdr.len < IMSG_HEADER_SIZE || hdr.len > MAX_IMSGSIZE ||
	    (hdr.flags & ~IMSGF_HASFD) != 0) {
		errno = EBADMSG;
		return -1;
	}
	if (hdr.len > avail)
		return 0;
	/* The descriptor came with the message's first bytes. */
	if ((hdr.flags & IMSGF_HASFD) && TAILQ_EMPTY(&imsgbuf->fds)) {
		errno = EBADMSG;
		return -1;
	}

	datalen = hdr.len - IMSG_HEADER_SIZE;
	if (datalen > 0) {
		if ((data = malloc(datalen)) == NULL)
			return -1;
		memcpy(data, r->rptr + IMSG_HEADER_SIZE, datalen);
	}
	imsg->hdr = hdr;
	imsg->data = data;
	imsg->buf = NULL;
	imsg->fd = (hdr.flags & IMSGF_HASFD) ? imsg_dequeue_fd(imsgbuf) : -1;

	r->rptr += hdr.len;
	if (r->rptr == r->buf + r->wpos) {
		r->rptr = r->buf;
		r->wpos = 0;
	}
	return hdr.len;
}

struct ibuf *
imsg_create(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    pid_t pid, size_t datalen)
{
	struct ibuf	*wbuf;
	struct imsg_hdr	 hdr;

	if (datalen > MAX_IMSGSIZE - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return NULL;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = peerid;
	hdr.pid = pid != 0 ? (uint32_t)pid : (uint32_t)imsgbuf->pid;
	if ((wbuf = ibuf_dynamic(datalen + IMSG_HEADER_SIZE,
	    MAX_IMSGSIZE)) == NULL)
		return NULL;
	if (ibuf_add(wbuf, &hdr, sizeof(hdr)) == -1) {
		ibuf_free(wbuf);
		return NULL;
	}
	return wbuf;
}

/* Appends data to msg; on failure frees msg, as OpenBSD does. */
int
imsg_add(struct ibuf *msg, const void *data, size_t datalen)
{
	if (datalen > 0 && ibuf_add(msg, data, datalen) == -1) {
		ibuf_free(msg);
		return -1;
	}
	return (int)datalen;
}

/* Fills in the length and flags, then queues msg for writing. */
void
imsg_close(struct imsgbuf *imsgbuf, struct ibuf *msg)
{
	struct imsg_hdr	 hdr;

	memcpy(&hdr, msg->buf, sizeof(hdr));
	hdr.flags &= ~IMSGF_HASFD;
	if (msg->fd != -1)
		hdr.flags |= IMSGF_HASFD;
	hdr.len = (uint16_t)ibuf_size(msg);
	memcpy(msg->buf, &hdr, sizeof(hdr));
	ibuf_close(&imsgbuf->w, msg);
}

int
imsg_compose(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	struct ibuf	*wbuf;

	if ((wbuf = imsg_create(imsgbuf, type, peerid, pid, datalen)) == NULL)
		return -1;
	if (imsg_add(wbuf, data, datalen) == -1)
		return -1;
	wbuf->fd = fd;
	imsg_close(imsgbuf, wbuf);
	return 1;
}

int
imsg_composev(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*wbuf;
	size_t		 datalen = 0;
	int		 i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > MAX_IMSGSIZE - datalen) {
			errno = ERANGE;
			return -1;
		}
		datalen += iov[i].iov_len;
	}
	if ((wbuf = imsg_create(imsgbuf, type, peerid, pid, datalen)) == NULL)
		return -1;
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(wbuf, iov[i].iov_base, iov[i].iov_len) == -1)
			return -1;
	wbuf->fd = fd;
	imsg_close(imsgbuf, wbuf);
	return 1;
}

void
imsg_free(struct imsg *imsg)
{
	int	 saved_errno = errno;

	free(imsg->data);
	imsg->data = NULL;
	if (imsg->fd != -1) {
		close(imsg->fd);
		imsg->fd = -1;
	}
	ibuf_free(imsg->buf);
	imsg->buf = NULL;
	errno = saved_errno;
}

/*
 * Writes until the queue is empty, waiting in poll(2) when the socket
 * is non-blocking and full.  A peer that has gone gives -1 with errno
 * EPIPE.
 */
int
imsg_flush(struct imsgbuf *imsgbuf)
{
	struct pollfd	 pfd;
	int		 blocked, rv;

	while (imsgbuf->w.queued > 0) {
		rv = msgbuf_write_once(&imsgbuf->w, &blocked);
		if (rv == -1)
			return -1;
		if (rv == 0) {
			errno = EPIPE;
			return -1;
		}
		if (!blocked)
			continue;
		pfd.fd = imsgbuf->w.fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

void
imsg_clear(struct imsgbuf *imsgbuf)
{
	int	 fd;

	msgbuf_clear(&imsgbuf->w);
	while ((fd = imsg_dequeue_fd(imsgbuf)) != -1)
		close(fd);
}

uint32_t
imsg_get_type(const struct imsg *imsg)
{
	return imsg->hdr.type;
}

uint32_t
imsg_get_peerid(const struct imsg *imsg)
{
	return imsg->hdr.peerid;
}

size_t
imsg_get_len(const struct imsg *imsg)
{
	return imsg->hdr.len - IMSG_HEADER_SIZE;
}

int
imsg_get_fd(struct imsg *imsg)
{
	int	 fd = imsg->fd;

	imsg->fd = -1;
	return fd;
}

int
imsg_get_data(const struct imsg *imsg, void *data, size_t len)
{
	if (imsg_get_len(imsg) != len) {
		errno = EBADMSG;
		return -1;
	}
	if (len > 0)
		memcpy(data, imsg->data, len);
	return 0;
}
