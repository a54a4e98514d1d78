/*
 * Unit tests for the lease journal (routed-engine/journal.c).  Each
 * test runs in the fresh working directory that kyua gives it.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <atf-c.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcgw.h"
#include "../../routed-engine/routed.h"

#define JPATH		"leases.journal"
#define TABLE_SIZE	(1 << 17)
#define BASE_ADDR	0x0a000000	/* 10.0.0.0 */

/* Leases restored by a replay, indexed by the low bits of the address. */
struct table {
	struct imsg_lease4	*lease;
	uint8_t			*present;
	size_t			 count;
	size_t			 calls;
};

static struct table	*table_new(void);
static void		 table_free(struct table *);
static void		 table_apply(const struct imsg_lease4 *, void *);
static const struct imsg_lease4 *table_iter(void *);
static void		 make_lease(struct imsg_lease4 *, uint32_t, uint8_t,
			    int64_t);
static void		 write_leases(uint32_t, uint8_t, int64_t);
static struct table	*replay_all(struct journal *);
static off_t		 file_size(const char *);
static void		 patch_file(off_t, const void *, size_t);
static off_t		 last_record_offset(void);
static off_t		 record_offset(int);
static void		 flip_byte(off_t, unsigned char);
static int		 leases_from(struct table *, uint32_t, uint32_t,
			    int64_t);
static int		 count_set_aside(void);

static void		 test_init(size_t);

static uint32_t		 iter_pos;

/* Most cases check file sizes, so they grow the file by each batch. */
static void
test_init(size_t prealloc)
{
	log_init(1, 0, "t_journal");
	journal_prealloc = prealloc;
}

static struct table *
table_new(void)
{
	struct table	*t;

	ATF_REQUIRE((t = calloc(1, sizeof(*t))) != NULL);
	ATF_REQUIRE((t->lease = calloc(TABLE_SIZE, sizeof(*t->lease))) !=
	    NULL);
	ATF_REQUIRE((t->present = calloc(TABLE_SIZE, 1)) != NULL);
	return t;
}

static void
table_free(struct table *t)
{
	free(t->lease);
	free(t->present);
	free(t);
}

/* The same rule as routed: last record wins, LEASE_FREE removes. */
static void
table_apply(const struct imsg_lease4 *l, void *arg)
{
	struct table	*t = arg;
	uint32_t	 i = (ntohl(l->addr.s_addr) - BASE_ADDR) % TABLE_SIZE;

	t->calls++;
	if (l->state == LEASE_FREE) {
		if (t->present[i])
			t->count--;
		t->present[i] = 0;
		return;
	}
	if (!t->present[i])
		t->count++;
	t->present[i] = 1;
	t->lease[i] = *l;
}

static const struct imsg_lease4 *
table_iter(void *arg)
{
	struct table	*t = arg;

	for (; iter_pos < TABLE_SIZE; iter_pos++)
		if (t->present[iter_pos])
			return &t->lease[iter_pos++];
	return NULL;
}

static void
make_lease(struct imsg_lease4 *l, uint32_t i, uint8_t state, int64_t gen)
{
	memset(l, 0, sizeof(*l));
	l->addr.s_addr = htonl(BASE_ADDR + i);
	snprintf(l->ifname, sizeof(l->ifname), "lan%u", i % 3);
	l->state = state;
	l->htype = 1;
	l->hlen = 6;
	l->chaddr[0] = 0x02;
	l->chaddr[2] = i >> 24;
	l->chaddr[3] = i >> 16;
	l->chaddr[4] = i >> 8;
	l->chaddr[5] = i;
	if (i % 2) {
		l->cidlen = 7;
		l->cid[0] = 1;
		memcpy(l->cid + 1, l->chaddr, 6);
	}
	if (i % 5 == 0)
		l->cidlen = MCGW_MAX_CIDLEN;
	if (i % 3)
		snprintf(l->hostname, sizeof(l->hostname), "host-%u-%lld", i,
		    (long long)gen);
	l->start = 1700000000 + gen;
	l->end = l->start + 3600;
}

/* Appends leases 0 .. n-1 with the given state in one batch. */
static void
write_leases(uint32_t n, uint8_t state, int64_t gen)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	uint32_t		 i;

	ATF_REQUIRE(journal_open(&j, JPATH) == 0);
	ATF_REQUIRE(journal_replay(&j, NULL, NULL) >= 0);
	for (i = 0; i < n; i++) {
		make_lease(&l, i, state, gen);
		ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	}
	ATF_REQUIRE(journal_commit(&j) == 0);
	ATF_REQUIRE(journal_close(&j) == 0);
}

static struct table *
replay_all(struct journal *j)
{
	struct table	*t = table_new();

	ATF_REQUIRE(journal_open(j, JPATH) == 0);
	ATF_REQUIRE(journal_replay(j, table_apply, t) >= 0);
	return t;
}

static off_t
file_size(const char *path)
{
	struct stat	 st;

	ATF_REQUIRE(stat(path, &st) == 0);
	return st.st_size;
}

static void
patch_file(off_t off, const void *data, size_t len)
{
	int	 fd;

	ATF_REQUIRE((fd = open(JPATH, O_WRONLY)) != -1);
	ATF_REQUIRE(pwrite(fd, data, len, off) == (ssize_t)len);
	close(fd);
}

/* Walks the record lengths to find where the last record starts. */
static off_t
last_record_offset(void)
{
	unsigned char	 h[4];
	off_t		 off = 32, last = -1, size = file_size(JPATH);
	int		 fd;

	ATF_REQUIRE((fd = open(JPATH, O_RDONLY)) != -1);
	while (off + 12 <= size) {
		ATF_REQUIRE(pread(fd, h, 4, off) == 4);
		last = off;
		off += 12 + ((uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 |
		    h[3]);
	}
	close(fd);
	return last;
}

/* Walks the record lengths to find where record k (from 0) starts. */
static off_t
record_offset(int k)
{
	unsigned char	 h[4];
	off_t		 off = 32;
	int		 fd;

	ATF_REQUIRE((fd = open(JPATH, O_RDONLY)) != -1);
	while (k-- > 0) {
		ATF_REQUIRE(pread(fd, h, 4, off) == 4);
		off += 12 + ((uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 |
		    h[3]);
	}
	close(fd);
	return off;
}

static void
flip_byte(off_t off, unsigned char mask)
{
	unsigned char	 c;
	int		 fd;

	ATF_REQUIRE((fd = open(JPATH, O_RDWR)) != -1);
	ATF_REQUIRE(pread(fd, &c, 1, off) == 1);
	c ^= mask;
	ATF_REQUIRE(pwrite(fd, &c, 1, off) == 1);
	close(fd);
}

/* Counts the leases first .. last-1 of generation gen intact in t. */
static int
leases_from(struct table *t, uint32_t first, uint32_t last, int64_t gen)
{
	struct imsg_lease4	 l;
	uint32_t		 i;
	int			 n = 0;

	for (i = first; i < last; i++) {
		make_lease(&l, i, LEASE_ACTIVE, gen);
		if (t->present[i] &&
		    memcmp(&t->lease[i], &l, sizeof(l)) == 0)
			n++;
	}
	return n;
}

static int
count_set_aside(void)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	ATF_REQUIRE((d = opendir(".")) != NULL);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, JPATH ".corrupt.",
		    strlen(JPATH ".corrupt.")) == 0)
			n++;
	closedir(d);
	return n;
}

ATF_TC_WITHOUT_HEAD(journal_create_missing);
ATF_TC_BODY(journal_create_missing, tc)
{
	struct journal	 j;

	test_init(0);
	ATF_REQUIRE(journal_open(&j, JPATH) == 0);
	ATF_CHECK_EQ(journal_replay(&j, NULL, NULL), 0);
	ATF_CHECK_EQ(file_size(JPATH), 32);
	ATF_CHECK_EQ(journal_close(&j), 0);
	ATF_CHECK(access(JPATH ".tmp", F_OK) == -1);
}

ATF_TC_WITHOUT_HEAD(journal_replay_last_wins);
ATF_TC_BODY(journal_replay_last_wins, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;
	uint32_t		 i;

	test_init(0);
	write_leases(100, LEASE_ACTIVE, 1);
	write_leases(50, LEASE_RELEASED, 2);
	write_leases(10, LEASE_FREE, 3);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->calls, 160);
	ATF_CHECK_EQ(t->count, 90);
	ATF_CHECK_EQ(j.records, 160);
	for (i = 0; i < 100; i++) {
		if (i < 10) {
			ATF_CHECK_MSG(!t->present[i], "lease %u not freed", i);
			continue;
		}
		make_lease(&l, i, i < 50 ? LEASE_RELEASED : LEASE_ACTIVE,
		    i < 50 ? 2 : 1);
		ATF_CHECK_MSG(t->present[i], "lease %u missing", i);
		ATF_CHECK_MSG(memcmp(&t->lease[i], &l, sizeof(l)) == 0,
		    "lease %u differs", i);
	}
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_torn_tail);
ATF_TC_BODY(journal_torn_tail, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;
	off_t			 last, size;

	test_init(0);
	write_leases(10, LEASE_ACTIVE, 1);
	last = last_record_offset();
	size = file_size(JPATH);
	ATF_REQUIRE(truncate(JPATH, size - 5) == 0);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 9);
	ATF_CHECK(!t->present[9]);
	ATF_CHECK_EQ(file_size(JPATH), last);

	/* An append after the cut must replay cleanly. */
	make_lease(&l, 9, LEASE_ACTIVE, 7);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_REQUIRE(journal_commit(&j) == 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	size = file_size(JPATH);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK(memcmp(&t->lease[9], &l, sizeof(l)) == 0);
	ATF_CHECK_EQ(file_size(JPATH), size);
	ATF_CHECK_EQ(j.records, 10);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_short_header_tail);
ATF_TC_BODY(journal_short_header_tail, tc)
{
	struct journal	 j;
	struct table	*t;
	off_t		 last;

	test_init(0);
	write_leases(10, LEASE_ACTIVE, 1);
	last = last_record_offset();
	ATF_REQUIRE(truncate(JPATH, last + 5) == 0);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 9);
	ATF_CHECK_EQ(file_size(JPATH), last);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_crc_mismatch);
ATF_TC_BODY(journal_crc_mismatch, tc)
{
	struct journal	 j;
	struct table	*t;
	unsigned char	 c;
	off_t		 last;
	int		 fd;

	test_init(0);
	write_leases(10, LEASE_ACTIVE, 1);
	last = last_record_offset();
	ATF_REQUIRE((fd = open(JPATH, O_RDONLY)) != -1);
	ATF_REQUIRE(pread(fd, &c, 1, last + 20) == 1);
	close(fd);
	c ^= 0x40;
	patch_file(last + 20, &c, 1);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 9);
	ATF_CHECK(!t->present[9]);
	ATF_CHECK_EQ(file_size(JPATH), last);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_garbage_length);
ATF_TC_BODY(journal_garbage_length, tc)
{
	struct journal	 j;
	struct table	*t;
	unsigned char	 huge[4] = { 0xff, 0xff, 0xff, 0xf0 };
	unsigned char	 past[4] = { 0x00, 0x00, 0x10, 0x00 };
	off_t		 last;

	test_init(0);
	write_leases(10, LEASE_ACTIVE, 1);
	last = last_record_offset();
	patch_file(last, huge, sizeof(huge));

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 9);
	ATF_CHECK_EQ(file_size(JPATH), last);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);

	/* A length under the maximum that runs past the end of file. */
	last = last_record_offset();
	patch_file(last, past, sizeof(past));
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 8);
	ATF_CHECK_EQ(file_size(JPATH), last);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_unknown_type);
ATF_TC_BODY(journal_unknown_type, tc)
{
	struct journal	 j;
	struct table	*t;
	unsigned char	 rec[12 + 5] = { 0, 0, 0, 5, 0, 99, 1, 0 };
	uint32_t	 crc;
	off_t		 size;
	int		 fd;

	test_init(0);
	write_leases(5, LEASE_ACTIVE, 1);
	memcpy(rec + 12, "hello", 5);
	crc = journal_crc32c(journal_crc32c(0, rec + 4, 4), rec + 12, 5);
	rec[8] = crc >> 24;
	rec[9] = crc >> 16;
	rec[10] = crc >> 8;
	rec[11] = crc;
	ATF_REQUIRE((fd = open(JPATH, O_WRONLY | O_APPEND)) != -1);
	ATF_REQUIRE(write(fd, rec, sizeof(rec)) == (ssize_t)sizeof(rec));
	close(fd);
	write_leases(10, LEASE_DECLINED, 2);
	size = file_size(JPATH);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK_EQ(t->lease[9].state, LEASE_DECLINED);
	ATF_CHECK_EQ(j.records, 16);
	ATF_CHECK_EQ(j.skipped, 1);
	ATF_CHECK_EQ(file_size(JPATH), size);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_header_damage);
ATF_TC_BODY(journal_header_damage, tc)
{
	struct journal	 j;
	struct table	*t;
	const off_t	 where[] = { 0, 7, 9, 13, 20, 25, 30 };
	size_t		 i;

	/* One damaged byte anywhere in the header costs no record. */
	test_init(0);
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		write_leases(10, LEASE_ACTIVE, 1);
		flip_byte(where[i], 0x10);
		t = replay_all(&j);
		ATF_CHECK_EQ_MSG(t->count, 10, "header byte %lld",
		    (long long)where[i]);
		ATF_CHECK_EQ(j.damaged, 1);
		ATF_CHECK(journal_need_compact(&j, t->count));
		ATF_CHECK_EQ(journal_close(&j), 0);
		table_free(t);
		ATF_REQUIRE(unlink(JPATH) == 0);
	}
	ATF_CHECK_EQ(count_set_aside(), 0);
}

ATF_TC_WITHOUT_HEAD(journal_header_rewritten);
ATF_TC_BODY(journal_header_rewritten, tc)
{
	struct journal	 j;
	struct table	*t;

	/* The whole header lost, then a snapshot writes a good one. */
	test_init(0);
	write_leases(10, LEASE_ACTIVE, 1);
	patch_file(0, "NOTAJRNL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\0\0\0\0\0\0", 32);
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	iter_pos = 0;
	ATF_REQUIRE(journal_compact(&j, table_iter, t) == 0);
	ATF_CHECK_EQ(j.damaged, 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK_EQ(j.damaged, 0);
	ATF_CHECK(j.hdr_damage == NULL);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	ATF_CHECK_EQ(count_set_aside(), 0);
}

ATF_TC_WITHOUT_HEAD(journal_garbage_header);
ATF_TC_BODY(journal_garbage_header, tc)
{
	struct journal	 j;
	struct table	*t;
	unsigned char	 junk[4096];
	uint32_t	 crc;
	size_t		 i;
	int		 fd;

	/* A file that is no journal, and no record in it passes. */
	test_init(0);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = "not a journal"[i % 13];
	ATF_REQUIRE((fd = open(JPATH, O_WRONLY | O_CREAT, 0600)) != -1);
	ATF_REQUIRE(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 0);
	ATF_CHECK_EQ(file_size(JPATH), 32);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	ATF_CHECK_EQ(count_set_aside(), 1);

	/* The new journal works. */
	write_leases(3, LEASE_ACTIVE, 2);
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 3);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);

	/*
	 * A header that passes its checksum but names another version was
	 * written so: set aside, and a second one in the same second keeps
	 * both copies.
	 */
	patch_file(8, "\0\0\0\7", 4);
	ATF_REQUIRE((fd = open(JPATH, O_RDONLY)) != -1);
	ATF_REQUIRE(pread(fd, junk, 28, 0) == 28);
	close(fd);
	crc = journal_crc32c(0, junk, 28);
	junk[0] = crc >> 24;
	junk[1] = crc >> 16;
	junk[2] = crc >> 8;
	junk[3] = crc;
	patch_file(28, junk, 4);
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	ATF_CHECK_EQ(count_set_aside(), 2);
}

ATF_TC_WITHOUT_HEAD(journal_header_empty);
ATF_TC_BODY(journal_header_empty, tc)
{
	struct journal	 j;
	struct table	*t;

	/* A damaged header on a journal with no record: nothing to keep. */
	test_init(4096);
	write_leases(0, LEASE_ACTIVE, 1);
	flip_byte(3, 0x01);
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	ATF_CHECK_EQ(count_set_aside(), 1);
}

ATF_TC_WITHOUT_HEAD(journal_resync_payload);
ATF_TC_BODY(journal_resync_payload, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;
	off_t			 size;

	/* A flipped byte inside record 50 of 100. */
	test_init(0);
	write_leases(100, LEASE_ACTIVE, 1);
	size = file_size(JPATH);
	flip_byte(record_offset(50) + 20, 0x04);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 99);
	ATF_CHECK(!t->present[50]);
	ATF_CHECK_EQ(leases_from(t, 51, 100, 1), 49);
	ATF_CHECK_EQ(j.records, 99);
	ATF_CHECK_EQ(j.size, size);
	ATF_CHECK_EQ(file_size(JPATH), size);
	ATF_CHECK_EQ(j.damaged, 1);

	/* Appends go after the last good record, past the damage. */
	make_lease(&l, 50, LEASE_ACTIVE, 2);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_REQUIRE(journal_commit(&j) == 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 100);
	ATF_CHECK(memcmp(&t->lease[50], &l, sizeof(l)) == 0);
	ATF_CHECK_EQ(leases_from(t, 51, 100, 1), 49);

	/* The snapshot that follows leaves the damage behind. */
	iter_pos = 0;
	ATF_REQUIRE(journal_compact(&j, table_iter, t) == 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 100);
	ATF_CHECK_EQ(j.damaged, 0);
	ATF_CHECK(!journal_need_compact(&j, t->count));
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_resync_length);
ATF_TC_BODY(journal_resync_length, tc)
{
	struct journal	 j;
	struct table	*t;
	const struct {
		int		 byte;
		unsigned char	 mask;
	} flips[] = {
		{ 0, 0x80 }, { 1, 0x01 }, { 2, 0x02 }, { 3, 0x40 },
		{ 3, 0x01 }, { 3, 0x80 }, { 2, 0x10 }
	};
	size_t		 i;

	/*
	 * A damaged length makes the record's end unknown, shorter or
	 * longer: every other record must come back all the same.
	 */
	test_init(0);
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		write_leases(100, LEASE_ACTIVE, 1);
		flip_byte(record_offset(40) + flips[i].byte, flips[i].mask);
		t = replay_all(&j);
		ATF_CHECK_EQ_MSG(t->count, 99, "flip %zu", i);
		ATF_CHECK_EQ_MSG(leases_from(t, 0, 40, 1), 40, "flip %zu", i);
		ATF_CHECK_EQ_MSG(leases_from(t, 41, 100, 1), 59, "flip %zu",
		    i);
		ATF_CHECK_EQ(journal_close(&j), 0);
		table_free(t);
		ATF_REQUIRE(unlink(JPATH) == 0);
	}
}

ATF_TC_WITHOUT_HEAD(journal_resync_several);
ATF_TC_BODY(journal_resync_several, tc)
{
	struct journal		 j;
	struct table		*t;
	unsigned char		 zeros[100];
	const unsigned char	 junk[7] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };
	off_t			 size, r100, r500, r900;

	/* A flipped byte, a zeroed block and a burst of junk. */
	test_init(4096);
	write_leases(1000, LEASE_ACTIVE, 1);
	size = file_size(JPATH);
	r100 = record_offset(100);
	r500 = record_offset(500);
	r900 = record_offset(900);
	memset(zeros, 0, sizeof(zeros));
	flip_byte(r100 + 30, 0xff);
	patch_file(r500 + 3, zeros, sizeof(zeros));
	patch_file(r900 + 9, junk, sizeof(junk));

	/* Each damage stays inside one record. */
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 997);
	ATF_CHECK_EQ(leases_from(t, 0, 100, 1), 100);
	ATF_CHECK_EQ(leases_from(t, 101, 500, 1), 399);
	ATF_CHECK_EQ(leases_from(t, 501, 900, 1), 399);
	ATF_CHECK_EQ(leases_from(t, 901, 1000, 1), 99);
	ATF_CHECK_EQ(file_size(JPATH), size);
	ATF_CHECK_EQ(j.damaged, 1);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_damaged_last);
ATF_TC_BODY(journal_damaged_last, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;
	off_t			 last;

	/* The last record is damaged and zeros follow it. */
	test_init(4096);
	write_leases(10, LEASE_ACTIVE, 1);
	t = replay_all(&j);
	last = record_offset(9);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	flip_byte(last + 15, 0x20);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 9);
	ATF_CHECK(!t->present[9]);
	ATF_CHECK_EQ(j.size, last);
	ATF_CHECK_EQ(j.damaged, 0);
	make_lease(&l, 9, LEASE_ACTIVE, 2);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_REQUIRE(journal_commit(&j) == 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK(memcmp(&t->lease[9], &l, sizeof(l)) == 0);
	ATF_CHECK_EQ(j.records, 10);
	ATF_CHECK_EQ(j.damaged, 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_torn_batch);
ATF_TC_BODY(journal_torn_batch, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;
	unsigned char		 zeros[4096];
	off_t			 cut;

	/*
	 * A crash in the middle of a batch of 20: record 14 lost its end
	 * and the rest of the batch never reached the disk.
	 */
	test_init(8192);
	write_leases(10, LEASE_ACTIVE, 1);
	write_leases(20, LEASE_ACTIVE, 2);
	cut = record_offset(24);
	memset(zeros, 0, sizeof(zeros));
	patch_file(cut + 20, zeros, record_offset(30) - cut - 20);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 14);
	ATF_CHECK_EQ(leases_from(t, 0, 14, 2), 14);
	ATF_CHECK_EQ(j.records, 24);
	ATF_CHECK_EQ(j.size, cut);
	ATF_CHECK_EQ(j.damaged, 0);
	make_lease(&l, 14, LEASE_ACTIVE, 3);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_REQUIRE(journal_commit(&j) == 0);
	ATF_CHECK_EQ(j.size, record_offset(25));
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 15);
	ATF_CHECK(memcmp(&t->lease[14], &l, sizeof(l)) == 0);
	ATF_CHECK_EQ(j.records, 25);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_resync_100k);
ATF_TC_BODY(journal_resync_100k, tc)
{
	struct journal	 j;
	struct table	*t;
	unsigned char	 h[4];
	off_t		 off = 32, size;
	int		 fd, k;

	/* Replay stays fast with damage every thousand records. */
	test_init(0);
	write_leases(100000, LEASE_ACTIVE, 1);
	size = file_size(JPATH);
	ATF_REQUIRE((fd = open(JPATH, O_RDWR)) != -1);
	for (k = 0; off < size; k++) {
		ATF_REQUIRE(pread(fd, h, 4, off) == 4);
		if (k % 1000 == 500) {
			h[1] ^= 0x08;
			ATF_REQUIRE(pwrite(fd, h, 4, off) == 4);
			h[1] ^= 0x08;
		}
		off += 12 + ((uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 |
		    h[3]);
	}
	close(fd);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 100000 - 100);
	ATF_CHECK_EQ(j.records, 100000 - 100);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_compaction);
ATF_TC_BODY(journal_compaction, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t, *t2;
	off_t			 before;
	int64_t			 gen;
	uint32_t		 i;

	test_init(0);
	for (gen = 0; gen < 200; gen++)
		write_leases(20, LEASE_ACTIVE, gen);
	write_leases(5, LEASE_FREE, 200);
	before = file_size(JPATH);

	t = replay_all(&j);
	ATF_REQUIRE_EQ(t->count, 15);
	ATF_CHECK(journal_need_compact(&j, t->count));
	iter_pos = 0;
	ATF_REQUIRE(journal_compact(&j, table_iter, t) == 0);
	ATF_CHECK_EQ(j.records, 15);
	ATF_CHECK(file_size(JPATH) < before / 50);
	ATF_CHECK(!journal_need_compact(&j, t->count));

	/* Appends continue on the new file. */
	make_lease(&l, 0, LEASE_ACTIVE, 999);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_REQUIRE(journal_commit(&j) == 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	ATF_CHECK(access(JPATH ".tmp", F_OK) == -1);

	t2 = replay_all(&j);
	ATF_CHECK_EQ(t2->count, 16);
	ATF_CHECK_EQ(j.records, 16);
	ATF_CHECK(memcmp(&t2->lease[0], &l, sizeof(l)) == 0);
	for (i = 5; i < 20; i++) {
		make_lease(&l, i, LEASE_ACTIVE, 199);
		ATF_CHECK_MSG(memcmp(&t2->lease[i], &l, sizeof(l)) == 0,
		    "lease %u differs after compaction", i);
	}
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	table_free(t2);
}

ATF_TC_WITHOUT_HEAD(journal_commit_failure);
ATF_TC_BODY(journal_commit_failure, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct rlimit		 rl, old;
	struct table		*t;
	off_t			 size;
	uint32_t		 i;

	test_init(0);
	write_leases(10, LEASE_ACTIVE, 1);
	size = file_size(JPATH);

	/* A file size limit simulates a full disk. */
	signal(SIGXFSZ, SIG_IGN);
	ATF_REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
	ATF_REQUIRE(journal_open(&j, JPATH) == 0);
	ATF_REQUIRE(journal_replay(&j, NULL, NULL) == 10);
	rl = old;
	rl.rlim_cur = size + 100;
	ATF_REQUIRE(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	for (i = 100; i < 200; i++) {
		make_lease(&l, i, LEASE_ACTIVE, 2);
		ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	}
	ATF_CHECK_EQ(journal_commit(&j), -1);
	ATF_CHECK_EQ(file_size(JPATH), size);

	/* The next batch succeeds once there is room again. */
	ATF_REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);
	make_lease(&l, 50, LEASE_ACTIVE, 3);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_CHECK_EQ(journal_commit(&j), 0);
	ATF_CHECK_EQ(journal_close(&j), 0);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 11);
	ATF_CHECK(t->present[50]);
	ATF_CHECK(!t->present[100]);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_replay_100k);
ATF_TC_BODY(journal_replay_100k, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;
	uint32_t		 i, bad = 0;

	test_init(0);
	write_leases(100000, LEASE_ACTIVE, 1);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 100000);
	ATF_CHECK_EQ(j.records, 100000);
	for (i = 0; i < 100000; i++) {
		make_lease(&l, i, LEASE_ACTIVE, 1);
		if (!t->present[i] ||
		    memcmp(&t->lease[i], &l, sizeof(l)) != 0)
			bad++;
	}
	ATF_CHECK_EQ(bad, 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_decode_limits);
ATF_TC_BODY(journal_decode_limits, tc)
{
	struct imsg_lease4	 l, out;
	unsigned char		 buf[1024];
	size_t			 n, k;

	make_lease(&l, 5, LEASE_ACTIVE, 1);
	ATF_REQUIRE((n = journal_encode_lease(buf, sizeof(buf), &l)) > 0);
	ATF_CHECK_EQ(journal_decode_lease(buf, n, &out), 0);
	ATF_CHECK(memcmp(&l, &out, sizeof(l)) == 0);
	/* Every shorter payload is rejected. */
	for (k = 0; k < n; k++)
		ATF_CHECK_MSG(journal_decode_lease(buf, k, &out) == -1,
		    "length %zu accepted", k);
	/* Bytes appended by a later writer are ignored. */
	ATF_CHECK_EQ(journal_decode_lease(buf, n + 8, &out), 0);
	/* An hlen over 16 is rejected. */
	buf[6] = 17;
	ATF_CHECK_EQ(journal_decode_lease(buf, n, &out), -1);
	ATF_CHECK_EQ(journal_encode_lease(buf, 10, &l), 0);
}

static void
make_binding(struct imsg_binding *b, const char *sid, uint8_t reason)
{
	memset(b, 0, sizeof(*b));
	strlcpy(b->service_id, sid, sizeof(b->service_id));
	strlcpy(b->ifname, "lan0", sizeof(b->ifname));
	b->mode = MODE_NAT;
	b->hlen = 6;
	memset(b->hwaddr, 0xab, 6);
	b->cidlen = 3;
	memcpy(b->cid, "\x01\x02\x03", 3);
	b->end_reason = reason;
	b->local4.s_addr = htonl(0x0a141e64);
	b->ue4.s_addr = htonl(0xc0000201);
	b->ue6.s6_addr[15] = 1;
	b->port_first = 20000;
	b->port_last = 20999;
	b->authorised = 1764000000;
	b->refreshed = 1764000100;
	b->expires = 1764003700;
}

ATF_TC_WITHOUT_HEAD(journal_binding_roundtrip);
ATF_TC_BODY(journal_binding_roundtrip, tc)
{
	struct imsg_binding		 b, d;
	struct imsg_binding_history	 h, hd;
	unsigned char			 buf[2048];
	size_t				 n;

	make_binding(&b, "sip:alice@mc.example", 0);
	n = journal_encode_binding(buf, sizeof(buf), &b);
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(journal_decode_binding(buf, n, &d), 0);
	ATF_CHECK(memcmp(&b, &d, sizeof(b)) == 0);
	ATF_CHECK_EQ(journal_decode_binding(buf, n - 1, &d), -1);
	ATF_CHECK_EQ(journal_encode_binding(buf, n - 1, &b), 0);

	memset(&h, 0, sizeof(h));
	strlcpy(h.service_id, "sip:bob@mc.example", sizeof(h.service_id));
	h.local4 = b.local4;
	h.ue4 = b.ue4;
	h.port_first = 1;
	h.port_last = 2;
	h.end_reason = 3;
	h.start = 10;
	h.end = 20;
	n = journal_encode_history(buf, sizeof(buf), &h);
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(journal_decode_history(buf, n, &hd), 0);
	ATF_CHECK(memcmp(&h, &hd, sizeof(h)) == 0);
	ATF_CHECK_EQ(journal_decode_history(buf, n - 1, &hd), -1);
}

static int	nbind, nhist, nlive;

static void
count_binding(const struct imsg_binding *b, void *arg)
{
	(void)arg;
	nbind++;
	if (b->end_reason == 0)
		nlive++;
}

static void
count_history(const struct imsg_binding_history *h, void *arg)
{
	(void)h;
	(void)arg;
	nhist++;
}

ATF_TC_WITHOUT_HEAD(journal_binding_records);
ATF_TC_BODY(journal_binding_records, tc)
{
	struct journal			 j;
	struct journal_sink		 sink;
	struct imsg_binding		 b;
	struct imsg_binding_history	 h;
	struct table			*t;

	test_init(0);
	write_leases(3, LEASE_ACTIVE, 1);
	ATF_REQUIRE_EQ(journal_open(&j, JPATH), 0);
	ATF_REQUIRE(journal_replay(&j, NULL, NULL) >= 0);
	make_binding(&b, "sip:alice@mc.example", 0);
	ATF_REQUIRE_EQ(journal_add_binding(&j, &b), 0);
	memset(&h, 0, sizeof(h));
	strlcpy(h.service_id, b.service_id, sizeof(h.service_id));
	h.start = b.authorised;
	ATF_REQUIRE_EQ(journal_add_history(&j, &h), 0);
	b.end_reason = 1;
	ATF_REQUIRE_EQ(journal_add_binding(&j, &b), 0);
	ATF_REQUIRE_EQ(journal_commit(&j), 0);
	ATF_CHECK_EQ(journal_close(&j), 0);

	/* A lease-only reader skips binding records without complaint. */
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 3);
	ATF_CHECK_EQ(j.skipped, 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);

	ATF_REQUIRE_EQ(journal_open(&j, JPATH), 0);
	memset(&sink, 0, sizeof(sink));
	sink.binding = count_binding;
	sink.history = count_history;
	ATF_CHECK_EQ(journal_replay_all(&j, &sink), 3);
	ATF_CHECK_EQ(nbind, 2);
	ATF_CHECK_EQ(nlive, 1);
	ATF_CHECK_EQ(nhist, 1);
	ATF_CHECK_EQ(journal_close(&j), 0);
}

ATF_TC_WITHOUT_HEAD(journal_prealloc_tail);
ATF_TC_BODY(journal_prealloc_tail, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;
	off_t			 end;

	test_init(4096);
	write_leases(10, LEASE_ACTIVE, 1);
	ATF_CHECK_EQ(file_size(JPATH), 4096);

	/* The zeros are free space: no cut, and appends go before them. */
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK_EQ(file_size(JPATH), 4096);
	end = j.size;
	ATF_CHECK(end < 4096);
	make_lease(&l, 20, LEASE_ACTIVE, 2);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_REQUIRE(journal_commit(&j) == 0);
	ATF_CHECK(j.size > end);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 11);
	ATF_CHECK(memcmp(&t->lease[20], &l, sizeof(l)) == 0);
	ATF_CHECK_EQ(j.records, 11);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_prealloc_grow);
ATF_TC_BODY(journal_prealloc_grow, tc)
{
	struct journal	 j;
	struct table	*t;

	/* Each of 200 records takes more than 20 bytes. */
	test_init(4096);
	write_leases(200, LEASE_ACTIVE, 1);
	ATF_CHECK(file_size(JPATH) > 4096);
	ATF_CHECK_EQ(file_size(JPATH) % 4096, 0);
	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 200);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_prealloc_torn);
ATF_TC_BODY(journal_prealloc_torn, tc)
{
	struct journal		 j;
	struct table		*t;
	const unsigned char	 junk[3] = { 1, 2, 3 };
	off_t			 end;

	/* A crash let a later page of an unsynced batch reach the disk. */
	test_init(4096);
	write_leases(10, LEASE_ACTIVE, 1);
	t = replay_all(&j);
	end = j.size;
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	patch_file(end + 1000, junk, sizeof(junk));

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK_EQ(j.size, end);
	ATF_CHECK_EQ(file_size(JPATH), end);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_prealloc_torn_record);
ATF_TC_BODY(journal_prealloc_torn_record, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;
	const unsigned char	 zeros[8] = { 0 };
	off_t			 end;

	/* A crash inside the zeros: the last record lost its tail. */
	test_init(4096);
	write_leases(10, LEASE_ACTIVE, 1);
	t = replay_all(&j);
	end = j.size;
	make_lease(&l, 30, LEASE_ACTIVE, 2);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_REQUIRE(journal_commit(&j) == 0);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	patch_file(end + 20, zeros, sizeof(zeros));

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK(!t->present[30]);
	ATF_CHECK_EQ(file_size(JPATH), end);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_prealloc_short_zeros);
ATF_TC_BODY(journal_prealloc_short_zeros, tc)
{
	struct journal	 j;
	struct table	*t;
	off_t		 end;

	/* A cut inside the zeros leaves fewer than a record header. */
	test_init(4096);
	write_leases(10, LEASE_ACTIVE, 1);
	t = replay_all(&j);
	end = j.size;
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
	ATF_REQUIRE(truncate(JPATH, end + 5) == 0);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK_EQ(file_size(JPATH), end + 5);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TC_WITHOUT_HEAD(journal_commit_needs_replay);
ATF_TC_BODY(journal_commit_needs_replay, tc)
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct table		*t;

	test_init(4096);
	write_leases(10, LEASE_ACTIVE, 1);
	ATF_REQUIRE(journal_open(&j, JPATH) == 0);
	make_lease(&l, 40, LEASE_ACTIVE, 2);
	ATF_REQUIRE(journal_add_lease(&j, &l) == 0);
	ATF_CHECK_EQ(journal_commit(&j), -1);
	ATF_CHECK_EQ(journal_close(&j), 0);

	t = replay_all(&j);
	ATF_CHECK_EQ(t->count, 10);
	ATF_CHECK_EQ(journal_close(&j), 0);
	table_free(t);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, journal_prealloc_tail);
	ATF_TP_ADD_TC(tp, journal_prealloc_grow);
	ATF_TP_ADD_TC(tp, journal_prealloc_torn);
	ATF_TP_ADD_TC(tp, journal_prealloc_torn_record);
	ATF_TP_ADD_TC(tp, journal_prealloc_short_zeros);
	ATF_TP_ADD_TC(tp, journal_commit_needs_replay);
	ATF_TP_ADD_TC(tp, journal_binding_roundtrip);
	ATF_TP_ADD_TC(tp, journal_binding_records);
	ATF_TP_ADD_TC(tp, journal_create_missing);
	ATF_TP_ADD_TC(tp, journal_replay_last_wins);
	ATF_TP_ADD_TC(tp, journal_torn_tail);
	ATF_TP_ADD_TC(tp, journal_short_header_tail);
	ATF_TP_ADD_TC(tp, journal_crc_mismatch);
	ATF_TP_ADD_TC(tp, journal_garbage_length);
	ATF_TP_ADD_TC(tp, journal_unknown_type);
	ATF_TP_ADD_TC(tp, journal_garbage_header);
	ATF_TP_ADD_TC(tp, journal_header_damage);
	ATF_TP_ADD_TC(tp, journal_header_rewritten);
	ATF_TP_ADD_TC(tp, journal_header_empty);
	ATF_TP_ADD_TC(tp, journal_resync_payload);
	ATF_TP_ADD_TC(tp, journal_resync_length);
	ATF_TP_ADD_TC(tp, journal_resync_several);
	ATF_TP_ADD_TC(tp, journal_damaged_last);
	ATF_TP_ADD_TC(tp, journal_torn_batch);
	ATF_TP_ADD_TC(tp, journal_resync_100k);
	ATF_TP_ADD_TC(tp, journal_compaction);
	ATF_TP_ADD_TC(tp, journal_commit_failure);
	ATF_TP_ADD_TC(tp, journal_replay_100k);
	ATF_TP_ADD_TC(tp, journal_decode_limits);
	return atf_no_error();
}
