/*
 * gen-journal: writes a lease journal with N active leases, so that the
 * benchmark can time how long mcgwd takes to restore them at start.
 * The leases are consecutive addresses from FIRST, on interface IFNAME,
 * each with its own Ethernet address, and they end a day from now.
 *
 *	gen-journal PATH IFNAME FIRST N
 */

#include <sys/types.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcgw.h"
#include "../routed-engine/routed.h"

/* Records per write and fdatasync, as a busy server would batch them. */
#define BATCH		4096
#define LEASE_SECS	86400

static void	usage(void) __attribute__((__noreturn__));
static void	make_lease(struct imsg_lease4 *, const char *, uint32_t,
		    uint32_t, int64_t);

static void
usage(void)
{
	fprintf(stderr, "usage: gen-journal path ifname first count\n");
	exit(1);
}

static void
make_lease(struct imsg_lease4 *l, const char *ifname, uint32_t first,
    uint32_t i, int64_t now)
{
	memset(l, 0, sizeof(*l));
	l->addr.s_addr = htonl(first + i);
	strlcpy(l->ifname, ifname, sizeof(l->ifname));
	l->state = LEASE_ACTIVE;
	l->htype = 1;
	l->hlen = 6;
	/* A locally administered unicast address per lease. */
	l->chaddr[0] = 0x02;
	l->chaddr[1] = 0xbe;
	l->chaddr[2] = i >> 24;
	l->chaddr[3] = i >> 16;
	l->chaddr[4] = i >> 8;
	l->chaddr[5] = i;
	l->start = now;
	l->end = now + LEASE_SECS;
}

int
main(int argc, char *argv[])
{
	struct journal		 j;
	struct imsg_lease4	 l;
	struct in_addr		 first;
	const char		*errstr;
	uint32_t		 i, n;
	int64_t			 now;

	if (argc != 5)
		usage();
	if (strlen(argv[2]) >= IF_NAMESIZE)
		errx(1, "interface name too long: %s", argv[2]);
	if (inet_pton(AF_INET, argv[3], &first) != 1)
		errx(1, "bad address: %s", argv[3]);
	n = strtonum(argv[4], 1, 16000000, &errstr);
	if (errstr != NULL)
		errx(1, "count is %s: %s", errstr, argv[4]);

	log_init(1, 0, "gen-journal");
	if (unlink(argv[1]) == -1 && errno != ENOENT)
		err(1, "unlink %s", argv[1]);
	memset(&j, 0, sizeof(j));
	if (journal_open(&j, argv[1]) == -1)
		errx(1, "cannot create journal %s", argv[1]);
	now = time(NULL);
	for (i = 0; i < n; i++) {
		make_lease(&l, argv[2], ntohl(first.s_addr), i, now);
		if (journal_add_lease(&j, &l) == -1)
			errx(1, "journal_add_lease failed at lease %u", i);
		if ((i + 1) % BATCH == 0 && journal_commit(&j) == -1)
			errx(1, "journal_commit failed at lease %u", i);
	}
	if (journal_commit(&j) == -1 || journal_close(&j) == -1)
		errx(1, "cannot finish journal %s", argv[1]);
	return 0;
}
