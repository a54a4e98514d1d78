/*
 * Codec, signatures and key files of the connection-authorisation
 * protocol (mcgwd-auth(7)).  The codec checks the structure of a
 * message; the policy (skew window, replay, rate, leases) belongs to the
 * server.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"

/* Elements that only an answer may carry. */
#define AUTH_ANSWER_ONLY	(AUTH_HAS(AE_RESULT) | AUTH_HAS(AE_UE_IPV4) | \
	AUTH_HAS(AE_UE_IPV6) | AUTH_HAS(AE_LOCAL_IPV4) | \
	AUTH_HAS(AE_LOCAL_IPV6) | AUTH_HAS(AE_LIFETIME) | \
	AUTH_HAS(AE_PORT_RANGE) | AUTH_HAS(AE_MESSAGE))
#define AUTH_REQUEST_NEEDS	(AUTH_HAS(AE_SERVICE_ID) | \
	AUTH_HAS(AE_NONCE) | AUTH_HAS(AE_TIMESTAMP) | AUTH_HAS(AE_SIGNATURE))
#define AUTH_ANSWER_NEEDS	(AUTH_HAS(AE_RESULT) | AUTH_HAS(AE_NONCE) | \
	AUTH_HAS(AE_TIMESTAMP) | AUTH_HAS(AE_SIGNATURE))
#define AUTH_LOCAL_ANY		(AUTH_HAS(AE_LOCAL_IPV4) | \
	AUTH_HAS(AE_LOCAL_IPV6))
#define AUTH_NOTIFY_NEEDS	(AUTH_REQUEST_NEEDS | AUTH_HAS(AE_LIFETIME))

static const char *const auth_result_names[] = {
	"SUCCESS",
	"UNKNOWN_SERVICE_ID",
	"BAD_SIGNATURE",
	"STALE_TIMESTAMP",
	"REPLAY",
	"NO_LEASE",
	"MALFORMED",
	"RATE_LIMITED",
	"NO_BINDING",
	"INTERNAL_ERROR"
};

static uint16_t	 get16(const uint8_t *);
static uint32_t	 get32(const uint8_t *);
static void	 put16(uint8_t *, uint16_t);
static void	 put32(uint8_t *, uint32_t);
static int	 type_valid(uint8_t);
static int	 fixed_length(uint16_t);
static int	 decode_element(struct auth_msg *, uint16_t, const uint8_t *,
		    uint16_t);
static int	 check_elements(const struct auth_msg *);
static int	 put_element(uint8_t *, size_t, size_t *, uint16_t,
		    const void *, size_t);
static int	 encode_elements(const struct auth_msg *, uint8_t *, size_t,
		    size_t *);
static void	 seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Initialises libsodium.  Returns -1 if it cannot run. */
int
auth_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

static int
type_valid(uint8_t type)
{
	uint8_t	 base = type & ~AUTH_ANSWER;

	/* NOTIFY and ACK have no answer type. */
	if (type == AUTH_NOTIFY || type == AUTH_ACK)
		return 1;
	return base >= AUTH_AUTHORISE && base <= AUTH_STATUS;
}

/* Returns the length an element type must have, or -1 if it varies. */
static int
fixed_length(uint16_t type)
{
	switch (type) {
	case AE_NONCE:
		return AUTH_NONCE_LEN;
	case AE_TIMESTAMP:
		return 8;
	case AE_RESULT:
		return 2;
	case AE_UE_IPV4:
	case AE_LOCAL_IPV4:
	case AE_LIFETIME:
	case AE_PORT_RANGE:
		return 4;
	case AE_UE_IPV6:
	case AE_LOCAL_IPV6:
		return 16;
	case AE_SIGNATURE:
		return AUTH_SIG_LEN;
	default:
		return -1;
	}
}

/*
 * Checks for well-formed UTF-8 (RFC 3629 section 4: no overlong forms,
 * no surrogates, nothing above U+10FFFF) without NUL bytes.
 */
int
auth_utf8_valid(const uint8_t *s, size_t len)
{
	size_t		 i = 0, n, k;
	uint32_t	 cp, min;

	while (i < len) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
decode_element(struct auth_msg *m, uint16_t type, const uint8_t *v,
    uint16_t len)
{
	uint64_t	 ts;
	int		 want = fixed_length(type);

	if (want != -1 && len != want)
		return AUTH_ERR_LENGTH;

	switch (type) {
	case AE_SERVICE_ID:
		if (len == 0 || len > AUTH_MAX_SERVICE_ID)
			return AUTH_ERR_LENGTH;
		if (!auth_utf8_valid(v, len))
			return AUTH_ERR_VALUE;
		memcpy(m->service_id, v, len);
		m->service_id_len = len;
		break;
	case AE_NONCE:
		memcpy(m->nonce, v, len);
		break;
	case AE_TIMESTAMP:
		ts = (uint64_t)get32(v) << 32 | get32(v + 4);
		/* Two's complement without implementation-defined casts. */
		m->timestamp = ts <= INT64_MAX ? (int64_t)ts :
		    -(int64_t)(~ts) - 1;
		break;
	case AE_RESULT:
		m->result = get16(v);
		break;
	case AE_UE_IPV4:
		memcpy(&m->ue4, v, len);
		break;
	case AE_UE_IPV6:
		memcpy(&m->ue6, v, len);
		break;
	case AE_LOCAL_IPV4:
		memcpy(&m->local4, v, len);
		break;
	case AE_LOCAL_IPV6:
		memcpy(&m->local6, v, len);
		break;
	case AE_LIFETIME:
		m->lifetime = get32(v);
		break;
	case AE_PORT_RANGE:
		m->port_first = get16(v);
		m->port_last = get16(v + 2);
		if (m->port_first == 0 || m->port_first > m->port_last)
			return AUTH_ERR_VALUE;
		break;
	case AE_MESSAGE:
		if (len > AUTH_MAX_MESSAGE)
			return AUTH_ERR_LENGTH;
		if (!auth_utf8_valid(v, len))
			return AUTH_ERR_VALUE;
		memcpy(m->message, v, len);
		m->message_len = len;
		break;
	case AE_SIGNATURE:
		memcpy(m->sig, v, len);
		break;
	default:
		return AUTH_ERR_CRITICAL;
	}
	return 0;
}

/* Checks that the elements present suit the message type. */
static int
check_elements(const struct auth_msg *m)
{
	uint8_t		 base = m->type & ~AUTH_ANSWER;
	uint32_t	 needs;

	if (m->type == AUTH_NOTIFY) {
		/* A NOTIFY describes the binding as a SUCCESS answer does. */
		if (m->present & AUTH_HAS(AE_RESULT))
			return AUTH_ERR_MISPLACED;
		if ((m->present & AUTH_NOTIFY_NEEDS) != AUTH_NOTIFY_NEEDS ||
		    !(m->present & AUTH_LOCAL_ANY))
			return AUTH_ERR_MISSING;
		return 0;
	}
	/* An ACK carries what a request carries. */
	if (!(m->type & AUTH_ANSWER)) {
		if (m->present & AUTH_ANSWER_ONLY)
			return AUTH_ERR_MISPLACED;
		if ((m->present & AUTH_REQUEST_NEEDS) != AUTH_REQUEST_NEEDS)
			return AUTH_ERR_MISSING;
		return 0;
	}

	needs = AUTH_ANSWER_NEEDS;
	/*
	 * A MALFORMED answer may lack the nonce: the server could not read
	 * one from the request it rejects.
	 */
	if ((m->present & AUTH_HAS(AE_RESULT)) &&
	    m->result == AUTH_MALFORMED)
		needs &= ~AUTH_HAS(AE_NONCE);
	if ((m->present & needs) != needs)
		return AUTH_ERR_MISSING;
	if (m->result != AUTH_SUCCESS || base == AUTH_RELEASE)
		return 0;
	/* A successful authorise, refresh or status describes the binding. */
	if (!(m->present & AUTH_HAS(AE_LIFETIME)) ||
	    !(m->present & AUTH_LOCAL_ANY))
		return AUTH_ERR_MISSING;
	return 0;
}

/*
 * Decodes a datagram into m.  Returns 0, or a negative enum
 * auth_decode_error.  It does not check the signature: for that, call
 * auth_verify() with the sender's public key.
 */
int
auth_decode(const uint8_t *buf, size_t len, struct auth_msg *m)
{
	size_t		 off;
	uint16_t	 type, elen;
	int		 rv;

	memset(m, 0, sizeof(*m));
	if (len > AUTH_MAX_MSG)
		return AUTH_ERR_TOO_LONG;
	if (len < AUTH_HDR_LEN)
		return AUTH_ERR_SHORT;
	if (memcmp(buf, AUTH_MAGIC, 4) != 0)
		return AUTH_ERR_MAGIC;
	if (buf[4] != AUTH_VERSION)
		return AUTH_ERR_VERSION;
	if (!type_valid(buf[5]) || buf[6] != 0 || buf[7] != 0)
		return AUTH_ERR_HEADER;
	m->type = buf[5];

	for (off = AUTH_HDR_LEN; off < len; off += AUTH_ELEM_HDR_LEN + elen) {
		if (m->present & AUTH_HAS(AE_SIGNATURE))
			return AUTH_ERR_AFTER_SIGNATURE;
		if (len - off < AUTH_ELEM_HDR_LEN)
			return AUTH_ERR_TRUNCATED;
		type = get16(buf + off);
		elen = get16(buf + off + 2);
		if (len - off - AUTH_ELEM_HDR_LEN < elen)
			return AUTH_ERR_TRUNCATED;
		/*
		 * Unknown types with the high bit set are extensions that an
		 * older receiver skips.  XXX a repeated skippable type is not
		 * detected, because the decoder keeps no record of them.
		 */
		if (type & AE_SKIPPABLE)
			continue;
		if (type == 0 || type > AE_SIGNATURE)
			return AUTH_ERR_CRITICAL;
		if (m->present & AUTH_HAS(type))
			return AUTH_ERR_DUPLICATE;
		rv = decode_element(m, type, buf + off + AUTH_ELEM_HDR_LEN,
		    elen);
		if (rv != 0)
			return rv;
		if (type == AE_SIGNATURE)
			m->sig_off = off;
		m->present |= AUTH_HAS(type);
	}
	return check_elements(m);
}

static int
put_element(uint8_t *buf, size_t size, size_t *off, uint16_t type,
    const void *value, size_t len)
{
	if (len > UINT16_MAX || size - *off < AUTH_ELEM_HDR_LEN + len)
		return -1;
	put16(buf + *off, type);
	put16(buf + *off + 2, (uint16_t)len);
	if (len > 0)
		memcpy(buf + *off + AUTH_ELEM_HDR_LEN, value, len);
	*off += AUTH_ELEM_HDR_LEN + len;
	return 0;
}

/* Writes every element that m->present names, in type order. */
static int
encode_elements(const struct auth_msg *m, uint8_t *buf, size_t size,
    size_t *off)
{
	uint8_t		 v[8];
	uint64_t	 ts = (uint64_t)m->timestamp;
	uint16_t	 t;
	const void	*p;
	size_t		 len;

	for (t = AE_SERVICE_ID; t < AE_SIGNATURE; t++) {
		if (!(m->present & AUTH_HAS(t)))
			continue;
		p = v;
		len = fixed_length(t) == -1 ? 0 : (size_t)fixed_length(t);
		switch (t) {
		case AE_SERVICE_ID:
			p = m->service_id;
			len = m->service_id_len;
			break;
		case AE_NONCE:
			p = m->nonce;
			break;
		case AE_TIMESTAMP:
			put32(v, ts >> 32);
			put32(v + 4, ts & 0xffffffff);
			break;
		case AE_RESULT:
			put16(v, m->result);
			break;
		case AE_UE_IPV4:
			p = &m->ue4;
			break;
		case AE_UE_IPV6:
			p = &m->ue6;
			break;
		case AE_LOCAL_IPV4:
			p = &m->local4;
			break;
		case AE_LOCAL_IPV6:
			p = &m->local6;
			break;
		case AE_LIFETIME:
			put32(v, m->lifetime);
			break;
		case AE_PORT_RANGE:
			put16(v, m->port_first);
			put16(v + 2, m->port_last);
			break;
		case AE_MESSAGE:
			p = m->message;
			len = m->message_len;
			break;
		default:
			return -1;
		}
		if (put_element(buf, size, off, t, p, len) == -1)
			return -1;
	}
	return 0;
}

/*
 * Encodes m into buf: the header, the elements that m->present names in
 * type order and, when sk (a 64-byte Ed25519 secret key) is not NULL,
 * the SIGNATURE element.  Without sk the message is unsigned, which only
 * tests need.  Returns the length, or -1 if an element is invalid or buf
 * is too small.
 */
ssize_t
auth_encode(const struct auth_msg *m, const unsigned char *sk, uint8_t *buf,
    size_t size)
{
	uint8_t		 sig[AUTH_SIG_LEN];
	size_t		 off = AUTH_HDR_LEN;

	if (!type_valid(m->type) || size < AUTH_HDR_LEN)
		return -1;
	if ((m->present & AUTH_HAS(AE_SERVICE_ID)) &&
	    (m->service_id_len == 0 ||
	    m->service_id_len > AUTH_MAX_SERVICE_ID ||
	    !auth_utf8_valid((const uint8_t *)m->service_id,
	    m->service_id_len)))
		return -1;
	if ((m->present & AUTH_HAS(AE_MESSAGE)) &&
	    (m->message_len > AUTH_MAX_MESSAGE ||
	    !auth_utf8_valid((const uint8_t *)m->message, m->message_len)))
		return -1;

	memcpy(buf, AUTH_MAGIC, 4);
	buf[4] = AUTH_VERSION;
	buf[5] = m->type;
	buf[6] = buf[7] = 0;
	if (encode_elements(m, buf, size, &off) == -1)
		return -1;
	if (sk != NULL) {
		if (size - off < AUTH_ELEM_HDR_LEN + AUTH_SIG_LEN)
			return -1;
		crypto_sign_ed25519_detached(sig, NULL, buf, off, sk);
		if (put_element(buf, size, &off, AE_SIGNATURE, sig,
		    sizeof(sig)) == -1)
			return -1;
	}
	if (off > AUTH_MAX_MSG)
		return -1;
	return (ssize_t)off;
}

/*
 * Checks the signature of a message that auth_decode() accepted from
 * buf against the 32-byte public key pk.  Returns 0 if it is valid.
 */
int
auth_verify(const uint8_t *buf, const struct auth_msg *m,
    const unsigned char *pk)
{
	if (!(m->present & AUTH_HAS(AE_SIGNATURE)))
		return -1;
	if (crypto_sign_ed25519_verify_detached(m->sig, buf, m->sig_off,
	    pk) != 0)
		return -1;
	return 0;
}

/* Fills a nonce with random bytes. */
void
auth_nonce(uint8_t *nonce)
{
	randombytes_buf(nonce, AUTH_NONCE_LEN);
}

/* Returns the stable upper-case name of a result code. */
const char *
auth_result_name(unsigned int result)
{
	if (result > AUTH_RESULT_MAX)
		return "UNKNOWN";
	return auth_result_names[result];
}

const char *
auth_type_name(uint8_t type)
{
	switch (type & ~AUTH_ANSWER) {
	case AUTH_AUTHORISE:
		return "authorise";
	case AUTH_REFRESH:
		return "refresh";
	case AUTH_RELEASE:
		return "release";
	case AUTH_STATUS:
		return "status";
	case AUTH_NOTIFY:
		return "notify";
	case AUTH_ACK:
		return "ack";
	default:
		return "unknown";
	}
}

const char *
auth_decode_strerror(int error)
{
	switch (error) {
	case 0:
		return "no error";
	case AUTH_ERR_SHORT:
		return "message shorter than the header";
	case AUTH_ERR_TOO_LONG:
		return "message longer than 1024 bytes";
	case AUTH_ERR_MAGIC:
		return "bad magic";
	case AUTH_ERR_VERSION:
		return "unsupported version";
	case AUTH_ERR_HEADER:
		return "unknown message type or reserved bits set";
	case AUTH_ERR_TRUNCATED:
		return "truncated element";
	case AUTH_ERR_DUPLICATE:
		return "duplicated element";
	case AUTH_ERR_CRITICAL:
		return "unknown critical element";
	case AUTH_ERR_LENGTH:
		return "element with a wrong length";
	case AUTH_ERR_VALUE:
		return "element with an invalid value";
	case AUTH_ERR_AFTER_SIGNATURE:
		return "data after the signature";
	case AUTH_ERR_MISSING:
		return "required element missing";
	case AUTH_ERR_MISPLACED:
		return "element not allowed in this message type";
	default:
		return "unknown error";
	}
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Creates a key pair and writes the secret key to path: base64 (original
 * alphabet) of the 64-byte libsodium secret key and a newline, mode
 * 0600.  An existing file is never overwritten.  Stores the public key
 * in pk.  Returns -1 with a message in err on failure.
 */
int
auth_keygen(const char *path, unsigned char *pk, char *err, size_t errlen)
{
	unsigned char	 sk[AUTH_SK_LEN];
	char		 b64[AUTH_SK_B64_LEN + 1];
	size_t		 len;
	int		 fd, rv = -1;

	crypto_sign_ed25519_keypair(pk, sk);
	sodium_bin2base64(b64, sizeof(b64), sk, sizeof(sk),
	    sodium_base64_VARIANT_ORIGINAL);
	len = strlen(b64);
	b64[len++] = '\n';

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	/* Set 0600 whatever the umask removed, since load expects it. */
	if (fchmod(fd, 0600) == -1 || write(fd, b64, len) != (ssize_t)len ||
	    fsync(fd) == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto done;
	}
	if (close(fd) == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		goto done;
	}
	rv = 0;
 done:
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(b64, sizeof(b64));
	return rv;
}

/*
 * Reads a secret key file that auth_keygen() wrote into sk (64 bytes).
 * Rejects a file that group or other users may access, a file that is
 * not a regular file, and a key whose public half does not match its
 * seed.  Returns -1 with a message in err on failure.
 */
int
auth_key_load(const char *path, unsigned char *sk, char *err, size_t errlen)
{
	unsigned char	 pk[AUTH_PK_LEN], check[AUTH_SK_LEN];
	char		 b64[AUTH_SK_B64_LEN + 8];
	struct stat	 st;
	const char	*end;
	size_t		 binlen;
	ssize_t		 n;
	int		 fd, rv = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		goto done;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		seterr(err, errlen, "%s: mode %04o lets group or other users "
		    "access the secret key; run chmod 600 on it", path,
		    (unsigned int)(st.st_mode & 07777));
		goto done;
	}
	n = read(fd, b64, sizeof(b64) - 1);
	if (n == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	while (n > 0 && (b64[n - 1] == '\n' || b64[n - 1] == '\r' ||
	    b64[n - 1] == ' '))
		n--;
	b64[n] = '\0';
	if (sodium_base642bin(sk, AUTH_SK_LEN, b64, (size_t)n, NULL, &binlen,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen != AUTH_SK_LEN || end != b64 + n) {
		seterr(err, errlen, "%s: not a base64 Ed25519 secret key of "
		    "64 bytes", path);
		goto done;
	}
	/* The second half of a libsodium secret key is its public key. */
	crypto_sign_ed25519_seed_keypair(pk, check, sk);
	if (sodium_memcmp(pk, sk + AUTH_PK_LEN, AUTH_PK_LEN) != 0) {
		seterr(err, errlen, "%s: the public half of the secret key "
		    "does not match its seed", path);
		goto done;
	}
	rv = 0;
 done:
	if (rv == -1)
		sodium_memzero(sk, AUTH_SK_LEN);
	sodium_memzero(check, sizeof(check));
	sodium_memzero(b64, sizeof(b64));
	close(fd);
	return rv;
}

/* Writes the base64 public key of secret key sk into out. */
int
auth_pubkey_b64(const unsigned char *sk, char *out, size_t outlen)
{
	if (outlen < AUTH_PK_B64_LEN)
		return -1;
	sodium_bin2base64(out, outlen, sk + AUTH_PK_LEN, AUTH_PK_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

/* Decodes a base64 public key, the form that mcgwd.conf uses, into pk. */
int
auth_pubkey_decode(const char *b64, unsigned char *pk)
{
	const char	*end;
	size_t		 binlen, len = strlen(b64);

	if (sodium_base642bin(pk, AUTH_PK_LEN, b64, len, NULL, &binlen,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen != AUTH_PK_LEN || end != b64 + len)
		return -1;
	return 0;
}
