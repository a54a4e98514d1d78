/*
 * libFuzzer target: the connection-authorisation codec (auth_decode,
 * auth_verify, auth_encode).
 *
 * A random signature never verifies, so for every message that decodes
 * the target also signs a copy with a fixed test key: that copy must
 * decode and verify.  Every decoded message is encoded again, and the
 * result must decode to the same fields.
 */

#include <sys/types.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char	 pk[AUTH_PK_LEN], sk[AUTH_SK_LEN];
static int		 ready;

/* The key of mcgwd-auth(7)'s example: its seed is the bytes 1 to 32. */
static void
init_key(void)
{
	unsigned char	 seed[crypto_sign_ed25519_SEEDBYTES];
	size_t		 i;

	if (auth_init() == -1)
		abort();
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = i + 1;
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
	ready = 1;
}

static void
same_fields(const struct auth_msg *a, const struct auth_msg *b)
{
	if (a->type != b->type || a->present != b->present)
		abort();
	if (a->service_id_len != b->service_id_len ||
	    strcmp(a->service_id, b->service_id) != 0 ||
	    memcmp(a->nonce, b->nonce, sizeof(a->nonce)) != 0 ||
	    a->timestamp != b->timestamp || a->result != b->result ||
	    a->lifetime != b->lifetime || a->port_first != b->port_first ||
	    a->port_last != b->port_last ||
	    a->message_len != b->message_len ||
	    strcmp(a->message, b->message) != 0 ||
	    memcmp(&a->ue4, &b->ue4, sizeof(a->ue4)) != 0 ||
	    memcmp(&a->ue6, &b->ue6, sizeof(a->ue6)) != 0 ||
	    memcmp(&a->local4, &b->local4, sizeof(a->local4)) != 0 ||
	    memcmp(&a->local6, &b->local6, sizeof(a->local6)) != 0)
		abort();
}

/* Signs a copy of buf with the test key.  The copy must verify. */
static void
resign(const uint8_t *buf, size_t len, const struct auth_msg *m)
{
	struct auth_msg	 m2;
	uint8_t		 copy[AUTH_MAX_MSG];
	size_t		 sigval;

	if (!(m->present & AUTH_HAS(AE_SIGNATURE)))
		return;
	memcpy(copy, buf, len);
	sigval = m->sig_off + AUTH_ELEM_HDR_LEN;
	crypto_sign_ed25519_detached(copy + sigval, NULL, copy, m->sig_off,
	    sk);
	if (auth_decode(copy, len, &m2) != 0)
		abort();
	if (auth_verify(copy, &m2, pk) != 0)
		abort();
}

/* Encodes m again, signed when the input was, and decodes the result. */
static void
reencode(const struct auth_msg *m)
{
	struct auth_msg	 m2;
	uint8_t		 out[AUTH_MAX_MSG];
	ssize_t		 n;

	/*
	 * Skippable elements are dropped, so the output is never longer
	 * than the input, as long as both carry a signature or neither.
	 */
	if (!(m->present & AUTH_HAS(AE_SIGNATURE))) {
		if ((n = auth_encode(m, NULL, out, sizeof(out))) == -1)
			abort();
		if (auth_decode(out, n, &m2) != 0)
			abort();
		same_fields(m, &m2);
		return;
	}
	if ((n = auth_encode(m, sk, out, sizeof(out))) == -1)
		abort();
	if (auth_decode(out, n, &m2) != 0 || auth_verify(out, &m2, pk) != 0)
		abort();
	same_fields(m, &m2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_msg	 m;
	uint8_t		*buf;
	int		 rv;

	if (!ready)
		init_key();
	/* A copy of the exact size, so that ASan sees any overread. */
	if ((buf = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	rv = auth_decode(buf, size, &m);
	(void)auth_decode_strerror(rv);
	if (rv == 0) {
		(void)auth_verify(buf, &m, pk);
		(void)auth_type_name(m.type);
		(void)auth_result_name(m.result);
		resign(buf, size, &m);
		reencode(&m);
	}
	free(buf);
	return 0;
}
