/*
 * Functions of the parent process, grouped by file.
 */

#ifndef MCGWD_PARENT_H
#define MCGWD_PARENT_H

#include <sys/types.h>
#include <netinet/in.h>

/* sockets.c */
int	sock_dhcp4_packet(const char *, unsigned int);
int	sock_dhcp4_udp(const char *);
int	control_listen(const char *, mode_t, gid_t);

/* kroute.c */
/*
 * Fills the interface's index and Ethernet address; returns -1 if the
 * interface does not exist.
 */
int	kr_iface_info(const char *, unsigned int *, uint8_t *);
/* Returns 1 if the address is on the interface, 0 if not, -1 on error. */
int	kr_addr4_present(const char *, struct in_addr);
int	kr_addr4_add(unsigned int, struct in_addr, uint8_t);

#endif /* MCGWD_PARENT_H */
