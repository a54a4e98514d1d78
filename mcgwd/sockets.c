/*
 * Descriptors the parent opens for the engines: per LAN interface an
 * AF_PACKET socket with a BPF filter for DHCPv4 server traffic and a
 * send-only UDP socket on port 67, and the two control sockets.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcgwd.h"
#include "parent.h"

/* Up to this many bytes of DHCP requests wait in the kernel for dhcpd. */
#define PACKET_RCVBUF	(4 * 1024 * 1024)

/*
 * Compiles "udp dst port 67" for packets that start at the IPv4 header,
 * which is what a SOCK_DGRAM packet socket delivers.
 */
static int
bpf_dhcp4_server(struct sock_fprog *fprog, struct bpf_program *prog)
{
	pcap_t	*p;

	if ((p = pcap_open_dead(DLT_RAW, 65535)) == NULL)
		return -1;
	if (pcap_compile(p, prog, "udp dst port 67", 1,
	    PCAP_NETMASK_UNKNOWN) == -1) {
		log_warnx("%s: pcap_compile: %s", __func__, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	fprog->len = prog->bf_len;
	fprog->filter = (struct sock_filter *)prog->bf_insns;
	return 0;
}

int
sock_dhcp4_packet(const char *ifname, unsigned int ifindex)
{
	struct sockaddr_ll	 sll;
	struct sock_fprog	 fprog;
	struct bpf_program	 prog;
	int			 fd, on = 1, size = PACKET_RCVBUF;

	/*
	 * Protocol 0 receives nothing until bind, so no packet slips in
	 * before the filter is attached.
	 */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("%s: socket AF_PACKET", ifname);
		return -1;
	}
	if (bpf_dhcp4_server(&fprog, &prog) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
	    sizeof(fprog)) == -1) {
		log_warn("%s: SO_ATTACH_FILTER", ifname);
		pcap_freecode(&prog);
		goto fail;
	}
	pcap_freecode(&prog);
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof(on)) == -1)
		log_warn("%s: PACKET_AUXDATA", ifname);
	/* Linux 4.20 and later: our own transmissions stay out. */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on,
	    sizeof(on)) == -1)
		log_debug("%s: PACKET_IGNORE_OUTGOING: %s", ifname,
		    strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1)
		log_debug("%s: SO_RCVBUFFORCE: %s", ifname, strerror(errno));

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		log_warn("%s: bind AF_PACKET", ifname);
		goto fail;
	}
	return fd;
 fail:
	close(fd);
	return -1;
}

int
sock_dhcp4_udp(const char *ifname)
{
	/* Receive nothing: requests come through the packet socket. */
	struct sock_filter	 drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog	 fprog = { 1, drop };
	struct sockaddr_in	 sin;
	int			 fd, on = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("%s: socket AF_INET", ifname);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
	    sizeof(fprog)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    strlen(ifname) + 1) == -1) {
		log_warn("%s: setsockopt on the UDP socket", ifname);
		goto fail;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(67);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		log_warn("%s: bind UDP port 67", ifname);
		goto fail;
	}
	return fd;
 fail:
	close(fd);
	return -1;
}

/*
 * The authorisation endpoint of one LAN interface: UDP on port, bound to
 * the interface, with the destination address of each request.
 */
int
sock_auth_udp(const char *ifname, uint16_t port)
{
	struct sockaddr_in	 sin;
	int			 fd, on = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("%s: socket AF_INET", ifname);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    strlen(ifname) + 1) == -1) {
		log_warn("%s: setsockopt on the authorisation socket", ifname);
		goto fail;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		log_warn("%s: bind UDP port %u", ifname, port);
		goto fail;
	}
	return fd;
 fail:
	close(fd);
	return -1;
}

/* Removes a control socket left by a daemon that is gone. */
static int
control_unlink_stale(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		log_warnx("control socket %s is in use: is mcgwd running?",
		    path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path);
		return -1;
	}
	return 0;
}

int
control_listen(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un	 sun;
	mode_t			 old_umask;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return -1;
	}
	if (control_unlink_stale(path) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("%s: socket", __func__);
		return -1;
	}
	old_umask = umask(S_IXUSR | S_IXGRP | S_IWOTH | S_IROTH | S_IXOTH);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", path);
		umask(old_umask);
		close(fd);
		return -1;
	}
	umask(old_umask);
	if (chown(path, 0, gid) == -1 || chmod(path, mode) == -1) {
		log_warn("cannot set the owner or mode of %s", path);
		goto fail;
	}
	if (listen(fd, 16) == -1) {
		log_warn("listen %s", path);
		goto fail;
	}
	return fd;
 fail:
	unlink(path);
	close(fd);
	return -1;
}
