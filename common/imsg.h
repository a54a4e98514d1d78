/*
 * imsg: framed messages with file descriptor passing between the mcgwd
 * processes, with the OpenBSD function names and wire format.  libbsd
 * has no imsg, so mcgwd carries this one.
 *
 * Wire format: a 16-byte header (type, length, flags, peer id, pid, all
 * in host byte order because both ends run on the same machine) followed
 * by len - 16 bytes of payload.  A descriptor travels with the first
 * byte of its message as SCM_RIGHTS ancillary data, and the header sets
 * IMSGF_HASFD.
 */

#ifndef MCGW_IMSG_H
#define MCGW_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#define IBUF_READ_SIZE		65535
#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define MAX_IMSGSIZE		16384	/* header included */

#define IMSGF_HASFD		1	/* the only flag defined on the wire */

struct ibuf {
	TAILQ_ENTRY(ibuf)	 entry;
	unsigned char		*buf;
	size_t			 size;
	size_t			 max;
	size_t			 wpos;
	size_t			 rpos;
	int			 fd;
};

struct msgbuf {
	TAILQ_HEAD(, ibuf)	 bufs;
	uint32_t		 queued;
	int			 fd;
};

struct ibuf_read {
	unsigned char		 buf[IBUF_READ_SIZE];
	unsigned char		*rptr;
	size_t			 wpos;
};

struct imsg_fd {
	TAILQ_ENTRY(imsg_fd)	 entry;
	int			 fd;
};

struct imsgbuf {
	TAILQ_HEAD(, imsg_fd)	 fds;
	struct ibuf_read	 r;
	struct msgbuf		 w;
	int			 fd;
	pid_t			 pid;
	int			 flags;		/* IMSGBUF_FDPASS */
};

#define IMSGBUF_FDPASS	0x1	/* descriptors may arrive */

struct imsg_hdr {
	uint32_t	 type;
	uint16_t	 len;
	uint16_t	 flags;
	uint32_t	 peerid;
	uint32_t	 pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;
	void		*data;
	struct ibuf	*buf;
};

struct iovec;

/* Buffers. */
struct ibuf	*ibuf_open(size_t);
struct ibuf	*ibuf_dynamic(size_t, size_t);
int		 ibuf_add(struct ibuf *, const void *, size_t);
void		*ibuf_reserve(struct ibuf *, size_t);
size_t		 ibuf_size(const struct ibuf *);
void		 ibuf_close(struct msgbuf *, struct ibuf *);
void		 ibuf_free(struct ibuf *);
void		 msgbuf_init(struct msgbuf *);
void		 msgbuf_clear(struct msgbuf *);
/*
 * Returns 1 when data was written, nothing was queued or the socket
 * would block (EAGAIN: retry when writable); 0 when the peer has gone
 * (EPIPE); -1 on other errors (errno set).  Never raises SIGPIPE.
 */
int		 msgbuf_write(struct msgbuf *);

/* Messages. */
void	 imsg_init(struct imsgbuf *, int);
/*
 * Allows descriptors to arrive on this buffer.  Without it, imsg_read()
 * passes no control buffer, so the kernel closes any descriptor a peer
 * sends and imsg_get() rejects the message that carried it.  Reads then
 * also skip the check for a free descriptor slot.
 */
void	 imsgbuf_allow_fdpass(struct imsgbuf *);
/*
 * Reads what the socket has.  Returns the number of bytes read, 0 on
 * EOF, -1 on error; EAGAIN leaves errno set and returns -1, also when
 * no descriptor slot is left for one that may arrive.
 */
ssize_t	 imsg_read(struct imsgbuf *);
/*
 * Takes the next complete message out of the read buffer.  Returns its
 * length, 0 when none is complete, -1 with errno EBADMSG when the header
 * is malformed (length under the header size or over MAX_IMSGSIZE,
 * unknown flags, IMSGF_HASFD without a descriptor).
 */
ssize_t	 imsg_get(struct imsgbuf *, struct imsg *);
/*
 * Queues a message; returns 1, or -1 with errno set (ERANGE: over
 * MAX_IMSGSIZE).  A passed fd is closed once sent; on failure the
 * caller keeps it.
 */
int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsg_composev(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const struct iovec *, int);
struct ibuf *imsg_create(struct imsgbuf *, uint32_t, uint32_t, pid_t,
	    size_t);
int	 imsg_add(struct ibuf *, const void *, size_t);
void	 imsg_close(struct imsgbuf *, struct ibuf *);
/* Frees the payload and closes a descriptor imsg_get_fd() did not take. */
void	 imsg_free(struct imsg *);
/* Writes everything queued, blocking; returns 0 or -1. */
int	 imsg_flush(struct imsgbuf *);
void	 imsg_clear(struct imsgbuf *);

/* Accessors in the style of OpenBSD 7.5. */
uint32_t imsg_get_type(const struct imsg *);
uint32_t imsg_get_peerid(const struct imsg *);
size_t	 imsg_get_len(const struct imsg *);
/* Takes the descriptor out of the message; -1 if it carried none. */
int	 imsg_get_fd(struct imsg *);
/* Copies the payload; -1 with errno EBADMSG unless its size is exactly len. */
int	 imsg_get_data(const struct imsg *, void *, size_t);

#endif /* MCGW_IMSG_H */
