/*
 * The connection-authorisation protocol: mcgwd's own binary TLV protocol
 * over UDP between an MC client (mcgw-client) and the gateway.  No 3GPP
 * stage-3 protocol exists for this exchange; mcgwd-auth(7) describes
 * the wire format that this codec implements.
 *
 * Every integer on the wire is in network byte order.  A message is an
 * 8-byte header followed by elements (type: 2 bytes, length: 2 bytes,
 * value).  The last element is always an Ed25519 signature over every
 * byte before that element.
 */

#ifndef MCGW_AUTH_H
#define MCGW_AUTH_H

#include <sys/types.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_PORT		4767
#define AUTH_MAGIC		"MCGA"
#define AUTH_VERSION		1
#define AUTH_HDR_LEN		8
#define AUTH_ELEM_HDR_LEN	4
/*
 * A longer datagram is malformed.  A message with every element of this
 * version at its largest takes 704 bytes, which leaves room for
 * skippable extension elements.
 */
#define AUTH_MAX_MSG		1024
#define AUTH_NONCE_LEN		16
#define AUTH_SIG_LEN		64	/* crypto_sign_ed25519_BYTES */
#define AUTH_PK_LEN		32	/* crypto_sign_ed25519_PUBLICKEYBYTES */
#define AUTH_SK_LEN		64	/* crypto_sign_ed25519_SECRETKEYBYTES */
/* Base64 (original alphabet, padded) of a public key, with its NUL. */
#define AUTH_PK_B64_LEN		45
#define AUTH_SK_B64_LEN		89
#define AUTH_MAX_SERVICE_ID	255
#define AUTH_MAX_MESSAGE	255
/*
 * Default clock-skew window in seconds: the server accepts a request
 * whose timestamp differs from its own clock by at most this much.
 */
#define AUTH_SKEW		30

/* Header message types.  An answer sets AUTH_ANSWER on the request's. */
#define AUTH_AUTHORISE		1
#define AUTH_REFRESH		2
#define AUTH_RELEASE		3
#define AUTH_STATUS		4
/*
 * Unsolicited: the gateway tells a client that its UE addresses changed,
 * and the client acknowledges.  Neither has an answer type.
 */
#define AUTH_NOTIFY		5	/* gateway -> client */
#define AUTH_ACK		6	/* client -> gateway, NOTIFY's nonce */
#define AUTH_ANSWER		0x80

/* Element types.  Types from 0x8000 up may be skipped by a receiver. */
#define AE_SERVICE_ID		1
#define AE_NONCE		2
#define AE_TIMESTAMP		3
#define AE_RESULT		4
#define AE_UE_IPV4		5
#define AE_UE_IPV6		6
#define AE_LOCAL_IPV4		7
#define AE_LOCAL_IPV6		8
#define AE_LIFETIME		9
#define AE_PORT_RANGE		10
#define AE_MESSAGE		11
#define AE_SIGNATURE		15
#define AE_SKIPPABLE		0x8000

/* Bit in auth_msg.present for element type t (t <= AE_SIGNATURE). */
#define AUTH_HAS(t)		(1U << (t))

enum auth_result {
	AUTH_SUCCESS = 0,
	AUTH_UNKNOWN_SERVICE_ID = 1,
	AUTH_BAD_SIGNATURE = 2,
	AUTH_STALE_TIMESTAMP = 3,
	AUTH_REPLAY = 4,
	AUTH_NO_LEASE = 5,
	AUTH_MALFORMED = 6,
	AUTH_RATE_LIMITED = 7,
	AUTH_NO_BINDING = 8,
	AUTH_INTERNAL_ERROR = 9
};
#define AUTH_RESULT_MAX		AUTH_INTERNAL_ERROR

/* Errors of auth_decode(), all negative. */
enum auth_decode_error {
	AUTH_ERR_SHORT = -1,		/* shorter than the header */
	AUTH_ERR_TOO_LONG = -2,		/* longer than AUTH_MAX_MSG */
	AUTH_ERR_MAGIC = -3,
	AUTH_ERR_VERSION = -4,		/* a version other than 1 */
	AUTH_ERR_HEADER = -5,		/* unknown type or reserved not 0 */
	AUTH_ERR_TRUNCATED = -6,	/* an element runs past the end */
	AUTH_ERR_DUPLICATE = -7,
	AUTH_ERR_CRITICAL = -8,		/* unknown element below 0x8000 */
	AUTH_ERR_LENGTH = -9,		/* wrong length for the type */
	AUTH_ERR_VALUE = -10,		/* invalid value, e.g. bad UTF-8 */
	AUTH_ERR_AFTER_SIGNATURE = -11,
	AUTH_ERR_MISSING = -12,		/* a required element is absent */
	AUTH_ERR_MISPLACED = -13	/* element not allowed in this type */
};

/*
 * Decoded view of one message.  service_id and message are copied and
 * NUL-terminated; their lengths exclude the NUL.  sig_off is the offset
 * of the SIGNATURE element: the signature covers bytes [0, sig_off).
 */
struct auth_msg {
	uint8_t		 type;		/* AUTH_AUTHORISE ... | AUTH_ANSWER */
	uint32_t	 present;	/* AUTH_HAS() bits */
	size_t		 service_id_len;
	char		 service_id[AUTH_MAX_SERVICE_ID + 1];
	uint8_t		 nonce[AUTH_NONCE_LEN];
	int64_t		 timestamp;	/* seconds since the epoch */
	uint16_t	 result;	/* enum auth_result */
	struct in_addr	 ue4;
	struct in6_addr	 ue6;
	struct in_addr	 local4;
	struct in6_addr	 local6;
	uint32_t	 lifetime;	/* seconds */
	uint16_t	 port_first;
	uint16_t	 port_last;
	size_t		 message_len;
	char		 message[AUTH_MAX_MESSAGE + 1];
	uint8_t		 sig[AUTH_SIG_LEN];
	size_t		 sig_off;
};

/* auth.c */
int		 auth_init(void);
int		 auth_decode(const uint8_t *, size_t, struct auth_msg *);
ssize_t		 auth_encode(const struct auth_msg *, const unsigned char *,
		    uint8_t *, size_t);
int		 auth_verify(const uint8_t *, const struct auth_msg *,
		    const unsigned char *);
void		 auth_nonce(uint8_t *);
int		 auth_utf8_valid(const uint8_t *, size_t);
const char	*auth_result_name(unsigned int);
const char	*auth_type_name(uint8_t);
const char	*auth_decode_strerror(int);
int		 auth_keygen(const char *, unsigned char *, char *, size_t);
int		 auth_key_load(const char *, unsigned char *, char *, size_t);
int		 auth_pubkey_b64(const unsigned char *, char *, size_t);
int		 auth_pubkey_decode(const char *, unsigned char *);

#endif /* MCGW_AUTH_H */
