/*
 * Unit tests for the DHCPv4 parser and reply builder.
 */

#include <sys/types.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <atf-c.h>

#include "../../dhcpd-engine/dhcpd.h"

static struct dhcp4_packet pkt;

/* Builds a BOOTREQUEST with opts in the options field. */
static size_t
mkreq(uint8_t *buf, size_t bufsz, const uint8_t *opts, size_t optlen)
{
	memset(buf, 0, bufsz);
	buf[0] = BOOTREQUEST;
	buf[1] = 1;
	buf[2] = 6;
	memcpy(buf + 4, "\x12\x34\x56\x78", 4);
	memcpy(buf + 28, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(buf + DHCP4_FIXED_LEN, "\x63\x82\x53\x63", 4);
	memcpy(buf + DHCP4_OPTIONS_OFF, opts, optlen);
	return DHCP4_OPTIONS_OFF + optlen;
}

static int
parse(const uint8_t *buf, size_t len)
{
	const char	*errstr;

	return dhcp4_parse(buf, len, &pkt, &errstr);
}

ATF_TC_WITHOUT_HEAD(parse_discover);
ATF_TC_BODY(parse_discover, tc)
{
	static const uint8_t opts[] = { 53, 1, DHCPDISCOVER,
	    61, 7, 1, 2, 0, 0, 0, 0, 1, 55, 3, 1, 3, 6, 255 };
	uint8_t		 buf[600];
	const uint8_t	*p;
	size_t		 len;

	ATF_REQUIRE_EQ(parse(buf, mkreq(buf, sizeof(buf), opts,
	    sizeof(opts))), 0);
	ATF_CHECK_EQ(pkt.msgtype, DHCPDISCOVER);
	ATF_CHECK_EQ(pkt.hdr.hlen, 6);
	ATF_CHECK_EQ(pkt.hdr.chaddr[5], 1);
	ATF_CHECK_EQ(pkt.missing_end, 0);
	p = dhcp4_opt_get(&pkt, DHO_CLIENT_ID, &len);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(len, 7);
	ATF_CHECK_EQ(p[0], 1);
	p = dhcp4_opt_get(&pkt, DHO_PRL, &len);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(len, 3);
	ATF_CHECK(memcmp(p, "\x01\x03\x06", 3) == 0);
	ATF_CHECK(dhcp4_opt_get(&pkt, DHO_HOST_NAME, &len) == NULL);
}

ATF_TC_WITHOUT_HEAD(parse_request);
ATF_TC_BODY(parse_request, tc)
{
	static const uint8_t opts[] = { 0, 0, 53, 1, DHCPREQUEST,
	    50, 4, 10, 0, 0, 5, 54, 4, 10, 0, 0, 1, 255 };
	uint8_t		 buf[600];
	const uint8_t	*p;
	size_t		 len;

	ATF_REQUIRE_EQ(parse(buf, mkreq(buf, sizeof(buf), opts,
	    sizeof(opts))), 0);
	ATF_CHECK_EQ(pkt.msgtype, DHCPREQUEST);
	p = dhcp4_opt_get(&pkt, DHO_REQUESTED_ADDR, &len);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(len == 4 && memcmp(p, "\x0a\x00\x00\x05", 4) == 0);
	p = dhcp4_opt_get(&pkt, DHO_SERVER_ID, &len);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(len == 4 && memcmp(p, "\x0a\x00\x00\x01", 4) == 0);
}

/* Option 12 split across the options field, file and sname. */
static void
check_overload(uint8_t ov)
{
	uint8_t		 opts[] = { 53, 1, DHCPDISCOVER, 52, 1, ov,
	    12, 2, 'a', 'b', 255 };
	uint8_t		 buf[600];
	const uint8_t	*p;
	size_t		 len, n;
	char		 expect[8] = "ab";

	n = mkreq(buf, sizeof(buf), opts, sizeof(opts));
	if (ov & DHCP4_OVERLOAD_FILE) {
		memcpy(buf + DHCP4_FILE_OFF, "\x0c\x02" "cd" "\xff", 5);
		strlcat(expect, "cd", sizeof(expect));
	}
	if (ov & DHCP4_OVERLOAD_SNAME) {
		memcpy(buf + DHCP4_SNAME_OFF, "\x0c\x02" "ef" "\x0f\x01x\xff",
		    8);
		strlcat(expect, "ef", sizeof(expect));
	}
	ATF_REQUIRE_EQ(parse(buf, n), 0);
	ATF_CHECK_EQ(pkt.overload, ov);
	p = dhcp4_opt_get(&pkt, DHO_HOST_NAME, &len);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(len, strlen(expect));
	ATF_CHECK(memcmp(p, expect, len) == 0);
	ATF_CHECK_EQ(dhcp4_opt_present(&pkt, DHO_DOMAIN_NAME),
	    (ov & DHCP4_OVERLOAD_SNAME) != 0);
}

ATF_TC_WITHOUT_HEAD(overload_file);
ATF_TC_BODY(overload_file, tc)
{
	check_overload(DHCP4_OVERLOAD_FILE);
}

ATF_TC_WITHOUT_HEAD(overload_sname);
ATF_TC_BODY(overload_sname, tc)
{
	check_overload(DHCP4_OVERLOAD_SNAME);
}

ATF_TC_WITHOUT_HEAD(overload_both);
ATF_TC_BODY(overload_both, tc)
{
	check_overload(DHCP4_OVERLOAD_BOTH);
}

/* Without option 52, options in file are not read. */
ATF_TC_WITHOUT_HEAD(overload_absent);
ATF_TC_BODY(overload_absent, tc)
{
	static const uint8_t opts[] = { 53, 1, DHCPDISCOVER, 255 };
	uint8_t		 buf[600];
	size_t		 n;

	n = mkreq(buf, sizeof(buf), opts, sizeof(opts));
	memcpy(buf + DHCP4_FILE_OFF, "\x0c\x02" "cd" "\xff", 5);
	ATF_REQUIRE_EQ(parse(buf, n), 0);
	ATF_CHECK(!dhcp4_opt_present(&pkt, DHO_HOST_NAME));
}

/* RFC 3396: instances of one code concatenate, others in between. */
ATF_TC_WITHOUT_HEAD(long_option_concat);
ATF_TC_BODY(long_option_concat, tc)
{
	uint8_t		 opts[600], buf[1000];
	const uint8_t	*p;
	size_t		 o = 0, len, i;

	opts[o++] = 53; opts[o++] = 1; opts[o++] = DHCPDISCOVER;
	opts[o++] = 77; opts[o++] = 255;
	for (i = 0; i < 255; i++)
		opts[o++] = (uint8_t)i;
	opts[o++] = 12; opts[o++] = 1; opts[o++] = 'h';
	opts[o++] = 77; opts[o++] = 45;
	for (i = 255; i < 300; i++)
		opts[o++] = (uint8_t)i;
	opts[o++] = 255;
	ATF_REQUIRE_EQ(parse(buf, mkreq(buf, sizeof(buf), opts, o)), 0);
	p = dhcp4_opt_get(&pkt, 77, &len);
	ATF_REQUIRE(p != NULL);
	ATF_REQUIRE_EQ(len, 300);
	for (i = 0; i < 300; i++)
		ATF_CHECK_EQ(p[i], (uint8_t)i);
	p = dhcp4_opt_get(&pkt, DHO_HOST_NAME, &len);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(len, 1);
}

ATF_TC_WITHOUT_HEAD(zero_length_option);
ATF_TC_BODY(zero_length_option, tc)
{
	static const uint8_t opts[] = { 53, 1, DHCPDISCOVER, 80, 0, 255 };
	uint8_t		 buf[600];
	size_t		 len = 99;

	ATF_REQUIRE_EQ(parse(buf, mkreq(buf, sizeof(buf), opts,
	    sizeof(opts))), 0);
	ATF_CHECK(dhcp4_opt_present(&pkt, DHO_RAPID_COMMIT));
	ATF_CHECK(dhcp4_opt_get(&pkt, DHO_RAPID_COMMIT, &len) != NULL);
	ATF_CHECK_EQ(len, 0);
}

ATF_TC_WITHOUT_HEAD(truncated_option);
ATF_TC_BODY(truncated_option, tc)
{
	static const uint8_t opts[] = { 53, 1, DHCPDISCOVER, 12, 10, 'a' };
	static const uint8_t nolen[] = { 53, 1, DHCPDISCOVER, 12 };
	uint8_t		 buf[600];

	ATF_CHECK_EQ(parse(buf, mkreq(buf, sizeof(buf), opts,
	    sizeof(opts))), -1);
	ATF_CHECK_EQ(parse(buf, mkreq(buf, sizeof(buf), nolen,
	    sizeof(nolen))), -1);
}

/* A field without END ends with the buffer and is accepted. */
ATF_TC_WITHOUT_HEAD(missing_end);
ATF_TC_BODY(missing_end, tc)
{
	static const uint8_t opts[] = { 53, 1, DHCPREQUEST, 12, 1, 'a' };
	uint8_t		 buf[600];

	ATF_REQUIRE_EQ(parse(buf, mkreq(buf, sizeof(buf), opts,
	    sizeof(opts))), 0);
	ATF_CHECK_EQ(pkt.missing_end, 1);
	ATF_CHECK_EQ(pkt.msgtype, DHCPREQUEST);
	ATF_CHECK(dhcp4_opt_present(&pkt, DHO_HOST_NAME));
}

ATF_TC_WITHOUT_HEAD(too_short);
ATF_TC_BODY(too_short, tc)
{
	static const uint8_t opts[] = { 53, 1, DHCPDISCOVER, 255 };
	uint8_t		 buf[600];

	mkreq(buf, sizeof(buf), opts, sizeof(opts));
	ATF_CHECK_EQ(parse(buf, DHCP4_MIN_LEN - 1), -1);
	ATF_CHECK_EQ(parse(buf, DHCP4_FIXED_LEN), -1);
}

ATF_TC_WITHOUT_HEAD(bad_cookie);
ATF_TC_BODY(bad_cookie, tc)
{
	static const uint8_t opts[] = { 53, 1, DHCPDISCOVER, 255 };
	uint8_t		 buf[600];
	size_t		 n;

	n = mkreq(buf, sizeof(buf), opts, sizeof(opts));
	buf[DHCP4_FIXED_LEN + 3] = 0x64;
	ATF_CHECK_EQ(parse(buf, n), -1);
}

ATF_TC_WITHOUT_HEAD(bad_op_hlen);
ATF_TC_BODY(bad_op_hlen, tc)
{
	static const uint8_t opts[] = { 53, 1, DHCPDISCOVER, 255 };
	uint8_t		 buf[600];
	size_t		 n;

	n = mkreq(buf, sizeof(buf), opts, sizeof(opts));
	buf[0] = BOOTREPLY;
	ATF_CHECK_EQ(parse(buf, n), -1);
	buf[0] = BOOTREQUEST;
	buf[2] = 17;
	ATF_CHECK_EQ(parse(buf, n), -1);
}

ATF_TC_WITHOUT_HEAD(msgtype_checks);
ATF_TC_BODY(msgtype_checks, tc)
{
	static const uint8_t none[] = { 12, 1, 'a', 255 };
	static const uint8_t two[] = { 53, 2, 1, 1, 255 };
	static const uint8_t empty[] = { 53, 0, 255 };
	static const uint8_t nine[] = { 53, 1, 9, 255 };
	uint8_t		 buf[600];

	ATF_CHECK_EQ(parse(buf, mkreq(buf, sizeof(buf), none,
	    sizeof(none))), -1);
	ATF_CHECK_EQ(parse(buf, mkreq(buf, sizeof(buf), two,
	    sizeof(two))), -1);
	ATF_CHECK_EQ(parse(buf, mkreq(buf, sizeof(buf), empty,
	    sizeof(empty))), -1);
	ATF_CHECK_EQ(parse(buf, mkreq(buf, sizeof(buf), nine,
	    sizeof(nine))), -1);
}

/* Reply helpers: parse a built BOOTREPLY by flipping op back. */
static void
mkhdr(struct dhcp4_hdr *h, int relayed)
{
	memset(h, 0, sizeof(*h));
	h->htype = 1;
	h->hlen = 6;
	h->xid = 0x12345678;
	memcpy(h->chaddr, "\x02\x00\x00\x00\x00\x01", 6);
	if (relayed)
		h->giaddr.s_addr = htonl(0x0a000001);
}

static int
parse_reply(uint8_t *buf, size_t len)
{
	buf[0] = BOOTREQUEST;
	return parse(buf, len);
}

ATF_TC_WITHOUT_HEAD(build_split_long);
ATF_TC_BODY(build_split_long, tc)
{
	struct dhcp4_optlist ol;
	struct dhcp4_hdr h;
	uint8_t		 type = DHCPACK, data[300], buf[DHCP4_MAX_REPLY];
	const uint8_t	*p;
	ssize_t		 n;
	size_t		 len, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	mkhdr(&h, 0);
	dhcp4_optlist_init(&ol);
	dhcp4_optlist_add(&ol, DHO_MESSAGE_TYPE, &type, 1, DHCP4_PRIO_HIGH);
	dhcp4_optlist_add(&ol, 120, data, sizeof(data), DHCP4_PRIO_HIGH);
	n = dhcp4_build(&h, &ol, 1000, 1, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	/* 53 first, then two instances of 120: 255 and 45 octets. */
	ATF_CHECK_EQ(buf[DHCP4_OPTIONS_OFF], DHO_MESSAGE_TYPE);
	ATF_CHECK_EQ(buf[DHCP4_OPTIONS_OFF + 3], 120);
	ATF_CHECK_EQ(buf[DHCP4_OPTIONS_OFF + 4], 255);
	ATF_CHECK_EQ(buf[DHCP4_OPTIONS_OFF + 5 + 255], 120);
	ATF_CHECK_EQ(buf[DHCP4_OPTIONS_OFF + 6 + 255], 45);
	ATF_REQUIRE_EQ(parse_reply(buf, n), 0);
	p = dhcp4_opt_get(&pkt, 120, &len);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(len, sizeof(data));
	ATF_CHECK(memcmp(p, data, sizeof(data)) == 0);
	ATF_CHECK_EQ(pkt.msgtype, DHCPACK);
}

/* The reply fits 576 octets: overload, then dropping low options. */
ATF_TC_WITHOUT_HEAD(build_max_size);
ATF_TC_BODY(build_max_size, tc)
{
	struct dhcp4_optlist ol;
	struct dhcp4_hdr h;
	uint8_t		 type = DHCPOFFER, data[200], buf[DHCP4_MAX_REPLY];
	size_t		 max = DHCP4_MIN_DATAGRAM - IPV4_UDP_HDRLEN, len;
	ssize_t		 n;

	memset(data, 'x', sizeof(data));
	mkhdr(&h, 0);
	dhcp4_optlist_init(&ol);
	dhcp4_optlist_add(&ol, DHO_MESSAGE_TYPE, &type, 1, DHCP4_PRIO_HIGH);
	dhcp4_optlist_add(&ol, 200, data, 200, DHCP4_PRIO_HIGH);
	dhcp4_optlist_add(&ol, 201, data, 100, DHCP4_PRIO_HIGH);
	dhcp4_optlist_add(&ol, 202, data, 50, DHCP4_PRIO_LOW);
	dhcp4_optlist_add(&ol, 203, data, 50, DHCP4_PRIO_LOW);

	/* 200 + 100 + 50 + 50 only fits with file and sname used. */
	n = dhcp4_build(&h, &ol, max, 1, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK((size_t)n <= max);
	ATF_REQUIRE_EQ(parse_reply(buf, n), 0);
	ATF_CHECK(pkt.overload != 0);
	ATF_CHECK(dhcp4_opt_get(&pkt, 200, &len) != NULL && len == 200);
	ATF_CHECK(dhcp4_opt_get(&pkt, 201, &len) != NULL && len == 100);
	ATF_CHECK(dhcp4_opt_present(&pkt, 202));
	ATF_CHECK(dhcp4_opt_present(&pkt, 203));

	/* Without overload (a NAK), low-priority options go. */
	n = dhcp4_build(&h, &ol, max, 0, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK((size_t)n <= max);
	ATF_REQUIRE_EQ(parse_reply(buf, n), 0);
	ATF_CHECK_EQ(pkt.overload, 0);
	ATF_CHECK(dhcp4_opt_present(&pkt, 200));
	ATF_CHECK(dhcp4_opt_present(&pkt, 201));
	ATF_CHECK(!dhcp4_opt_present(&pkt, 202));
	ATF_CHECK(!dhcp4_opt_present(&pkt, 203));

	/* High-priority options that cannot fit fail the build. */
	dhcp4_optlist_add(&ol, 204, data, 200, DHCP4_PRIO_HIGH);
	ATF_CHECK_EQ(dhcp4_build(&h, &ol, max, 0, buf, sizeof(buf)), -1);
}

ATF_TC_WITHOUT_HEAD(max_reply_option57);
ATF_TC_BODY(max_reply_option57, tc)
{
	static const uint8_t big[] = { 53, 1, 1, 57, 2, 0x05, 0xdc, 255 };
	static const uint8_t small[] = { 53, 1, 1, 57, 2, 0x01, 0x00, 255 };
	static const uint8_t none[] = { 53, 1, 1, 255 };
	uint8_t		 buf[600];

	ATF_REQUIRE_EQ(parse(buf, mkreq(buf, sizeof(buf), big,
	    sizeof(big))), 0);
	ATF_CHECK_EQ(dhcp4_max_reply(&pkt), 1500 - IPV4_UDP_HDRLEN);
	ATF_REQUIRE_EQ(parse(buf, mkreq(buf, sizeof(buf), small,
	    sizeof(small))), 0);
	ATF_CHECK_EQ(dhcp4_max_reply(&pkt), 576 - IPV4_UDP_HDRLEN);
	ATF_REQUIRE_EQ(parse(buf, mkreq(buf, sizeof(buf), none,
	    sizeof(none))), 0);
	ATF_CHECK_EQ(dhcp4_max_reply(&pkt), 576 - IPV4_UDP_HDRLEN);
}

/* RFC 3046 2.2: option 82 comes back as the last option. */
ATF_TC_WITHOUT_HEAD(build_relay_info_last);
ATF_TC_BODY(build_relay_info_last, tc)
{
	static const uint8_t ri[] = { 1, 3, 'e', 't', '0' };
	struct dhcp4_optlist ol;
	struct dhcp4_hdr h;
	uint8_t		 type = DHCPACK, buf[DHCP4_MAX_REPLY], *p;
	uint32_t	 lt = htonl(3600);
	ssize_t		 n;
	size_t		 i, last = 0;

	mkhdr(&h, 1);
	dhcp4_optlist_init(&ol);
	dhcp4_optlist_add(&ol, DHO_RELAY_AGENT_INFO, ri, sizeof(ri),
	    DHCP4_PRIO_HIGH);
	dhcp4_optlist_add(&ol, DHO_LEASE_TIME, &lt, 4, DHCP4_PRIO_HIGH);
	dhcp4_optlist_add(&ol, DHO_MESSAGE_TYPE, &type, 1, DHCP4_PRIO_HIGH);
	dhcp4_optlist_add(&ol, DHO_SERVER_ID, &lt, 4, DHCP4_PRIO_HIGH);
	n = dhcp4_build(&h, &ol, 548, 1, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(buf[DHCP4_OPTIONS_OFF], DHO_MESSAGE_TYPE);
	p = buf + DHCP4_OPTIONS_OFF;
	for (i = 0; p[i] != DHO_END; i += 2 + p[i + 1])
		last = i;
	ATF_CHECK_EQ(p[last], DHO_RELAY_AGENT_INFO);
	ATF_CHECK_EQ(p[last + 1], sizeof(ri));
	ATF_CHECK(memcmp(p + last + 2, ri, sizeof(ri)) == 0);
	ATF_CHECK_EQ(buf[0], BOOTREPLY);
	ATF_CHECK(n >= DHCP4_MIN_REPLY);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_discover);
	ATF_TP_ADD_TC(tp, parse_request);
	ATF_TP_ADD_TC(tp, overload_file);
	ATF_TP_ADD_TC(tp, overload_sname);
	ATF_TP_ADD_TC(tp, overload_both);
	ATF_TP_ADD_TC(tp, overload_absent);
	ATF_TP_ADD_TC(tp, long_option_concat);
	ATF_TP_ADD_TC(tp, zero_length_option);
	ATF_TP_ADD_TC(tp, truncated_option);
	ATF_TP_ADD_TC(tp, missing_end);
	ATF_TP_ADD_TC(tp, too_short);
	ATF_TP_ADD_TC(tp, bad_cookie);
	ATF_TP_ADD_TC(tp, bad_op_hlen);
	ATF_TP_ADD_TC(tp, msgtype_checks);
	ATF_TP_ADD_TC(tp, build_split_long);
	ATF_TP_ADD_TC(tp, build_max_size);
	ATF_TP_ADD_TC(tp, max_reply_option57);
	ATF_TP_ADD_TC(tp, build_relay_info_last);
	return atf_no_error();
}
