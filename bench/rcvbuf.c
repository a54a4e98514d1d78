/*
 * LD_PRELOAD shim for the load generator: gives every UDP socket that
 * perfdhcp opens a receive buffer of BENCH_RCVBUF bytes (default 4 MB,
 * capped by net.core.rmem_max).
 *
 * perfdhcp runs up to five processes on one CPU, each with one socket
 * for every reply of its share of the load.  With the default buffer
 * (net.core.rmem_default, 208 kB here, and not settable per network
 * namespace), a server that answers in bursts loses replies in the
 * generator's own socket (UDP RcvbufErrors in the client namespace)
 * although it sent them all.  A LAN of separate clients has no such
 * shared buffer, so the benchmark gives every server the same larger
 * one.
 */

#define _GNU_SOURCE
#include <sys/socket.h>

#include <dlfcn.h>
#include <stdlib.h>

int
socket(int domain, int type, int protocol)
{
	static int	(*real_socket)(int, int, int);
	const char	*env;
	int		 fd, size = 4 * 1024 * 1024;

	if (real_socket == NULL &&
	    (real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT,
	    "socket")) == NULL)
		abort();
	fd = real_socket(domain, type, protocol);
	if (fd == -1 || domain != AF_INET || (type & 0xff) != SOCK_DGRAM)
		return fd;
	if ((env = getenv("BENCH_RCVBUF")) != NULL)
		size = atoi(env);
	/* Best effort: the default buffer is what every server had. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fd;
}
