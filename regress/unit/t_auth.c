/*
 * Unit tests for the connection-authorisation codec and key files
 * (common/auth.c).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <atf-c.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"

/* A message assembled byte by byte, to build what auth_encode() won't. */
struct raw {
	uint8_t		 b[2048];
	size_t		 len;
};

static unsigned char	 pk[AUTH_PK_LEN], sk[AUTH_SK_LEN];

static void	 setup(void);
static void	 raw_header(struct raw *, uint8_t);
static void	 raw_elem(struct raw *, uint16_t, const void *, size_t);
static void	 raw_request(struct raw *);
static void	 raw_sign(struct raw *);
static void	 make_request(struct auth_msg *);
static void	 make_answer(struct auth_msg *);
static void	 make_notify(struct auth_msg *);

static void
setup(void)
{
	ATF_REQUIRE(auth_init() == 0);
	crypto_sign_ed25519_keypair(pk, sk);
}

static void
raw_header(struct raw *r, uint8_t type)
{
	memcpy(r->b, AUTH_MAGIC, 4);
	r->b[4] = AUTH_VERSION;
	r->b[5] = type;
	r->b[6] = r->b[7] = 0;
	r->len = AUTH_HDR_LEN;
}

static void
raw_elem(struct raw *r, uint16_t type, const void *v, size_t len)
{
	ATF_REQUIRE(r->len + 4 + len <= sizeof(r->b));
	r->b[r->len] = type >> 8;
	r->b[r->len + 1] = type & 0xff;
	r->b[r->len + 2] = len >> 8;
	r->b[r->len + 3] = len & 0xff;
	if (len > 0)
		memcpy(r->b + r->len + 4, v, len);
	r->len += 4 + len;
}

/* Header and the unsigned elements of a valid AUTHORISE request. */
static void
raw_request(struct raw *r)
{
	static const uint8_t	 nonce[AUTH_NONCE_LEN] = { 1, 2, 3 };
	static const uint8_t	 ts[8] = { 0, 0, 0, 0, 0x65, 0, 0, 0 };

	raw_header(r, AUTH_AUTHORISE);
	raw_elem(r, AE_SERVICE_ID, "sip:alice@mc.example", 20);
	raw_elem(r, AE_NONCE, nonce, sizeof(nonce));
	raw_elem(r, AE_TIMESTAMP, ts, sizeof(ts));
}

static void
raw_sign(struct raw *r)
{
	uint8_t	 sig[AUTH_SIG_LEN];

	crypto_sign_ed25519_detached(sig, NULL, r->b, r->len, sk);
	raw_elem(r, AE_SIGNATURE, sig, sizeof(sig));
}

static void
make_request(struct auth_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = AUTH_AUTHORISE;
	m->present = AUTH_HAS(AE_SERVICE_ID) | AUTH_HAS(AE_NONCE) |
	    AUTH_HAS(AE_TIMESTAMP);
	strlcpy(m->service_id, "sip:alice@mc.example", sizeof(m->service_id));
	m->service_id_len = strlen(m->service_id);
	memset(m->nonce, 0xab, sizeof(m->nonce));
	m->timestamp = 1764000000;
}

/* The NOTIFY of a NAT binding whose UE IPv4 changed. */
static void
make_notify(struct auth_msg *m)
{
	make_request(m);
	m->type = AUTH_NOTIFY;
	m->present |= AUTH_HAS(AE_UE_IPV4) | AUTH_HAS(AE_LOCAL_IPV4) |
	    AUTH_HAS(AE_LIFETIME) | AUTH_HAS(AE_PORT_RANGE);
	m->ue4.s_addr = htonl(0xc6336403);
	m->local4.s_addr = htonl(0x0a141e64);
	m->lifetime = 3000;
	m->port_first = 20000;
	m->port_last = 20999;
}

static void
make_answer(struct auth_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = AUTH_AUTHORISE | AUTH_ANSWER;
	m->present = AUTH_HAS(AE_RESULT) | AUTH_HAS(AE_NONCE) |
	    AUTH_HAS(AE_TIMESTAMP) | AUTH_HAS(AE_UE_IPV4) |
	    AUTH_HAS(AE_UE_IPV6) | AUTH_HAS(AE_LOCAL_IPV4) |
	    AUTH_HAS(AE_LIFETIME) | AUTH_HAS(AE_PORT_RANGE) |
	    AUTH_HAS(AE_MESSAGE);
	m->result = AUTH_SUCCESS;
	memset(m->nonce, 0x5a, sizeof(m->nonce));
	m->timestamp = -5;	/* negative values must survive */
	m->ue4.s_addr = htonl(0xc0000201);
	m->ue6.s6_addr[0] = 0x20;
	m->ue6.s6_addr[15] = 1;
	m->local4.s_addr = htonl(0x0a141e64);
	m->lifetime = 600;
	m->port_first = 20000;
	m->port_last = 20999;
	strlcpy(m->message, "bound", sizeof(m->message));
	m->message_len = 5;
}

ATF_TC_WITHOUT_HEAD(request_roundtrip);
ATF_TC_BODY(request_roundtrip, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_request(&m);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(auth_decode(buf, (size_t)n, &d), 0);
	ATF_CHECK_EQ(d.type, AUTH_AUTHORISE);
	ATF_CHECK_EQ(d.service_id_len, m.service_id_len);
	ATF_CHECK_STREQ(d.service_id, m.service_id);
	ATF_CHECK(memcmp(d.nonce, m.nonce, AUTH_NONCE_LEN) == 0);
	ATF_CHECK_EQ(d.timestamp, m.timestamp);
	ATF_CHECK_EQ(d.sig_off, (size_t)n - 4 - AUTH_SIG_LEN);
	ATF_CHECK_EQ(auth_verify(buf, &d, pk), 0);
}

ATF_TC_WITHOUT_HEAD(answer_roundtrip);
ATF_TC_BODY(answer_roundtrip, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_answer(&m);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(auth_decode(buf, (size_t)n, &d), 0);
	ATF_CHECK_EQ(d.type, AUTH_AUTHORISE | AUTH_ANSWER);
	ATF_CHECK_EQ(d.result, AUTH_SUCCESS);
	ATF_CHECK_EQ(d.timestamp, -5);
	ATF_CHECK_EQ(d.ue4.s_addr, m.ue4.s_addr);
	ATF_CHECK(memcmp(&d.ue6, &m.ue6, sizeof(d.ue6)) == 0);
	ATF_CHECK_EQ(d.local4.s_addr, m.local4.s_addr);
	ATF_CHECK(!(d.present & AUTH_HAS(AE_LOCAL_IPV6)));
	ATF_CHECK_EQ(d.lifetime, 600);
	ATF_CHECK_EQ(d.port_first, 20000);
	ATF_CHECK_EQ(d.port_last, 20999);
	ATF_CHECK_STREQ(d.message, "bound");
	ATF_CHECK_EQ(auth_verify(buf, &d, pk), 0);
}

ATF_TC_WITHOUT_HEAD(notify_roundtrip);
ATF_TC_BODY(notify_roundtrip, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_notify(&m);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(buf[5], AUTH_NOTIFY);
	ATF_REQUIRE_EQ(auth_decode(buf, (size_t)n, &d), 0);
	ATF_CHECK_EQ(d.type, AUTH_NOTIFY);
	ATF_CHECK_STREQ(d.service_id, m.service_id);
	ATF_CHECK(memcmp(d.nonce, m.nonce, AUTH_NONCE_LEN) == 0);
	ATF_CHECK_EQ(d.ue4.s_addr, m.ue4.s_addr);
	ATF_CHECK_EQ(d.local4.s_addr, m.local4.s_addr);
	ATF_CHECK_EQ(d.lifetime, 3000);
	ATF_CHECK_EQ(d.port_first, 20000);
	ATF_CHECK_EQ(d.port_last, 20999);
	ATF_CHECK(!(d.present & AUTH_HAS(AE_RESULT)));
	ATF_CHECK_EQ(auth_verify(buf, &d, pk), 0);
	ATF_CHECK_STREQ(auth_type_name(d.type), "notify");
}

/* A NOTIFY without UE addresses: the UE IP went away. */
ATF_TC_WITHOUT_HEAD(notify_without_ue);
ATF_TC_BODY(notify_without_ue, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_notify(&m);
	m.present &= ~(AUTH_HAS(AE_UE_IPV4) | AUTH_HAS(AE_PORT_RANGE));
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), 0);
}

ATF_TC_WITHOUT_HEAD(notify_needs_binding);
ATF_TC_BODY(notify_needs_binding, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;
	uint32_t	 need[] = { AE_SERVICE_ID, AE_NONCE, AE_TIMESTAMP,
	    AE_LIFETIME, AE_LOCAL_IPV4 };
	size_t		 i;

	setup();
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		make_notify(&m);
		m.present &= ~AUTH_HAS(need[i]);
		n = auth_encode(&m, sk, buf, sizeof(buf));
		ATF_REQUIRE(n > 0);
		ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d),
		    AUTH_ERR_MISSING);
	}
	make_notify(&m);
	n = auth_encode(&m, NULL, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISSING);
	make_notify(&m);
	m.present |= AUTH_HAS(AE_RESULT);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISPLACED);
}

ATF_TC_WITHOUT_HEAD(ack_roundtrip);
ATF_TC_BODY(ack_roundtrip, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_request(&m);
	m.type = AUTH_ACK;
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(auth_decode(buf, (size_t)n, &d), 0);
	ATF_CHECK_EQ(d.type, AUTH_ACK);
	ATF_CHECK(memcmp(d.nonce, m.nonce, AUTH_NONCE_LEN) == 0);
	ATF_CHECK_EQ(auth_verify(buf, &d, pk), 0);
	ATF_CHECK_STREQ(auth_type_name(d.type), "ack");
}

/* An ACK carries only what a request carries. */
ATF_TC_WITHOUT_HEAD(ack_elements);
ATF_TC_BODY(ack_elements, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_notify(&m);
	m.type = AUTH_ACK;
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISPLACED);
	make_request(&m);
	m.type = AUTH_ACK;
	m.present &= ~AUTH_HAS(AE_NONCE);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISSING);
	m.type = AUTH_ACK | AUTH_ANSWER;
	ATF_CHECK_EQ(auth_encode(&m, sk, buf, sizeof(buf)), -1);
}

ATF_TC_WITHOUT_HEAD(answer_success_needs_binding);
ATF_TC_BODY(answer_success_needs_binding, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_answer(&m);
	m.present &= ~AUTH_HAS(AE_LIFETIME);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISSING);
}

ATF_TC_WITHOUT_HEAD(answer_malformed_no_nonce);
ATF_TC_BODY(answer_malformed_no_nonce, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	memset(&m, 0, sizeof(m));
	m.type = AUTH_AUTHORISE | AUTH_ANSWER;
	m.present = AUTH_HAS(AE_RESULT) | AUTH_HAS(AE_TIMESTAMP);
	m.result = AUTH_MALFORMED;
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), 0);
	m.result = AUTH_REPLAY;
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISSING);
}

ATF_TC_WITHOUT_HEAD(request_missing_element);
ATF_TC_BODY(request_missing_element, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_request(&m);
	m.present &= ~AUTH_HAS(AE_NONCE);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISSING);
	make_request(&m);
	n = auth_encode(&m, NULL, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISSING);
}

ATF_TC_WITHOUT_HEAD(request_answer_element);
ATF_TC_BODY(request_answer_element, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	make_request(&m);
	m.present |= AUTH_HAS(AE_LIFETIME);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(auth_decode(buf, (size_t)n, &d), AUTH_ERR_MISPLACED);
}

ATF_TC_WITHOUT_HEAD(header_checks);
ATF_TC_BODY(header_checks, tc)
{
	struct raw	 r;
	struct auth_msg	 d;
	size_t		 i;

	setup();
	raw_request(&r);
	raw_sign(&r);
	for (i = 0; i < AUTH_HDR_LEN; i++)
		ATF_CHECK_EQ(auth_decode(r.b, i, &d), AUTH_ERR_SHORT);
	r.b[0] = 'X';
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_MAGIC);
	r.b[0] = 'M';
	r.b[4] = 2;
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_VERSION);
	r.b[4] = AUTH_VERSION;
	r.b[5] = 7;
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_HEADER);
	/* NOTIFY and ACK have no answer type. */
	r.b[5] = AUTH_NOTIFY | AUTH_ANSWER;
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_HEADER);
	r.b[5] = AUTH_ACK | AUTH_ANSWER;
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_HEADER);
	r.b[5] = AUTH_AUTHORISE;
	r.b[7] = 1;
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_HEADER);
	r.b[7] = 0;
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), 0);
}

ATF_TC_WITHOUT_HEAD(truncated_element);
ATF_TC_BODY(truncated_element, tc)
{
	struct raw	 r;
	struct auth_msg	 d;
	size_t		 len;

	setup();
	raw_request(&r);
	raw_sign(&r);
	/* Every cut inside an element is truncation, never a crash. */
	for (len = AUTH_HDR_LEN + 1; len < r.len; len++) {
		if (len == AUTH_HDR_LEN + 4 + 20 ||
		    len == AUTH_HDR_LEN + 4 + 20 + 4 + AUTH_NONCE_LEN ||
		    len == AUTH_HDR_LEN + 4 + 20 + 4 + AUTH_NONCE_LEN + 12)
			continue;	/* element boundary: missing */
		ATF_CHECK_EQ_MSG(auth_decode(r.b, len, &d),
		    AUTH_ERR_TRUNCATED, "length %zu", len);
	}
}

ATF_TC_WITHOUT_HEAD(oversized_message);
ATF_TC_BODY(oversized_message, tc)
{
	struct raw	 r;
	struct auth_msg	 d;
	uint8_t		 pad[AUTH_MAX_MSG];

	setup();
	raw_request(&r);
	memset(pad, 0, sizeof(pad));
	raw_elem(&r, AE_SKIPPABLE | 1, pad, AUTH_MAX_MSG - r.len - 4 - 68);
	raw_sign(&r);
	ATF_CHECK_EQ(r.len, AUTH_MAX_MSG);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), 0);

	raw_request(&r);
	raw_elem(&r, AE_SKIPPABLE | 1, pad, AUTH_MAX_MSG - r.len - 4 - 67);
	raw_sign(&r);
	ATF_CHECK_EQ(r.len, AUTH_MAX_MSG + 1);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_TOO_LONG);
}

ATF_TC_WITHOUT_HEAD(duplicated_element);
ATF_TC_BODY(duplicated_element, tc)
{
	struct raw	 r;
	struct auth_msg	 d;
	uint8_t		 nonce[AUTH_NONCE_LEN] = { 0 };

	setup();
	raw_request(&r);
	raw_elem(&r, AE_NONCE, nonce, sizeof(nonce));
	raw_sign(&r);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_DUPLICATE);
}

ATF_TC_WITHOUT_HEAD(unknown_critical);
ATF_TC_BODY(unknown_critical, tc)
{
	struct raw	 r;
	struct auth_msg	 d;

	setup();
	raw_request(&r);
	raw_elem(&r, 12, "x", 1);
	raw_sign(&r);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_CRITICAL);
	raw_request(&r);
	raw_elem(&r, 0x7fff, "x", 1);
	raw_sign(&r);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_CRITICAL);
	raw_request(&r);
	raw_elem(&r, 0, NULL, 0);
	raw_sign(&r);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_CRITICAL);
}

ATF_TC_WITHOUT_HEAD(unknown_skippable);
ATF_TC_BODY(unknown_skippable, tc)
{
	struct raw	 r;
	struct auth_msg	 d;

	setup();
	raw_request(&r);
	raw_elem(&r, 0x8001, "ignored", 7);
	raw_elem(&r, 0xffff, NULL, 0);
	raw_sign(&r);
	ATF_REQUIRE_EQ(auth_decode(r.b, r.len, &d), 0);
	ATF_CHECK_STREQ(d.service_id, "sip:alice@mc.example");
	/* The skipped element is still covered by the signature. */
	ATF_CHECK_EQ(auth_verify(r.b, &d, pk), 0);
}

ATF_TC_WITHOUT_HEAD(element_after_signature);
ATF_TC_BODY(element_after_signature, tc)
{
	struct raw	 r;
	struct auth_msg	 d;

	setup();
	raw_request(&r);
	raw_sign(&r);
	raw_elem(&r, 0x8001, NULL, 0);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_AFTER_SIGNATURE);
}

ATF_TC_WITHOUT_HEAD(wrong_fixed_length);
ATF_TC_BODY(wrong_fixed_length, tc)
{
	static const uint16_t	 types[] = { AE_NONCE, AE_TIMESTAMP,
	    AE_RESULT, AE_UE_IPV4, AE_UE_IPV6, AE_LOCAL_IPV4, AE_LOCAL_IPV6,
	    AE_LIFETIME, AE_PORT_RANGE, AE_SIGNATURE };
	struct raw	 r;
	struct auth_msg	 d;
	uint8_t		 v[80];
	size_t		 i;

	setup();
	memset(v, 1, sizeof(v));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		raw_header(&r, AUTH_STATUS | AUTH_ANSWER);
		raw_elem(&r, types[i], v, 3);
		ATF_CHECK_EQ_MSG(auth_decode(r.b, r.len, &d), AUTH_ERR_LENGTH,
		    "type %u", types[i]);
		raw_header(&r, AUTH_STATUS | AUTH_ANSWER);
		raw_elem(&r, types[i], v, 65);
		ATF_CHECK_EQ_MSG(auth_decode(r.b, r.len, &d), AUTH_ERR_LENGTH,
		    "type %u", types[i]);
	}
}

ATF_TC_WITHOUT_HEAD(bad_port_range);
ATF_TC_BODY(bad_port_range, tc)
{
	static const uint8_t	 reversed[4] = { 0x10, 0, 0x0f, 0 };
	struct raw	 r;
	struct auth_msg	 d;

	setup();
	raw_header(&r, AUTH_STATUS | AUTH_ANSWER);
	raw_elem(&r, AE_PORT_RANGE, reversed, sizeof(reversed));
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_VALUE);
}

ATF_TC_WITHOUT_HEAD(service_id_utf8);
ATF_TC_BODY(service_id_utf8, tc)
{
	static const char *const bad[] = {
		"a\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xe2\x82", "a\x80"
	};
	struct raw	 r;
	struct auth_msg	 d;
	size_t		 i;

	setup();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_header(&r, AUTH_AUTHORISE);
		raw_elem(&r, AE_SERVICE_ID, bad[i], strlen(bad[i]));
		ATF_CHECK_EQ_MSG(auth_decode(r.b, r.len, &d), AUTH_ERR_VALUE,
		    "case %zu", i);
	}
	raw_header(&r, AUTH_AUTHORISE);
	raw_elem(&r, AE_SERVICE_ID, "a\0b", 3);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_VALUE);
	ATF_CHECK(auth_utf8_valid((const uint8_t *)"\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x93\xbb", 9));
}

ATF_TC_WITHOUT_HEAD(service_id_length);
ATF_TC_BODY(service_id_length, tc)
{
	struct raw	 r;
	struct auth_msg	 m, d;
	char		 id[256];
	uint8_t		 buf[AUTH_MAX_MSG];

	setup();
	raw_header(&r, AUTH_AUTHORISE);
	raw_elem(&r, AE_SERVICE_ID, NULL, 0);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_LENGTH);

	memset(id, 'a', sizeof(id));
	raw_header(&r, AUTH_AUTHORISE);
	raw_elem(&r, AE_SERVICE_ID, id, 256);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_LENGTH);

	make_request(&m);
	memset(m.service_id, 'a', 255);
	m.service_id_len = 255;
	ATF_REQUIRE(auth_encode(&m, sk, buf, sizeof(buf)) > 0);
	m.service_id_len = 256;
	ATF_CHECK_EQ(auth_encode(&m, sk, buf, sizeof(buf)), -1);
	m.service_id_len = 0;
	ATF_CHECK_EQ(auth_encode(&m, sk, buf, sizeof(buf)), -1);

	raw_header(&r, AUTH_AUTHORISE);
	raw_elem(&r, AE_SERVICE_ID, id, 255);
	ATF_CHECK_EQ(auth_decode(r.b, r.len, &d), AUTH_ERR_MISSING);
	ATF_CHECK_EQ(d.service_id_len, 255);
	ATF_CHECK_EQ(strlen(d.service_id), 255);
}

ATF_TC_WITHOUT_HEAD(signature_bit_flips);
ATF_TC_BODY(signature_bit_flips, tc)
{
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	size_t		 i, len;
	unsigned int	 bit, accepted = 0;
	ssize_t		 n;

	setup();
	make_answer(&m);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	len = (size_t)n;
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= 1U << bit;
			if (auth_decode(buf, len, &d) == 0 &&
			    auth_verify(buf, &d, pk) == 0)
				accepted++;
			buf[i] ^= 1U << bit;
		}
	}
	ATF_CHECK_EQ(accepted, 0);
	ATF_REQUIRE_EQ(auth_decode(buf, len, &d), 0);
	ATF_CHECK_EQ(auth_verify(buf, &d, pk), 0);
}

ATF_TC_WITHOUT_HEAD(signature_wrong_key);
ATF_TC_BODY(signature_wrong_key, tc)
{
	unsigned char	 pk2[AUTH_PK_LEN], sk2[AUTH_SK_LEN];
	struct auth_msg	 m, d;
	uint8_t		 buf[AUTH_MAX_MSG];
	ssize_t		 n;

	setup();
	crypto_sign_ed25519_keypair(pk2, sk2);
	make_request(&m);
	n = auth_encode(&m, sk, buf, sizeof(buf));
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(auth_decode(buf, (size_t)n, &d), 0);
	ATF_CHECK_EQ(auth_verify(buf, &d, pk2), -1);
	ATF_CHECK_EQ(auth_verify(buf, &d, pk), 0);
}

ATF_TC_WITHOUT_HEAD(result_names);
ATF_TC_BODY(result_names, tc)
{
	ATF_CHECK_STREQ(auth_result_name(AUTH_SUCCESS), "SUCCESS");
	ATF_CHECK_STREQ(auth_result_name(AUTH_NO_BINDING), "NO_BINDING");
	ATF_CHECK_STREQ(auth_result_name(AUTH_INTERNAL_ERROR),
	    "INTERNAL_ERROR");
	ATF_CHECK_STREQ(auth_result_name(10), "UNKNOWN");
}

ATF_TC_WITHOUT_HEAD(keyfile_roundtrip);
ATF_TC_BODY(keyfile_roundtrip, tc)
{
	unsigned char	 kpk[AUTH_PK_LEN], ksk[AUTH_SK_LEN];
	char		 err[256], b64[AUTH_PK_B64_LEN];
	unsigned char	 decoded[AUTH_PK_LEN];
	struct stat	 st;

	setup();
	ATF_REQUIRE_EQ(auth_keygen("key", kpk, err, sizeof(err)), 0);
	ATF_REQUIRE_EQ(stat("key", &st), 0);
	ATF_CHECK_EQ(st.st_mode & 07777, 0600);
	ATF_CHECK_EQ(st.st_size, 89);
	ATF_REQUIRE_EQ(auth_key_load("key", ksk, err, sizeof(err)), 0);
	ATF_CHECK(memcmp(ksk + AUTH_PK_LEN, kpk, AUTH_PK_LEN) == 0);
	ATF_REQUIRE_EQ(auth_pubkey_b64(ksk, b64, sizeof(b64)), 0);
	ATF_CHECK_EQ(strlen(b64), 44);
	ATF_REQUIRE_EQ(auth_pubkey_decode(b64, decoded), 0);
	ATF_CHECK(memcmp(decoded, kpk, AUTH_PK_LEN) == 0);
	ATF_CHECK_EQ(auth_pubkey_decode("AAAA", decoded), -1);
}

ATF_TC_WITHOUT_HEAD(keyfile_no_overwrite);
ATF_TC_BODY(keyfile_no_overwrite, tc)
{
	unsigned char	 kpk[AUTH_PK_LEN];
	char		 err[256];
	int		 fd;

	setup();
	fd = open("key", O_WRONLY | O_CREAT, 0600);
	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE_EQ(write(fd, "keep\n", 5), 5);
	close(fd);
	ATF_CHECK_EQ(auth_keygen("key", kpk, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "File exists") != NULL);
}

ATF_TC_WITHOUT_HEAD(keyfile_mode_rejected);
ATF_TC_BODY(keyfile_mode_rejected, tc)
{
	unsigned char	 kpk[AUTH_PK_LEN], ksk[AUTH_SK_LEN];
	char		 err[256];

	setup();
	ATF_REQUIRE_EQ(auth_keygen("key", kpk, err, sizeof(err)), 0);
	ATF_REQUIRE_EQ(chmod("key", 0640), 0);
	ATF_CHECK_EQ(auth_key_load("key", ksk, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "chmod 600") != NULL);
	ATF_REQUIRE_EQ(chmod("key", 0604), 0);
	ATF_CHECK_EQ(auth_key_load("key", ksk, err, sizeof(err)), -1);
}

ATF_TC_WITHOUT_HEAD(keyfile_corrupt);
ATF_TC_BODY(keyfile_corrupt, tc)
{
	unsigned char	 kpk[AUTH_PK_LEN], ksk[AUTH_SK_LEN];
	char		 err[256], text[128];
	int		 fd;
	ssize_t		 n;

	setup();
	ATF_REQUIRE_EQ(auth_keygen("key", kpk, err, sizeof(err)), 0);
	fd = open("key", O_RDWR);
	ATF_REQUIRE(fd != -1);
	n = read(fd, text, sizeof(text));
	ATF_REQUIRE_EQ(n, 89);
	/* Change one character of the public half (after the seed). */
	text[60] = text[60] == 'A' ? 'B' : 'A';
	ATF_REQUIRE_EQ(pwrite(fd, text, (size_t)n, 0), n);
	close(fd);
	ATF_CHECK_EQ(auth_key_load("key", ksk, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "does not match") != NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, request_roundtrip);
	ATF_TP_ADD_TC(tp, answer_roundtrip);
	ATF_TP_ADD_TC(tp, notify_roundtrip);
	ATF_TP_ADD_TC(tp, notify_without_ue);
	ATF_TP_ADD_TC(tp, notify_needs_binding);
	ATF_TP_ADD_TC(tp, ack_roundtrip);
	ATF_TP_ADD_TC(tp, ack_elements);
	ATF_TP_ADD_TC(tp, answer_success_needs_binding);
	ATF_TP_ADD_TC(tp, answer_malformed_no_nonce);
	ATF_TP_ADD_TC(tp, request_missing_element);
	ATF_TP_ADD_TC(tp, request_answer_element);
	ATF_TP_ADD_TC(tp, header_checks);
	ATF_TP_ADD_TC(tp, truncated_element);
	ATF_TP_ADD_TC(tp, oversized_message);
	ATF_TP_ADD_TC(tp, duplicated_element);
	ATF_TP_ADD_TC(tp, unknown_critical);
	ATF_TP_ADD_TC(tp, unknown_skippable);
	ATF_TP_ADD_TC(tp, element_after_signature);
	ATF_TP_ADD_TC(tp, wrong_fixed_length);
	ATF_TP_ADD_TC(tp, bad_port_range);
	ATF_TP_ADD_TC(tp, service_id_utf8);
	ATF_TP_ADD_TC(tp, service_id_length);
	ATF_TP_ADD_TC(tp, signature_bit_flips);
	ATF_TP_ADD_TC(tp, signature_wrong_key);
	ATF_TP_ADD_TC(tp, result_names);
	ATF_TP_ADD_TC(tp, keyfile_roundtrip);
	ATF_TP_ADD_TC(tp, keyfile_no_overwrite);
	ATF_TP_ADD_TC(tp, keyfile_mode_rejected);
	ATF_TP_ADD_TC(tp, keyfile_corrupt);

	return atf_no_error();
}
