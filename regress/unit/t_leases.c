/*
 * Unit tests for routed's in-memory lease table: every record comes
 * back from the table as it went in, whichever way the entry stores
 * its client identifier and host name.
 */

#include <sys/types.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <atf-c.h>

#include "../../routed-engine/routed.h"

static void
mkrecord(struct imsg_lease4 *l, uint32_t addr, uint8_t state)
{
	memset(l, 0, sizeof(*l));
	l->addr.s_addr = htonl(addr);
	strlcpy(l->ifname, "lan0", sizeof(l->ifname));
	l->state = state;
	l->htype = 1;
	l->hlen = 6;
	memcpy(l->chaddr, "\x02\x00\x00\x00\x00\x01", 6);
	l->chaddr[5] = addr & 0xff;
	l->start = 1000;
	l->end = 4600;
}

/* The record that the table returns for l's address equals l. */
static void
check_round_trip(const struct imsg_lease4 *l)
{
	const struct imsg_lease4 *got;

	lease_update(l);
	got = lease_find(l->addr);
	ATF_REQUIRE(got != NULL);
	ATF_CHECK_EQ(got->cidlen, l->cidlen);
	ATF_CHECK(memcmp(got->cid, l->cid, sizeof(l->cid)) == 0);
	ATF_CHECK_STREQ(got->hostname, l->hostname);
	ATF_CHECK_STREQ(got->ifname, l->ifname);
	ATF_CHECK_EQ(got->htype, l->htype);
	ATF_CHECK_EQ(got->hlen, l->hlen);
	ATF_CHECK(memcmp(got->chaddr, l->chaddr, sizeof(l->chaddr)) == 0);
	ATF_CHECK_EQ(got->state, l->state);
	ATF_CHECK_EQ(got->start, l->start);
	ATF_CHECK_EQ(got->end, l->end);
}

ATF_TC_WITHOUT_HEAD(leases_client_id_forms);
ATF_TC_BODY(leases_client_id_forms, tc)
{
	struct imsg_lease4 l;
	size_t		 i;

	leases_init();

	/* No client identifier. */
	mkrecord(&l, 0x0a000001, LEASE_ACTIVE);
	check_round_trip(&l);

	/* htype then chaddr: kept as a flag. */
	mkrecord(&l, 0x0a000002, LEASE_ACTIVE);
	l.cidlen = 7;
	l.cid[0] = 1;
	memcpy(l.cid + 1, l.chaddr, 6);
	check_round_trip(&l);

	/* The same with a host name after it. */
	mkrecord(&l, 0x0a000003, LEASE_ACTIVE);
	l.cidlen = 7;
	l.cid[0] = 1;
	memcpy(l.cid + 1, l.chaddr, 6);
	strlcpy(l.hostname, "cam1", sizeof(l.hostname));
	check_round_trip(&l);

	/* Shorter than htype and chaddr, but a prefix of them. */
	mkrecord(&l, 0x0a000004, LEASE_ACTIVE);
	l.cidlen = 3;
	l.cid[0] = 1;
	memcpy(l.cid + 1, l.chaddr, 2);
	check_round_trip(&l);

	/* Type 1 and the MAC, but the packet's htype is another. */
	mkrecord(&l, 0x0a000005, LEASE_ACTIVE);
	l.htype = 6;
	l.cidlen = 7;
	l.cid[0] = 1;
	memcpy(l.cid + 1, l.chaddr, 6);
	check_round_trip(&l);

	/* A DUID-style identifier of 19 octets and a host name. */
	mkrecord(&l, 0x0a000006, LEASE_ACTIVE);
	l.cidlen = 19;
	l.cid[0] = 0xff;
	for (i = 1; i < l.cidlen; i++)
		l.cid[i] = i;
	strlcpy(l.hostname, "laptop-7", sizeof(l.hostname));
	check_round_trip(&l);

	/* One octet longer than htype and chaddr. */
	mkrecord(&l, 0x0a000007, LEASE_ACTIVE);
	l.cidlen = 8;
	l.cid[0] = 1;
	memcpy(l.cid + 1, l.chaddr, 6);
	l.cid[7] = 9;
	check_round_trip(&l);

	/* An update changes the form: flag to copy and back. */
	mkrecord(&l, 0x0a000002, LEASE_ACTIVE);
	l.cidlen = 4;
	memcpy(l.cid, "\x00\x01\x02\x03", 4);
	check_round_trip(&l);
	mkrecord(&l, 0x0a000002, LEASE_EXPIRED);
	l.cidlen = 7;
	l.cid[0] = 1;
	memcpy(l.cid + 1, l.chaddr, 6);
	check_round_trip(&l);

	ATF_CHECK_EQ(leases_total(), 7);
	ATF_CHECK_EQ(leases_active(), 6);
}

ATF_TC_WITHOUT_HEAD(leases_order_and_free);
ATF_TC_BODY(leases_order_and_free, tc)
{
	struct imsg_lease4 l;
	const struct imsg_lease4 *got;
	uint32_t	 a, n = 0, prev = 0;

	leases_init();
	for (a = 0x0a000164; a > 0x0a000100; a--) {
		mkrecord(&l, a, LEASE_ACTIVE);
		lease_update(&l);
	}
	mkrecord(&l, 0x0a000110, LEASE_FREE);
	lease_update(&l);
	ATF_CHECK_EQ(leases_total(), 99);
	ATF_CHECK_EQ(leases_active(), 99);
	ATF_CHECK(lease_find(l.addr) == NULL);
	for (got = lease_first(); got != NULL;
	    got = lease_next(ntohl(got->addr.s_addr))) {
		ATF_CHECK(ntohl(got->addr.s_addr) > prev);
		prev = ntohl(got->addr.s_addr);
		n++;
	}
	ATF_CHECK_EQ(n, 99);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, leases_client_id_forms);
	ATF_TP_ADD_TC(tp, leases_order_and_free);
	return atf_no_error();
}
