/*
 * The benchmark's floor: a DHCPv4 responder that does only what any
 * server must do to reply to perfdhcp, one blocking recvfrom(2) and one
 * sendto(2) per message.  It keeps no lease table, stores and logs
 * nothing, and checks only what finding the message type needs.  Its
 * CPU per lease is the cost of replying on this machine, the part of
 * every server's figure that no server can save.
 *
 * floor-responder SERVER-ADDRESS
 *
 * It replies to relayed messages only (giaddr set), as perfdhcp -l sends
 * them, with the client's address taken from the transaction ID.  Not a
 * server: it gives any address to anyone.  For the benchmark only.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define OPT_OFF		240	/* RFC 2131 3: after the magic cookie */

static size_t
msgtype_off(const uint8_t *p, size_t n)
{
	size_t	 i = OPT_OFF;

	while (i + 1 < n && p[i] != 255) {
		if (p[i] == 0) {
			i++;
			continue;
		}
		if (p[i] == 53 && p[i + 1] == 1 && i + 2 < n)
			return i + 2;
		i += 2 + p[i + 1];
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin, from;
	socklen_t		 flen;
	struct in_addr		 srv;
	uint8_t			 p[1500], *o, type;
	uint32_t		 xid, ip, lt = htonl(3600), mask;
	ssize_t			 n;
	size_t			 t;
	int			 s, on = 1;

	if (argc != 2 || inet_pton(AF_INET, argv[1], &srv) != 1)
		errx(1, "usage: floor-responder server-address");
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(67);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind");
	mask = htonl(0xffc00000);
	for (;;) {
		flen = sizeof(from);
		if ((n = recvfrom(s, p, sizeof(p), 0,
		    (struct sockaddr *)&from, &flen)) == -1)
			err(1, "recvfrom");
		if (n < OPT_OFF || p[0] != 1 || p[24] == 0 ||
		    (t = msgtype_off(p, n)) == 0 || (p[t] != 1 && p[t] != 3))
			continue;
		type = p[t] == 1 ? 2 : 5;	/* OFFER or ACK */
		memcpy(&xid, p + 4, 4);
		ip = htonl(0x0a400100 + ntohl(xid) % 60000);
		p[0] = 2;
		memcpy(p + 16, &ip, 4);			/* yiaddr */
		o = p + OPT_OFF;
		*o++ = 53; *o++ = 1; *o++ = type;
		*o++ = 54; *o++ = 4; memcpy(o, &srv, 4); o += 4;
		*o++ = 51; *o++ = 4; memcpy(o, &lt, 4); o += 4;
		*o++ = 1; *o++ = 4; memcpy(o, &mask, 4); o += 4;
		*o++ = 255;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(67);
		memcpy(&sin.sin_addr, p + 24, 4);	/* to the relay */
		if (sendto(s, p, o - p, 0,
		    (struct sockaddr *)&sin, sizeof(sin)) == -1)
			warn("sendto");
	}
}
