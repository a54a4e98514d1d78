/*
 * The lease journal: an append-only file of checksummed records, made
 * durable in batches (group commit), replayed at start and compacted
 * into a snapshot when superseded records pile up.
 *
 * File format, every integer in network byte order:
 *
 *	file header, JOURNAL_HDR_SIZE bytes:
 *	  0  magic "MCGWJRNL"
 *	  8  u32 format version (1)
 *	 12  u32 header size (32)
 *	 16  i64 creation time, seconds since the epoch
 *	 24  u32 reserved, 0
 *	 28  u32 CRC-32C of bytes 0-27
 *
 *	record, JOURNAL_REC_HDR bytes then the payload:
 *	  0  u32 payload length
 *	  4  u16 record type (JOURNAL_REC_*)
 *	  6  u8  version of that type's encoding
 *	  7  u8  flags, 0
 *	  8  u32 CRC-32C of bytes 4-7 and the payload
 *
 * Everything past the last record is zero: the file is extended in
 * large steps ahead of the writes (journal_prealloc), because an
 * fdatasync that must also store a new file size commits the inode on
 * every batch.  Bytes other than zero there are a torn write and are
 * cut like any other torn tail.
 *
 * Damage costs only the bytes it hits.  Where a record fails its
 * checks, replay tests every later offset for a record that passes
 * stricter checks: a header this version writes, the checksum and a
 * payload that decodes.  It skips the bytes up to that record, logs
 * the range and goes on.  Zeros never pass, so the preallocated space
 * ends the records.  The writer appends after the last good record,
 * and a snapshot then rewrites the file without the damage
 * (journal_need_compact).  A damaged file header costs no record
 * either, because it contains only constants and the creation time.
 * A file with a bad magic or header checksum is replayed as a journal
 * if any record in it passes, and set aside if none does.
 *
 * Payloads are encoded field by field, so that changing a struct does
 * not change the file.  A reader ignores bytes past the fields it can
 * decode, which lets a later version append fields to a record type.
 *
 * This file depends only on common/ so that the unit test links it
 * alone.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcgw.h"
#include "routed.h"

#define JOURNAL_MAGIC		"MCGWJRNL"
#define JOURNAL_VERSION		1
#define JOURNAL_HDR_SIZE	32
#define JOURNAL_REC_HDR		12
/* No record type comes near this; a longer length is corruption. */
#define JOURNAL_REC_MAX		65536
/* Replay and compaction move data in chunks of this size. */
#define JOURNAL_CHUNK		(1024 * 1024)
/* Default step of preallocation: some 60,000 lease records of 70 bytes. */
#define JOURNAL_PREALLOC	(4 * 1024 * 1024)
#define LEASE4_VERSION		1
/* addr, state, htype, hlen, cidlen, two string lengths, start, end */
#define LEASE4_FIXED		(4 + 1 + 1 + 1 + 1 + 1 + 1 + 8 + 8)
#define LEASE4_MAX		(LEASE4_FIXED + MCGW_MAX_HWLEN + \
				    MCGW_MAX_CIDLEN + IF_NAMESIZE + \
				    MCGW_HOSTNAME_LEN)
#define BINDING_VERSION		1
/*
 * Four string lengths, mode, hlen, end reason, four addresses, the
 * port range and three times.
 */
#define BINDING_FIXED		(4 + 3 + 4 + 4 + 16 + 16 + 2 + 2 + 3 * 8)
#define BINDING_MAX		(BINDING_FIXED + MCGW_SERVICE_ID_LEN + \
				    IF_NAMESIZE + MCGW_MAX_HWLEN + \
				    MCGW_MAX_CIDLEN)
#define HISTORY_VERSION		1
/* Service ID length, four addresses, ports, end reason, two times. */
#define HISTORY_FIXED		(1 + 4 + 4 + 16 + 16 + 2 + 2 + 1 + 2 * 8)
#define HISTORY_MAX		(HISTORY_FIXED + MCGW_SERVICE_ID_LEN)
/* The largest record of any type. */
#define RECORD_MAX		(JOURNAL_REC_HDR + BINDING_MAX)
/* Replay logs this many damaged ranges one by one, then only counts. */
#define DAMAGE_LOG_MAX		20

size_t		 journal_prealloc = JOURNAL_PREALLOC;

/* Replay's window on the file, which slides forward as it reads. */
struct reader {
	int		 fd;
	unsigned char	*buf;
	size_t		 bufsize;
	size_t		 len;		/* bytes in buf */
	size_t		 pos;		/* the offset under test, in buf */
	off_t		 base;		/* file offset of buf[0] */
	int		 eof;
};

/* Replay's progress: the last good record and any damaged range. */
struct scan {
	off_t		 good;		/* end of the last good record */
	off_t		 dmg;		/* start of the damaged range, or -1 */
	off_t		 strict;	/* strict checks up to this offset */
	const char	*why;		/* what failed at dmg */
	int		 nonzero;	/* a byte other than 0 in the range */
	uint64_t	 ranges;
	uint64_t	 bytes;		/* in the ranges */
	uint64_t	 after;		/* good records after the first range */
};

static uint32_t	 crc32c_table[256];

static void	 crc32c_init(void);
static void	 put16(unsigned char *, uint16_t);
static void	 put32(unsigned char *, uint32_t);
static void	 put64(unsigned char *, uint64_t);
static uint16_t	 get16(const unsigned char *);
static uint32_t	 get32(const unsigned char *);
static uint64_t	 get64(const unsigned char *);
static int	 write_all(int, const void *, size_t);
static int	 pwrite_all(int, const void *, size_t, off_t);
static int	 fsync_dir(const char *);
static void	 header_encode(unsigned char *, int64_t);
static const char *header_check(const unsigned char *, size_t, int64_t *,
		    int *);
static uint32_t	 record_crc(const unsigned char *, size_t);
static size_t	 record_finish(unsigned char *, uint16_t, uint8_t, size_t);
static size_t	 record_encode(unsigned char *, size_t,
		    const struct imsg_lease4 *);
static int	 journal_set_aside(struct journal *, const char *);
static int	 journal_write_snapshot(struct journal *,
		    const struct journal_source *);
static void	 journal_cut(struct journal *, off_t, off_t, const char *);
static void	 journal_record(struct journal *, const unsigned char *,
		    off_t, const struct journal_sink *, int64_t *);
static size_t	 record_max(const unsigned char *);
static int	 record_decodes(const unsigned char *, size_t);
static size_t	 record_check(const unsigned char *, size_t, int,
		    const char **);
static int	 reader_fill(struct reader *, size_t);
static void	 scan_damage(struct scan *, const unsigned char *, size_t,
		    off_t, const char *, int);
static size_t	 scan_skip(const unsigned char *, size_t);
static void	 scan_good(struct journal *, struct scan *, off_t, size_t);
static int64_t	 replay_end(struct journal *, struct scan *, off_t,
		    int64_t);
static int	 journal_reserve(struct journal *, size_t);
static off_t	 journal_prealloc_end(off_t);
static off_t	 journal_extend(int, off_t, off_t);
static const unsigned char *get_str(const unsigned char *,
		    const unsigned char *, char *, size_t);

/* CRC-32C (Castagnoli), reflected polynomial 0x82f63b78. */
static void
crc32c_init(void)
{
	uint32_t	 c;
	int		 i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78 : c >> 1;
		crc32c_table[i] = c;
	}
}

/* Extends crc (0 to start) over len bytes of data. */
uint32_t
journal_crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char	*p = data;

	if (crc32c_table[1] == 0)
		crc32c_init();
	crc = ~crc;
	while (len-- > 0)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int
write_all(int fd, const void *data, size_t len)
{
	const unsigned char	*p = data;
	ssize_t			 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int
pwrite_all(int fd, const void *data, size_t len, off_t off)
{
	const unsigned char	*p = data;
	ssize_t			 n;

	while (len > 0) {
		if ((n = pwrite(fd, p, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* A rename or a new file is durable only once its directory is synced. */
static int
fsync_dir(const char *dir)
{
	int	 fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static void
header_encode(unsigned char *p, int64_t created)
{
	memset(p, 0, JOURNAL_HDR_SIZE);
	memcpy(p, JOURNAL_MAGIC, 8);
	put32(p + 8, JOURNAL_VERSION);
	put32(p + 12, JOURNAL_HDR_SIZE);
	put64(p + 16, (uint64_t)created);
	put32(p + 28, journal_crc32c(0, p, 28));
}

/*
 * Returns NULL for a good header, else what is wrong with it.  Sets
 * *damaged when the header may be ours with bytes damaged: its records
 * then decide (replay_end).  A header that passes its checksum but
 * names another version or size was written so on purpose.
 */
static const char *
header_check(const unsigned char *p, size_t len, int64_t *created,
    int *damaged)
{
	*damaged = 0;
	if (len < JOURNAL_HDR_SIZE)
		return "short file header";
	*damaged = 1;
	if (memcmp(p, JOURNAL_MAGIC, 8) != 0)
		return "bad magic";
	if (get32(p + 28) != journal_crc32c(0, p, 28))
		return "file header checksum mismatch";
	*damaged = 0;
	if (get32(p + 8) != JOURNAL_VERSION)
		return "unsupported format version";
	if (get32(p + 12) != JOURNAL_HDR_SIZE)
		return "unsupported file header size";
	*created = (int64_t)get64(p + 16);
	return NULL;
}

/* Returns the payload size, or 0 if it does not fit in len. */
size_t
journal_encode_lease(unsigned char *p, size_t len,
    const struct imsg_lease4 *l)
{
	size_t	 hlen, iflen, hnlen, n;

	hlen = l->hlen > MCGW_MAX_HWLEN ? MCGW_MAX_HWLEN : l->hlen;
	iflen = strnlen(l->ifname, sizeof(l->ifname) - 1);
	hnlen = strnlen(l->hostname, sizeof(l->hostname) - 1);
	n = LEASE4_FIXED + hlen + l->cidlen + iflen + hnlen;
	if (n > len)
		return 0;

	memcpy(p, &l->addr.s_addr, 4);	/* already network byte order */
	p += 4;
	*p++ = l->state;
	*p++ = l->htype;
	*p++ = hlen;
	memcpy(p, l->chaddr, hlen);
	p += hlen;
	*p++ = l->cidlen;
	memcpy(p, l->cid, l->cidlen);
	p += l->cidlen;
	*p++ = iflen;
	memcpy(p, l->ifname, iflen);
	p += iflen;
	*p++ = hnlen;
	memcpy(p, l->hostname, hnlen);
	p += hnlen;
	put64(p, (uint64_t)l->start);
	put64(p + 8, (uint64_t)l->end);
	return n;
}

/* Decodes a version 1 lease payload; -1 if it is malformed. */
int
journal_decode_lease(const unsigned char *p, size_t len,
    struct imsg_lease4 *l)
{
	const unsigned char	*end = p + len;
	size_t			 n;

	memset(l, 0, sizeof(*l));
	if (len < LEASE4_FIXED)
		return -1;
	memcpy(&l->addr.s_addr, p, 4);
	p += 4;
	l->state = *p++;
	l->htype = *p++;
	if (l->state > LEASE_ABANDONED || l->state == LEASE_OFFERED)
		return -1;

	if ((n = *p++) > MCGW_MAX_HWLEN || (size_t)(end - p) < n + 1)
		return -1;
	l->hlen = n;
	memcpy(l->chaddr, p, n);
	p += n;
	n = *p++;
	if ((size_t)(end - p) < n + 1)
		return -1;
	l->cidlen = n;
	memcpy(l->cid, p, n);
	p += n;
	if ((n = *p++) >= sizeof(l->ifname) || (size_t)(end - p) < n + 1)
		return -1;
	memcpy(l->ifname, p, n);
	p += n;
	if ((n = *p++) >= sizeof(l->hostname) || (size_t)(end - p) < n + 16)
		return -1;
	memcpy(l->hostname, p, n);
	p += n;
	l->start = (int64_t)get64(p);
	l->end = (int64_t)get64(p + 8);
	/* Bytes past end were appended by a later writer: ignore them. */
	return 0;
}

/* The checksum covers type, version, flags and the payload. */
static uint32_t
record_crc(const unsigned char *rec, size_t plen)
{
	return journal_crc32c(journal_crc32c(0, rec + 4, 4),
	    rec + JOURNAL_REC_HDR, plen);
}

/* Writes the header of a record whose n payload bytes are in place. */
static size_t
record_finish(unsigned char *p, uint16_t type, uint8_t version, size_t n)
{
	if (n == 0)
		return 0;
	put32(p, n);
	put16(p + 4, type);
	p[6] = version;
	p[7] = 0;
	put32(p + 8, record_crc(p, n));
	return JOURNAL_REC_HDR + n;
}

/* Encodes a whole lease record; returns its size, 0 if len is short. */
static size_t
record_encode(unsigned char *p, size_t len, const struct imsg_lease4 *l)
{
	if (len < JOURNAL_REC_HDR)
		return 0;
	return record_finish(p, JOURNAL_REC_LEASE4, LEASE4_VERSION,
	    journal_encode_lease(p + JOURNAL_REC_HDR, len - JOURNAL_REC_HDR,
	    l));
}

/* Reads a length byte and that many bytes into a NUL-terminated buf. */
static const unsigned char *
get_str(const unsigned char *p, const unsigned char *end, char *buf,
    size_t size)
{
	size_t	 n;

	if (p >= end || (n = *p++) >= size || (size_t)(end - p) < n)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return p + n;
}

/*
 * A binding record: the binding's state after a start, renewal or
 * refresh (end_reason 0), or its end (end_reason set).  Returns the
 * payload size, or 0 if it does not fit in len.
 */
size_t
journal_encode_binding(unsigned char *p, size_t len,
    const struct imsg_binding *b)
{
	size_t	 slen, iflen, hlen, n;

	slen = strnlen(b->service_id, sizeof(b->service_id) - 1);
	iflen = strnlen(b->ifname, sizeof(b->ifname) - 1);
	hlen = b->hlen > MCGW_MAX_HWLEN ? MCGW_MAX_HWLEN : b->hlen;
	n = BINDING_FIXED + slen + iflen + hlen + b->cidlen;
	if (n > len)
		return 0;
	*p++ = slen;
	memcpy(p, b->service_id, slen);
	p += slen;
	*p++ = iflen;
	memcpy(p, b->ifname, iflen);
	p += iflen;
	*p++ = hlen;
	memcpy(p, b->hwaddr, hlen);
	p += hlen;
	*p++ = b->cidlen;
	memcpy(p, b->cid, b->cidlen);
	p += b->cidlen;
	*p++ = b->mode;
	*p++ = b->end_reason;
	*p++ = 0;		/* reserved */
	memcpy(p, &b->local4, 4);	/* addresses: network byte order */
	memcpy(p + 4, &b->ue4, 4);
	memcpy(p + 8, &b->local6, 16);
	memcpy(p + 24, &b->ue6, 16);
	p += 40;
	put16(p, b->port_first);
	put16(p + 2, b->port_last);
	put64(p + 4, (uint64_t)b->authorised);
	put64(p + 12, (uint64_t)b->refreshed);
	put64(p + 20, (uint64_t)b->expires);
	return n;
}

int
journal_decode_binding(const unsigned char *p, size_t len,
    struct imsg_binding *b)
{
	const unsigned char	*end = p + len;
	size_t			 n;

	memset(b, 0, sizeof(*b));
	if ((p = get_str(p, end, b->service_id, sizeof(b->service_id))) ==
	    NULL || b->service_id[0] == '\0')
		return -1;
	if ((p = get_str(p, end, b->ifname, sizeof(b->ifname))) == NULL)
		return -1;
	if (p >= end || (n = *p++) > MCGW_MAX_HWLEN || (size_t)(end - p) < n)
		return -1;
	b->hlen = n;
	memcpy(b->hwaddr, p, n);
	p += n;
	if (p >= end || (size_t)(end - p) < (size_t)*p + 1)
		return -1;
	b->cidlen = n = *p++;
	memcpy(b->cid, p, n);
	p += n;
	if ((size_t)(end - p) < 3 + 40 + 4 + 24)
		return -1;
	b->mode = *p++;
	b->end_reason = *p++;
	p++;
	memcpy(&b->local4, p, 4);
	memcpy(&b->ue4, p + 4, 4);
	memcpy(&b->local6, p + 8, 16);
	memcpy(&b->ue6, p + 24, 16);
	p += 40;
	b->port_first = get16(p);
	b->port_last = get16(p + 2);
	b->authorised = (int64_t)get64(p + 4);
	b->refreshed = (int64_t)get64(p + 12);
	b->expires = (int64_t)get64(p + 20);
	return 0;
}

/* A history record: a binding's start (end 0) or its end. */
size_t
journal_encode_history(unsigned char *p, size_t len,
    const struct imsg_binding_history *h)
{
	size_t	 slen, n;

	slen = strnlen(h->service_id, sizeof(h->service_id) - 1);
	n = HISTORY_FIXED + slen;
	if (n > len)
		return 0;
	*p++ = slen;
	memcpy(p, h->service_id, slen);
	p += slen;
	memcpy(p, &h->local4, 4);
	memcpy(p + 4, &h->ue4, 4);
	memcpy(p + 8, &h->local6, 16);
	memcpy(p + 24, &h->ue6, 16);
	p += 40;
	put16(p, h->port_first);
	put16(p + 2, h->port_last);
	p[4] = h->end_reason;
	put64(p + 5, (uint64_t)h->start);
	put64(p + 13, (uint64_t)h->end);
	return n;
}

int
journal_decode_history(const unsigned char *p, size_t len,
    struct imsg_binding_history *h)
{
	const unsigned char	*end = p + len;

	memset(h, 0, sizeof(*h));
	if ((p = get_str(p, end, h->service_id, sizeof(h->service_id))) ==
	    NULL || h->service_id[0] == '\0')
		return -1;
	if ((size_t)(end - p) < HISTORY_FIXED - 1)
		return -1;
	memcpy(&h->local4, p, 4);
	memcpy(&h->ue4, p + 4, 4);
	memcpy(&h->local6, p + 8, 16);
	memcpy(&h->ue6, p + 24, 16);
	p += 40;
	h->port_first = get16(p);
	h->port_last = get16(p + 2);
	h->end_reason = p[4];
	h->start = (int64_t)get64(p + 5);
	h->end = (int64_t)get64(p + 13);
	return 0;
}

int
journal_open(struct journal *j, const char *path)
{
	unsigned char	 hdr[JOURNAL_HDR_SIZE];
	struct stat	 st;
	const char	*slash, *reason;
	ssize_t		 n;
	int		 r, damaged;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	r = snprintf(j->path, sizeof(j->path), "%s", path);
	if (r < 0 || (size_t)r >= sizeof(j->path))
		goto toolong;
	r = snprintf(j->tmppath, sizeof(j->tmppath), "%s.tmp", path);
	if (r < 0 || (size_t)r >= sizeof(j->tmppath))
		goto toolong;
	if ((slash = strrchr(path, '/')) == NULL)
		strlcpy(j->dir, ".", sizeof(j->dir));
	else if (slash == path)
		strlcpy(j->dir, "/", sizeof(j->dir));
	else
		snprintf(j->dir, sizeof(j->dir), "%.*s", (int)(slash - path),
		    path);

	if ((j->fd = open(path, O_RDWR | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			log_warn("%s: open %s", __func__, path);
			return -1;
		}
		log_info("creating journal %s", path);
		return journal_write_snapshot(j, NULL);
	}
	if (fstat(j->fd, &st) == -1) {
		log_warn("%s: fstat %s", __func__, path);
		close(j->fd);
		return -1;
	}
	do {
		n = pread(j->fd, hdr, sizeof(hdr), 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		log_warn("%s: read %s", __func__, path);
		close(j->fd);
		return -1;
	}
	if ((reason = header_check(hdr, n, &j->created, &damaged)) != NULL) {
		if (!damaged)
			return journal_set_aside(j, reason);
		/* Replay sets the file aside if no record passes. */
		j->hdr_damage = reason;
		j->created = 0;
	}
	/* Where the records end is known only once replay has run. */
	j->size = j->alloc = st.st_size;
	j->need_replay = 1;
	j->bytes = 0;
	return 0;

 toolong:
	log_warnx("%s: journal path too long: %s", __func__, path);
	errno = ENAMETOOLONG;
	return -1;
}

/*
 * A file whose header is not ours cannot be replayed.  Keep it for the
 * operator under another name, and start with an empty journal rather
 * than refusing to serve.
 */
static int
journal_set_aside(struct journal *j, const char *reason)
{
	char	 name[1100];
	int	 i, r;

	close(j->fd);
	j->fd = -1;
	/* Never replace an earlier copy set aside in the same second. */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), i == 0 ? "%s%s.%lld" :
		    "%s%s.%lld.%d", j->path, JOURNAL_CORRUPT_SUFFIX,
		    (long long)time(NULL), i);
		r = renameat2(AT_FDCWD, j->path, AT_FDCWD, name,
		    RENAME_NOREPLACE);
		if (r == 0 || errno != EEXIST)
			break;
	}
	if (r == -1) {
		log_warn("%s: rename %s to %s", __func__, j->path, name);
		return -1;
	}
	log_warnx("journal %s is not usable (%s): moved it to %s, "
	    "starting with no stored leases", j->path, reason, name);
	return journal_write_snapshot(j, NULL);
}

/*
 * Writes a header and one record per lease, binding and history entry
 * that the iterators of src return (none when src is NULL) to the
 * temporary file, syncs it, renames it over the journal and syncs the
 * directory.  The old file stays in use until the new one is durable,
 * and the descriptor of the temporary file becomes the journal's, so no
 * reopen can fail afterwards.
 */
static int
journal_write_snapshot(struct journal *j, const struct journal_source *src)
{
	const struct imsg_lease4	*l;
	const struct imsg_binding	*b;
	const struct imsg_binding_history *h;
	unsigned char			*buf, *p;
	size_t				 len, n;
	uint64_t			 records = 0;
	off_t				 size, alloc;
	int64_t				 now = time(NULL);
	int				 fd;

	if ((buf = malloc(JOURNAL_CHUNK)) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	if (unlink(j->tmppath) == -1 && errno != ENOENT)
		log_warn("%s: unlink %s", __func__, j->tmppath);
	fd = open(j->tmppath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("%s: open %s", __func__, j->tmppath);
		free(buf);
		return -1;
	}

	header_encode(buf, now);
	len = size = JOURNAL_HDR_SIZE;
	for (;;) {
		if (JOURNAL_CHUNK - len < RECORD_MAX) {
			if (write_all(fd, buf, len) == -1)
				goto fail;
			len = 0;
		}
		p = buf + len;
		if (src != NULL && src->leases != NULL &&
		    (l = src->leases(src->arg)) != NULL)
			n = record_encode(p, JOURNAL_CHUNK - len, l);
		else if (src != NULL && src->bindings != NULL &&
		    (b = src->bindings(src->arg)) != NULL)
			n = record_finish(p, JOURNAL_REC_BINDING,
			    BINDING_VERSION, journal_encode_binding(p +
			    JOURNAL_REC_HDR, JOURNAL_CHUNK - len -
			    JOURNAL_REC_HDR, b));
		else if (src != NULL && src->history != NULL &&
		    (h = src->history(src->arg)) != NULL)
			n = record_finish(p, JOURNAL_REC_HISTORY,
			    HISTORY_VERSION, journal_encode_history(p +
			    JOURNAL_REC_HDR, JOURNAL_CHUNK - len -
			    JOURNAL_REC_HDR, h));
		else
			break;
		len += n;
		size += n;
		records++;
	}
	if (write_all(fd, buf, len) == -1)
		goto fail;
	/* The first appends then find their space allocated. */
	alloc = journal_extend(fd, size, size + 1);
	if (fsync(fd) == -1 || rename(j->tmppath, j->path) == -1)
		goto fail;
	free(buf);
	if (fsync_dir(j->dir) == -1)
		log_warn("%s: fsync %s", __func__, j->dir);

	if (j->fd != -1)
		close(j->fd);
	j->fd = fd;
	j->created = now;
	j->size = size;
	j->alloc = alloc;
	j->need_replay = 0;
	j->tail_dirty = 0;
	j->hdr_damage = NULL;
	j->damaged = 0;
	j->records = records;
	return 0;

 fail:
	log_warn("%s: writing %s", __func__, j->tmppath);
	if (fd != -1)
		close(fd);
	unlink(j->tmppath);
	free(buf);
	return -1;
}

static void
journal_cut(struct journal *j, off_t good, off_t filesize,
    const char *reason)
{
	log_warnx("journal %s: %s at offset %lld, cutting %lld bytes",
	    j->path, reason, (long long)good, (long long)(filesize - good));
	j->size = j->alloc = good;
	if (ftruncate(j->fd, good) == -1 || fsync(j->fd) == -1) {
		/* journal_commit() retries before its next write. */
		log_warn("%s: truncate %s", __func__, j->path);
		j->tail_dirty = 1;
	}
}

/* Handles one record whose checksum is good. */
static void
journal_record(struct journal *j, const unsigned char *p, off_t off,
    const struct journal_sink *sink, int64_t *nleases)
{
	struct imsg_lease4	 l;
	struct imsg_binding	 b;
	struct imsg_binding_history h;
	uint32_t		 len = get32(p);
	uint16_t		 type = get16(p + 4);
	int			 bad;

	j->records++;
	if ((type == JOURNAL_REC_BINDING && p[6] == BINDING_VERSION) ||
	    (type == JOURNAL_REC_HISTORY && p[6] == HISTORY_VERSION)) {
		if (type == JOURNAL_REC_BINDING) {
			bad = journal_decode_binding(p + JOURNAL_REC_HDR, len,
			    &b) == -1;
			if (!bad && sink->binding != NULL)
				sink->binding(&b, sink->arg);
		} else {
			bad = journal_decode_history(p + JOURNAL_REC_HDR, len,
			    &h) == -1;
			if (!bad && sink->history != NULL)
				sink->history(&h, sink->arg);
		}
		if (bad && j->skipped++ < 10)
			log_warnx("journal %s: skipping malformed binding "
			    "record at offset %lld", j->path, (long long)off);
		return;
	}
	if (type != JOURNAL_REC_LEASE4 || p[6] != LEASE4_VERSION) {
		/* Written by a later version: keep it, but skip it. */
		if (j->skipped++ < 10)
			log_warnx("journal %s: skipping record type %u "
			    "version %u at offset %lld", j->path, type, p[6],
			    (long long)off);
		return;
	}
	if (journal_decode_lease(p + JOURNAL_REC_HDR, len, &l) == -1) {
		if (j->skipped++ < 10)
			log_warnx("journal %s: skipping malformed lease "
			    "record at offset %lld", j->path, (long long)off);
		return;
	}
	(*nleases)++;
	if (sink->lease != NULL)
		sink->lease(&l, sink->arg);
}

int64_t
journal_replay(struct journal *j, journal_lease_cb cb, void *arg)
{
	struct journal_sink	 sink;

	memset(&sink, 0, sizeof(sink));
	sink.lease = cb;
	sink.arg = arg;
	return journal_replay_all(j, &sink);
}

/*
 * The payload limit of a record header that this version writes, 0 for
 * any other header.
 */
static size_t
record_max(const unsigned char *p)
{
	if (p[7] != 0)
		return 0;
	switch (get16(p + 4)) {
	case JOURNAL_REC_LEASE4:
		return p[6] == LEASE4_VERSION ? LEASE4_MAX : 0;
	case JOURNAL_REC_BINDING:
		return p[6] == BINDING_VERSION ? BINDING_MAX : 0;
	case JOURNAL_REC_HISTORY:
		return p[6] == HISTORY_VERSION ? HISTORY_MAX : 0;
	}
	return 0;
}

/* 1 if the payload of a record that record_max accepts decodes. */
static int
record_decodes(const unsigned char *p, size_t plen)
{
	struct imsg_lease4		 l;
	struct imsg_binding		 b;
	struct imsg_binding_history	 h;

	switch (get16(p + 4)) {
	case JOURNAL_REC_LEASE4:
		return journal_decode_lease(p + JOURNAL_REC_HDR, plen, &l) == 0;
	case JOURNAL_REC_BINDING:
		return journal_decode_binding(p + JOURNAL_REC_HDR, plen,
		    &b) == 0;
	case JOURNAL_REC_HISTORY:
		return journal_decode_history(p + JOURNAL_REC_HDR, plen,
		    &h) == 0;
	}
	return 0;
}

/*
 * Returns the size of the record at p (avail bytes in the buffer) if it
 * is whole and passes its checksum.  Otherwise returns 0 and sets *why
 * to the failed check.  In strict mode, which finds records again
 * after damage, the header must be one this version writes and the
 * payload must decode, because a CRC-32C alone accepts about one
 * offset of random bytes in 2^32.  The payload limit of strict mode
 * also keeps each test cheap.
 *
 * NOTE: a client identifier (255 bytes, chosen by the client) can
 * contain a whole record.  Replay accepts it only if damage to that
 * client's own record header starts the search inside the payload.
 */
static size_t
record_check(const unsigned char *p, size_t avail, int strict,
    const char **why)
{
	uint32_t	 plen;
	size_t		 max;

	if (avail < JOURNAL_REC_HDR) {
		*why = "short record header";
		return 0;
	}
	plen = get32(p);
	max = strict ? record_max(p) : JOURNAL_REC_MAX;
	if (plen > max || (strict && plen == 0)) {
		*why = strict ? "bad record header" :
		    "record length over the maximum";
		return 0;
	}
	if (avail - JOURNAL_REC_HDR < plen) {
		*why = "record runs past the end of file";
		return 0;
	}
	if (get32(p + 8) != record_crc(p, plen)) {
		*why = "record checksum mismatch";
		return 0;
	}
	if (strict && !record_decodes(p, plen)) {
		*why = "malformed record";
		return 0;
	}
	return JOURNAL_REC_HDR + plen;
}

/*
 * Makes need bytes from pos on available, fewer only at the end of the
 * file.  A refill moves fewer than need bytes and then requests at
 * least JOURNAL_CHUNK, so replay stays linear in the file size.
 */
static int
reader_fill(struct reader *r, size_t need)
{
	ssize_t	 n;

	while (r->len - r->pos < need && !r->eof) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->base += r->pos;
		r->len -= r->pos;
		r->pos = 0;
		n = pread(r->fd, r->buf + r->len, r->bufsize - r->len,
		    r->base + r->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			r->eof = 1;
		r->len += n;
	}
	return 0;
}

/* A damaged range starts at off, where a record failed with why. */
static void
scan_damage(struct scan *s, const unsigned char *p, size_t avail,
    off_t off, const char *why, int strict)
{
	static const unsigned char	 zero[JOURNAL_REC_HDR];

	s->dmg = off;
	s->why = why;
	s->nonzero = 0;
	if (avail >= JOURNAL_REC_HDR && memcmp(p, zero, sizeof(zero)) == 0)
		s->why = "torn write in the preallocated space";
	/*
	 * Records that start inside the span of the failed record get the
	 * strict checks, so that no byte is run through the checksum of
	 * a long record more than once: replay stays linear in time.
	 */
	if (!strict && avail >= JOURNAL_REC_HDR && get32(p) <= JOURNAL_REC_MAX)
		s->strict = off + JOURNAL_REC_HDR + get32(p);
}

/*
 * How far the search after damage may move on from p.  A record that
 * strict checks accept has a length other than 0, so a byte other than
 * 0 among its first four: a run of zeros, such as the preallocated
 * space, is passed over but for its last three bytes.
 */
static size_t
scan_skip(const unsigned char *p, size_t avail)
{
	size_t	 n = 0;

	while (n < avail && p[n] == 0)
		n++;
	return n > 4 ? n - 3 : 1;
}

/* A good record of n bytes at off ends the damaged range, if any. */
static void
scan_good(struct journal *j, struct scan *s, off_t off, size_t n)
{
	if (s->dmg != -1) {
		if (s->ranges < DAMAGE_LOG_MAX)
			log_warnx("journal %s: skipping %lld damaged bytes at "
			    "offset %lld: %s", j->path,
			    (long long)(off - s->dmg), (long long)s->dmg,
			    s->nonzero ? s->why : "bytes zeroed");
		s->ranges++;
		s->bytes += off - s->dmg;
		s->dmg = -1;
	}
	if (s->ranges > 0)
		s->after++;
	s->good = off + n;
}

int64_t
journal_replay_all(struct journal *j, const struct journal_sink *sink)
{
	struct reader	 r;
	struct scan	 s;
	const char	*why;
	unsigned char	*p;
	int64_t		 nleases = 0;
	size_t		 n;
	off_t		 off;
	int		 strict;

	memset(&r, 0, sizeof(r));
	r.fd = j->fd;
	r.bufsize = JOURNAL_CHUNK + JOURNAL_REC_HDR + JOURNAL_REC_MAX;
	r.base = JOURNAL_HDR_SIZE;
	if ((r.buf = malloc(r.bufsize)) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	memset(&s, 0, sizeof(s));
	s.good = JOURNAL_HDR_SIZE;
	s.dmg = -1;
	j->records = 0;
	j->skipped = 0;

	for (;;) {
		if (reader_fill(&r, JOURNAL_REC_HDR + JOURNAL_REC_MAX) == -1) {
			log_warn("%s: read %s", __func__, j->path);
			free(r.buf);
			return -1;
		}
		if (r.pos == r.len)
			break;
		p = r.buf + r.pos;
		off = r.base + r.pos;
		strict = s.dmg != -1 || off < s.strict;
		if ((n = record_check(p, r.len - r.pos, strict, &why)) > 0) {
			scan_good(j, &s, off, n);
			journal_record(j, p, off, sink, &nleases);
			r.pos += n;
			continue;
		}
		/* Look for a good record at a later offset. */
		if (s.dmg == -1)
			scan_damage(&s, p, r.len - r.pos, off, why, strict);
		s.nonzero |= *p != 0;
		r.pos += scan_skip(p, r.len - r.pos);
	}
	free(r.buf);
	return replay_end(j, &s, r.base + r.len, nleases);
}

/*
 * After the last good record: zeros to the end of the file are the
 * preallocated space, anything else a torn tail to cut.  The writer
 * appends after the last good record, past any damage inside the file.
 */
static int64_t
replay_end(struct journal *j, struct scan *s, off_t filesize,
    int64_t nleases)
{
	j->size = s->good;
	j->alloc = filesize;
	j->need_replay = 0;
	if (j->hdr_damage != NULL) {
		if (j->records == 0)
			return journal_set_aside(j, j->hdr_damage) == -1 ?
			    -1 : 0;
		log_warnx("journal %s: file header damaged (%s), keeping the "
		    "%llu records that pass their checks", j->path,
		    j->hdr_damage, (unsigned long long)j->records);
		j->damaged = 1;
	}
	if (s->dmg != -1 && s->nonzero)
		journal_cut(j, s->good, filesize, s->why);
	if (s->ranges > 0) {
		log_warnx("journal %s: skipped %llu damaged ranges of %llu "
		    "bytes in all, recovered %llu records after damage",
		    j->path, (unsigned long long)s->ranges,
		    (unsigned long long)s->bytes,
		    (unsigned long long)s->after);
		j->damaged = 1;
	}
	if (j->skipped > 0)
		log_warnx("journal %s: skipped %llu records it cannot read",
		    j->path, (unsigned long long)j->skipped);
	log_info("journal %s: replayed %llu records, %lld leases", j->path,
	    (unsigned long long)j->records, (long long)nleases);
	return nleases;
}

/* Makes room for one more record of up to len bytes in the batch. */
static int
journal_reserve(struct journal *j, size_t len)
{
	unsigned char	*nbuf;
	size_t		 nsize;

	if (j->bufsize - j->buflen < len) {
		nsize = j->bufsize == 0 ? 64 * 1024 : j->bufsize * 2;
		if ((nbuf = realloc(j->buf, nsize)) == NULL)
			return -1;
		j->buf = nbuf;
		j->bufsize = nsize;
	}
	return 0;
}

/* The end of the step of preallocation that holds need bytes. */
static off_t
journal_prealloc_end(off_t need)
{
	off_t	 step = journal_prealloc;

	return (need + step - 1) / step * step;
}

/*
 * Extends the file from alloc to hold at least need bytes, with zeros
 * that are allocated but not written (ftruncate where fallocate is not
 * supported).  Returns the new file size, alloc when nothing changed:
 * a failure here is no error, the write then grows the file itself.
 */
static off_t
journal_extend(int fd, off_t alloc, off_t need)
{
	off_t	 end;

	if (journal_prealloc == 0 || need <= alloc)
		return alloc;
	end = journal_prealloc_end(need);
	if (fallocate(fd, 0, alloc, end - alloc) == 0)
		return end;
	if ((errno == EOPNOTSUPP || errno == ENOSYS) &&
	    ftruncate(fd, end) == 0)
		return end;
	return alloc;
}

int
journal_add_lease(struct journal *j, const struct imsg_lease4 *l)
{
	size_t	 n;

	if (journal_reserve(j, JOURNAL_REC_HDR + LEASE4_MAX) == -1)
		return -1;
	n = record_encode(j->buf + j->buflen, j->bufsize - j->buflen, l);
	j->buflen += n;
	j->pending++;
	return 0;
}

int
journal_add_binding(struct journal *j, const struct imsg_binding *b)
{
	unsigned char	*p;

	if (journal_reserve(j, JOURNAL_REC_HDR + BINDING_MAX) == -1)
		return -1;
	p = j->buf + j->buflen;
	j->buflen += record_finish(p, JOURNAL_REC_BINDING, BINDING_VERSION,
	    journal_encode_binding(p + JOURNAL_REC_HDR, BINDING_MAX, b));
	j->pending++;
	return 0;
}

int
journal_add_history(struct journal *j, const struct imsg_binding_history *h)
{
	unsigned char	*p;

	if (journal_reserve(j, JOURNAL_REC_HDR + HISTORY_MAX) == -1)
		return -1;
	p = j->buf + j->buflen;
	j->buflen += record_finish(p, JOURNAL_REC_HISTORY, HISTORY_VERSION,
	    journal_encode_history(p + JOURNAL_REC_HDR, HISTORY_MAX, h));
	j->pending++;
	return 0;
}

int
journal_commit(struct journal *j)
{
	int	 saved_errno;

	if (j->pending == 0)
		return 0;
	if (j->need_replay) {
		/* Records written past an unknown end would be lost. */
		log_warnx("%s: journal %s not replayed", __func__, j->path);
		errno = EINVAL;
		goto fail;
	}
	if (j->tail_dirty) {
		if (ftruncate(j->fd, j->size) == -1)
			goto fail;
		j->alloc = j->size;
		j->tail_dirty = 0;
	}
	if (j->size + (off_t)j->buflen > j->alloc)
		j->alloc = journal_extend(j->fd, j->alloc,
		    j->size + j->buflen);
	if (pwrite_all(j->fd, j->buf, j->buflen, j->size) == -1 ||
	    fdatasync(j->fd) == -1)
		goto fail;

	j->size += j->buflen;
	if (j->alloc < j->size)
		j->alloc = j->size;
	j->records += j->pending;
	j->bytes += j->buflen;
	j->syncs++;
	j->buflen = 0;
	j->pending = 0;
	return 0;

 fail:
	/*
	 * The caller reports the batch as failed, so none of it may
	 * survive: cut the file back to its last durable record.  Later
	 * batches are written at that offset in any case.
	 */
	saved_errno = errno;
	/* That also drops the preallocated space, which stays zero. */
	j->alloc = j->size;
	if (ftruncate(j->fd, j->size) == -1 || fsync(j->fd) == -1)
		j->tail_dirty = 1;
	j->buflen = 0;
	j->pending = 0;
	errno = saved_errno;
	return -1;
}

/*
 * Compact once the file holds more than twice the live records plus
 * 1024.  The file then stays within about three times its live size.
 * Each snapshot of N records follows at least N + 1024 appends, which
 * spreads its cost over them.  After a replay that skipped damage,
 * compact at once: the snapshot contains what replay recovered, and
 * no later replay has to search past the damage again.
 */
int
journal_need_compact(const struct journal *j, uint64_t live)
{
	return j->damaged || j->records > live * 2 + 1024;
}

int
journal_compact(struct journal *j, journal_lease_iter iter, void *arg)
{
	struct journal_source	 src;

	memset(&src, 0, sizeof(src));
	src.leases = iter;
	src.arg = arg;
	return journal_compact_all(j, &src);
}

int
journal_compact_all(struct journal *j, const struct journal_source *src)
{
	uint64_t	 before = j->records;
	off_t		 size = j->size;

	if (j->pending != 0) {
		log_warnx("%s: batch pending", __func__);
		return -1;
	}
	if (journal_write_snapshot(j, src) == -1)
		return -1;
	log_info("journal %s compacted: %llu records, %lld bytes "
	    "(was %llu, %lld)", j->path, (unsigned long long)j->records,
	    (long long)j->size, (unsigned long long)before, (long long)size);
	return 0;
}

int
journal_close(struct journal *j)
{
	int	 r = 0;

	if (j->fd != -1) {
		if (journal_commit(j) == -1)
			r = -1;
		if (fdatasync(j->fd) == -1)
			r = -1;
		if (close(j->fd) == -1)
			r = -1;
		j->fd = -1;
	}
	free(j->buf);
	j->buf = NULL;
	j->buflen = j->bufsize = 0;
	return r;
}
