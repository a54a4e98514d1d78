/*
 * libFuzzer target: the journal replay (journal_open,
 * journal_replay_all and the lease, binding and history decoders).
 *
 * The input becomes the journal file in a private directory.  Random
 * bytes rarely get past the header and record checksums, so an input
 * whose first byte is FZ_STRUCTURED is read as a recipe instead:
 *
 *	byte 1		tail: bits 0-1 pick none, a torn last record, a
 *			bad checksum on one record or garbage after the
 *			last record; bits 2-7 pick the record or the cut
 *	then records	type selector (1 byte), payload length (1 byte),
 *			payload; the target writes a good header and
 *			correct record checksums
 *
 * so that the field decoders get arbitrary payloads.  After a replay,
 * the file (cut by the replay if it was torn) must replay again to the
 * same leases without another cut.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcgw.h"
#include "../routed-engine/routed.h"

#define FZ_STRUCTURED	0x01
#define FZ_MAX_INPUT	(256 * 1024)
#define FZ_HDR_SIZE	32
#define FZ_REC_HDR	12

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 dir[PATH_MAX];
static char	 path[PATH_MAX];

struct replay_sum {
	int64_t		 n;		/* leases */
	int64_t		 nbind;		/* bindings and history */
	uint64_t	 digest;
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Removes every file in dir: the journal and what was set aside. */
static void
clear_dir(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 p[PATH_MAX];

	if ((d = opendir(dir)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		(void)unlink(p);
	}
	closedir(d);
}

static void
remove_dir(void)
{
	clear_dir();
	(void)rmdir(dir);
}

/*
 * Makes a directory for one input, removed once the input is done, so
 * that only a crash leaves one behind (atexit(3) proved unreliable).
 */
static void
make_dir(void)
{
	const char	*base;

	/* tmpfs when there is one: replay syncs and truncates the file. */
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/mcgwd-fuzz-journal.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/leases.journal", dir);
}

static void
digest(struct replay_sum *sum, const void *rec, size_t len)
{
	const uint8_t	*p = rec;
	size_t		 i;

	for (i = 0; i < len; i++)
		sum->digest = sum->digest * 31 + p[i];
}

/* The decoders promise their callers bounded lengths and NULs. */
static void
lease_cb(const struct imsg_lease4 *l, void *arg)
{
	struct replay_sum	*sum = arg;

	if (l->hlen > MCGW_MAX_HWLEN || l->state > LEASE_ABANDONED ||
	    memchr(l->ifname, '\0', sizeof(l->ifname)) == NULL ||
	    memchr(l->hostname, '\0', sizeof(l->hostname)) == NULL)
		abort();
	sum->n++;
	digest(sum, l, sizeof(*l));
}

static void
binding_cb(const struct imsg_binding *b, void *arg)
{
	struct replay_sum	*sum = arg;

	if (b->hlen > MCGW_MAX_HWLEN || b->service_id[0] == '\0' ||
	    memchr(b->service_id, '\0', sizeof(b->service_id)) == NULL ||
	    memchr(b->ifname, '\0', sizeof(b->ifname)) == NULL)
		abort();
	sum->nbind++;
	digest(sum, b, sizeof(*b));
}

static void
history_cb(const struct imsg_binding_history *h, void *arg)
{
	struct replay_sum	*sum = arg;

	if (h->service_id[0] == '\0' ||
	    memchr(h->service_id, '\0', sizeof(h->service_id)) == NULL)
		abort();
	sum->nbind++;
	digest(sum, h, sizeof(*h));
}

static void
write_file(const uint8_t *data, size_t len)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		abort();
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* Builds a journal from a recipe; returns its length in out. */
static size_t
build(const uint8_t *p, size_t len, uint8_t *out, size_t outsize)
{
	size_t		 o = FZ_HDR_SIZE, last = 0, plen;
	unsigned int	 nrec = 0, pick, mode;
	uint8_t		 sel;

	if (len < 1)
		return 0;
	mode = p[0] & 3;
	pick = p[0] >> 2;
	p++;
	len--;

	memset(out, 0, FZ_HDR_SIZE);
	memcpy(out, "MCGWJRNL", 8);
	put32(out + 8, 1);
	put32(out + 12, FZ_HDR_SIZE);
	put32(out + 20, 1764000000);
	put32(out + 28, journal_crc32c(0, out, 28));

	while (len >= 2 && outsize - o >= FZ_REC_HDR + 255) {
		sel = p[0];
		plen = p[1] < len - 2 ? p[1] : len - 2;
		p += 2;
		len -= 2;
		last = o;
		put32(out + o, plen);
		/* Mostly the known types at version 1, sometimes others. */
		out[o + 4] = 0;
		out[o + 5] = (sel & 0xc0) ? 1 + (sel & 3) % 3 : sel & 7;
		out[o + 6] = (sel & 0x30) ? 1 : sel >> 3;
		out[o + 7] = 0;
		memcpy(out + o + FZ_REC_HDR, p, plen);
		put32(out + o + 8, journal_crc32c(journal_crc32c(0,
		    out + o + 4, 4), out + o + FZ_REC_HDR, plen));
		/* The chosen record gets a wrong checksum. */
		if (mode == 2 && nrec == pick)
			out[o + 11] ^= 0x5a;
		o += FZ_REC_HDR + plen;
		p += plen;
		len -= plen;
		nrec++;
	}
	if (mode == 1 && nrec > 0)
		o -= 1 + pick % (o - last);
	else if (mode == 3)
		for (; pick-- > 0 && o < outsize; o++)
			out[o] = 0xa5;
	return o;
}

static void
replay(struct replay_sum *sum, off_t *size)
{
	struct journal		 j;
	struct journal_sink	 sink;
	struct stat		 st;
	int64_t			 n;

	memset(sum, 0, sizeof(*sum));
	memset(&sink, 0, sizeof(sink));
	sink.lease = lease_cb;
	sink.binding = binding_cb;
	sink.history = history_cb;
	sink.arg = sum;
	if (journal_open(&j, path) == -1)
		abort();
	n = journal_replay_all(&j, &sink);
	if (n == -1 || n != sum->n)
		abort();
	*size = j.size;
	/* Past the records, the file holds only preallocated zeros. */
	if (stat(path, &st) == -1 || st.st_size != j.alloc ||
	    j.size > j.alloc)
		abort();
	if (journal_close(&j) == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 out[FZ_MAX_INPUT + 4096];
	struct replay_sum	 s1, s2;
	off_t			 size1, size2;

	if (size > FZ_MAX_INPUT)
		return 0;
	make_dir();
	if (size > 0 && data[0] == FZ_STRUCTURED)
		write_file(out, build(data + 1, size - 1, out, sizeof(out)));
	else
		write_file(data, size);

	replay(&s1, &size1);
	replay(&s2, &size2);
	if (s1.n != s2.n || s1.nbind != s2.nbind ||
	    s1.digest != s2.digest || size1 != size2)
		abort();
	remove_dir();
	return 0;
}
