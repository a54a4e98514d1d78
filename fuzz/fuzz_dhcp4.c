/*
 * libFuzzer target: the DHCPv4 message and option parser
 * (dhcp4_parse), then the reply builder on what it parsed.
 *
 * The reply echoes every option the client asked for in option 55 with
 * the client's own data, so that long (RFC 3396) and overloaded
 * layouts come up.  The reply, read back as a request, must give the
 * options back unchanged: a mismatch aborts.
 */

#include <sys/types.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "../dhcpd-engine/dhcpd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct dhcp4_packet	 pkt, back;
static struct dhcp4_optlist	 ol;
static uint8_t			 reply[DHCP4_MAX_REPLY];

static void
add_opt(uint8_t code, const uint8_t *data, size_t len, enum dhcp4_prio prio)
{
	if (dhcp4_optlist_has(&ol, code))
		return;
	/* A full list is a case for the builder too, so go on. */
	(void)dhcp4_optlist_add(&ol, code, data, len, prio);
}

/* Every option of the list that the builder kept must read back. */
static void
check_reply(ssize_t len)
{
	const struct dhcp4_optent *e;
	const uint8_t	*p;
	const char	*errstr;
	size_t		 plen;
	int		 i;

	if ((size_t)len < DHCP4_MIN_REPLY || (size_t)len > sizeof(reply))
		abort();
	reply[0] = BOOTREQUEST;
	if (dhcp4_parse(reply, len, &back, &errstr) == -1)
		abort();
	for (i = 0; i < ol.n; i++) {
		e = &ol.ent[i];
		p = dhcp4_opt_get(&back, e->code, &plen);
		if (p == NULL) {
			/* Only low-priority options may be dropped. */
			if (e->prio == DHCP4_PRIO_HIGH)
				abort();
			continue;
		}
		if (plen != e->len || memcmp(p, ol.data + e->off, plen) != 0)
			abort();
	}
}

static void
build_reply(uint8_t flags)
{
	const uint8_t	*prl, *p;
	uint8_t		 mt = DHCPOFFER;
	size_t		 prllen, len, i;
	ssize_t		 n;

	dhcp4_optlist_init(&ol);
	add_opt(DHO_MESSAGE_TYPE, &mt, 1, DHCP4_PRIO_HIGH);
	if ((p = dhcp4_opt_get(&pkt, DHO_SERVER_ID, &len)) != NULL &&
	    len == 4)
		add_opt(DHO_SERVER_ID, p, len, DHCP4_PRIO_HIGH);
	if ((prl = dhcp4_opt_get(&pkt, DHO_PRL, &prllen)) != NULL) {
		for (i = 0; i < prllen; i++) {
			/* 0, 52 and 255 are no options a server sends. */
			if (prl[i] == DHO_PAD || prl[i] == DHO_OVERLOAD ||
			    prl[i] == DHO_END || prl[i] == DHO_MESSAGE_TYPE)
				continue;
			if ((p = dhcp4_opt_get(&pkt, prl[i], &len)) == NULL)
				continue;
			add_opt(prl[i], p, len, DHCP4_PRIO_LOW);
		}
	}
	/* RFC 3046 2.2: the server echoes option 82 as it came. */
	if ((p = dhcp4_opt_get(&pkt, DHO_RELAY_AGENT_INFO, &len)) != NULL)
		add_opt(DHO_RELAY_AGENT_INFO, p, len, DHCP4_PRIO_HIGH);

	n = dhcp4_build(&pkt.hdr, &ol, dhcp4_max_reply(&pkt), flags & 1,
	    reply, sizeof(reply));
	if (n != -1)
		check_reply(n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*errstr;
	uint8_t		*buf;

	/* A copy of the exact size, so that ASan sees any overread. */
	if ((buf = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (dhcp4_parse(buf, size, &pkt, &errstr) == 0) {
		(void)dhcp4_max_reply(&pkt);
		/* The transaction ID's last byte picks overload or not. */
		build_reply(pkt.hdr.xid >> 24);
	}
	free(buf);
	return 0;
}
