/*
 * Names of the shared enumerations, for logs and mcgwctl.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIBBSD_OPENBSD_VIS
#include <vis.h>

#include "mcgw.h"

const char *
imsg_type_name(uint32_t type)
{
	static char	 buf[32];

	switch (type) {
	case IMSG_RECONF_CONF:		return "IMSG_RECONF_CONF";
	case IMSG_RECONF_IFACE:		return "IMSG_RECONF_IFACE";
	case IMSG_RECONF_SUBNET:	return "IMSG_RECONF_SUBNET";
	case IMSG_RECONF_RANGE:		return "IMSG_RECONF_RANGE";
	case IMSG_RECONF_OPTION:	return "IMSG_RECONF_OPTION";
	case IMSG_RECONF_HOST:		return "IMSG_RECONF_HOST";
	case IMSG_RECONF_END:		return "IMSG_RECONF_END";
	case IMSG_DHCP4_SOCKETS:	return "IMSG_DHCP4_SOCKETS";
	case IMSG_DHCP4_UDP:		return "IMSG_DHCP4_UDP";
	case IMSG_DHCP4_CLOSE:		return "IMSG_DHCP4_CLOSE";
	case IMSG_CONTROL_FD:		return "IMSG_CONTROL_FD";
	case IMSG_PROCINFO:		return "IMSG_PROCINFO";
	case IMSG_CTL_RELOAD:		return "IMSG_CTL_RELOAD";
	case IMSG_CTL_LOG_VERBOSE:	return "IMSG_CTL_LOG_VERBOSE";
	case IMSG_CTL_RELOAD_DONE:	return "IMSG_CTL_RELOAD_DONE";
	case IMSG_LEASE_RESTORE:	return "IMSG_LEASE_RESTORE";
	case IMSG_LEASE_RESTORE_END:	return "IMSG_LEASE_RESTORE_END";
	case IMSG_LEASE_RELEASE:	return "IMSG_LEASE_RELEASE";
	case IMSG_DHCPD_READY:		return "IMSG_DHCPD_READY";
	case IMSG_LEASE_STORE:		return "IMSG_LEASE_STORE";
	case IMSG_LEASE_STORED:		return "IMSG_LEASE_STORED";
	case IMSG_LEASE_STORE_FAILED:	return "IMSG_LEASE_STORE_FAILED";
	case IMSG_CTL_SHOW_STATUS:	return "IMSG_CTL_SHOW_STATUS";
	case IMSG_CTL_SHOW_LEASES:	return "IMSG_CTL_SHOW_LEASES";
	case IMSG_CTL_RELEASE:		return "IMSG_CTL_RELEASE";
	case IMSG_CTL_STATUS:		return "IMSG_CTL_STATUS";
	case IMSG_CTL_PROC:		return "IMSG_CTL_PROC";
	case IMSG_CTL_LEASE:		return "IMSG_CTL_LEASE";
	case IMSG_CTL_RESULT:		return "IMSG_CTL_RESULT";
	case IMSG_CTL_END:		return "IMSG_CTL_END";
	case IMSG_RECONF_AUTH:		return "IMSG_RECONF_AUTH";
	case IMSG_RECONF_AUTH_KEY:	return "IMSG_RECONF_AUTH_KEY";
	case IMSG_AUTH_SOCKET:		return "IMSG_AUTH_SOCKET";
	case IMSG_BINDING_HOLD:		return "IMSG_BINDING_HOLD";
	case IMSG_CTL_SHOW_BINDINGS:	return "IMSG_CTL_SHOW_BINDINGS";
	case IMSG_CTL_BINDING:		return "IMSG_CTL_BINDING";
	case IMSG_CTL_SHOW_HISTORY:	return "IMSG_CTL_SHOW_HISTORY";
	case IMSG_CTL_HISTORY:		return "IMSG_CTL_HISTORY";
	case IMSG_CTL_CLEAR_BINDING:	return "IMSG_CTL_CLEAR_BINDING";
	case IMSG_RECONF_FRAMED:	return "IMSG_RECONF_FRAMED";
	case IMSG_UPLINK_ADDR:		return "IMSG_UPLINK_ADDR";
	case IMSG_NAT_ADD:		return "IMSG_NAT_ADD";
	case IMSG_NAT_DEL:		return "IMSG_NAT_DEL";
	case IMSG_ROUTE_ADD:		return "IMSG_ROUTE_ADD";
	case IMSG_ROUTE_DEL:		return "IMSG_ROUTE_DEL";
	case IMSG_KERNEL_RESULT:	return "IMSG_KERNEL_RESULT";
	case IMSG_CTL_SHOW_ROUTES:	return "IMSG_CTL_SHOW_ROUTES";
	case IMSG_CTL_ROUTE:		return "IMSG_CTL_ROUTE";
	case IMSG_CTL_SHOW_FRAMED:	return "IMSG_CTL_SHOW_FRAMED";
	case IMSG_CTL_FRAMED:		return "IMSG_CTL_FRAMED";
	default:
		snprintf(buf, sizeof(buf), "IMSG_%u", type);
		return buf;
	}
}

const char *
lease_state_name(uint8_t state)
{
	switch (state) {
	case LEASE_FREE:	return "free";
	case LEASE_OFFERED:	return "offered";
	case LEASE_ACTIVE:	return "active";
	case LEASE_RELEASED:	return "released";
	case LEASE_EXPIRED:	return "expired";
	case LEASE_DECLINED:	return "declined";
	case LEASE_ABANDONED:	return "abandoned";
	default:		return "unknown";
	}
}

const char *
mode_name(uint8_t mode)
{
	switch (mode) {
	case MODE_ROUTED:	return "routed";
	case MODE_NAT:		return "nat";
	default:		return "unknown";
	}
}

int
mcgw_ro_socket_path(const char *path, char *buf, size_t len)
{
	size_t	 n = strlen(path);
	int	 r;

	if (n >= 5 && strcmp(path + n - 5, ".sock") == 0)
		r = snprintf(buf, len, "%.*s.ro.sock", (int)(n - 5), path);
	else
		r = snprintf(buf, len, "%s.ro", path);
	if (r < 0 || (size_t)r >= len)
		return -1;
	return 0;
}

void
mcgw_vis(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	char	*buf;
	size_t	 i, unit;

	if (dstlen == 0)
		return;
	dst[0] = '\0';
	if ((buf = malloc(4 * srclen + 1)) == NULL)
		return;
	strvisx(buf, src, srclen, VIS_CSTYLE | VIS_OCTAL | VIS_TAB | VIS_NL);
	for (i = 0; buf[i] != '\0'; i += unit) {
		/* An escape is "\c" or "\ooo": keep it whole or not at all. */
		unit = 1;
		if (buf[i] == '\\')
			unit = buf[i + 1] >= '0' && buf[i + 1] <= '7' ? 4 : 2;
		if (i + unit >= dstlen)
			break;
	}
	memcpy(dst, buf, i);
	dst[i] = '\0';
	free(buf);
}
