/*
 * mcgwctl output: aligned text columns for people, one JSON document
 * per command for scripts.  Strings from mcgwd follow two rules:
 *
 * - Host names and result messages arrive already made printable with
 *   vis(3) by mcgwd.  Text output prints them as they are, after
 *   replacing any byte outside printable ASCII with '?' in case mcgwd
 *   missed one, so that a backslash is not escaped twice.
 * - Every other string (service IDs, which are raw UTF-8, interface
 *   names, paths) arrives raw, and text output passes it through
 *   strvis(3).
 *
 * JSON output escapes both kinds the same way: quotes, backslashes,
 * control characters and every byte that is not valid UTF-8.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define LIBBSD_OPENBSD_VIS	/* the strnvis() prototype, unused here */
#include <vis.h>

#include "mcgw.h"
#include "mcgwctl.h"

/* Maximum size of a lease column's text: the client id in hex, and NUL. */
#define FIELD_MAX	(2 * MCGW_MAX_CIDLEN + 1)
/* A service ID after vis(3): at most four bytes for each of its bytes. */
#define SID_VIS_MAX	(4 * MCGW_SERVICE_ID_LEN + 1)

enum lease_column {
	COL_ADDRESS,
	COL_MAC,
	COL_CLIENT_ID,
	COL_INTERFACE,
	COL_STATE,
	COL_START,
	COL_END,
	COL_HOSTNAME,
	COL_COUNT
};

static const char *lease_headers[COL_COUNT] = {
	"ADDRESS", "MAC", "CLIENT-ID", "INTERFACE", "STATE", "START", "END",
	"HOSTNAME"
};

struct lease_row {
	char	 field[COL_COUNT][FIELD_MAX];
};

static int	 format_time(int64_t, char *, size_t);
static void	 format_hex(const uint8_t *, size_t, const char *, char *,
		    size_t);
static void	 format_vis(const char *, char *, size_t);
static void	 format_encoded(const char *, char *, size_t);
static void	 format_uptime(int64_t, char *, size_t);
static size_t	 utf8_sequence_len(const unsigned char *, size_t);
static void	 json_time(const char *, int64_t);
static void	 json_addr(const char *, int, const void *);
static const char *text_addr(int, const void *, char *, size_t);
static void	 lease_row_fill(const struct imsg_lease4 *, struct lease_row *);
static int	 lease_compare(const void *, const void *);

/* Writes t as RFC 3339 UTC; returns -1 when it cannot be represented. */
static int
format_time(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		strlcpy(buf, "-", len);
		return -1;
	}
	return 0;
}

/* Writes len bytes as hex pairs joined by sep, or "-" when len is 0. */
static void
format_hex(const uint8_t *p, size_t len, const char *sep, char *buf,
    size_t size)
{
	size_t	 i, off = 0;
	int	 n;

	if (len == 0) {
		strlcpy(buf, "-", size);
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < len; i++) {
		n = snprintf(buf + off, size - off, "%s%02x",
		    i > 0 ? sep : "", p[i]);
		if (n < 0 || (size_t)n >= size - off)
			return;
		off += n;
	}
}

/*
 * Encodes every non-printable byte of s (the first 1023) as an escape
 * sequence, so that no string from mcgwd can drive the terminal, and
 * truncates to fit buf.  An empty string becomes "-".
 */
static void
format_vis(const char *s, char *buf, size_t size)
{
	char	 in[1024], out[4 * sizeof(in) + 1];

	if (s[0] == '\0') {
		strlcpy(buf, "-", size);
		return;
	}
	strlcpy(in, s, sizeof(in));
	strvis(out, in, VIS_OCTAL | VIS_CSTYLE | VIS_TAB | VIS_NL);
	strlcpy(buf, out, size);
}

/*
 * Copies a string that mcgwd has already encoded with vis(3), and
 * truncates it to fit buf.  A byte outside printable ASCII becomes '?'.
 * An empty string becomes "-".
 */
static void
format_encoded(const char *s, char *buf, size_t size)
{
	size_t		 i;
	unsigned char	 c;

	if (size == 0)
		return;
	if (s[0] == '\0') {
		strlcpy(buf, "-", size);
		return;
	}
	for (i = 0; s[i] != '\0' && i + 1 < size; i++) {
		c = (unsigned char)s[i];
		buf[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	buf[i] = '\0';
}

static void
format_uptime(int64_t secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		snprintf(buf, len, "%lldd %02lld:%02lld:%02lld",
		    (long long)(secs / 86400), (long long)(secs / 3600 % 24),
		    (long long)(secs / 60 % 60), (long long)(secs % 60));
	else
		snprintf(buf, len, "%02lld:%02lld:%02lld",
		    (long long)(secs / 3600), (long long)(secs / 60 % 60),
		    (long long)(secs % 60));
}

/*
 * Returns the length of the valid UTF-8 sequence at s (RFC 3629 4: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 */
static size_t
utf8_sequence_len(const unsigned char *s, size_t left)
{
	size_t		 len, i;
	uint32_t	 cp;

	if (s[0] < 0x80)
		return 1;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > left)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Prints s as a JSON string (RFC 8259 7).  Quote, backslash and control
 * characters are escaped.  A byte that is not part of valid UTF-8 is
 * printed as \u00XX, the code point with the same number.
 */
void
json_string(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 left = strlen(s), n;

	putchar('"');
	while (left > 0) {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p);
			n = 1;
		} else if (*p == '\n') {
			fputs("\\n", stdout);
			n = 1;
		} else if (*p == '\t') {
			fputs("\\t", stdout);
			n = 1;
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p);
			n = 1;
		} else if ((n = utf8_sequence_len(p, left)) == 0) {
			printf("\\u%04x", *p);
			n = 1;
		} else
			fwrite(p, 1, n, stdout);
		p += n;
		left -= n;
	}
	putchar('"');
}

/* Prints "name":"time", or "name":null when the time is unknown. */
static void
json_time(const char *name, int64_t t)
{
	char	 buf[64];

	printf("\"%s\":", name);
	if (format_time(t, buf, sizeof(buf)) == -1)
		fputs("null", stdout);
	else
		json_string(buf);
}

void
print_status(const struct ctl_reply *reply, int json)
{
	const struct imsg_ctl_status	*st = &reply->status;
	char				 started[64], uptime[64];
	char				 vis[4 * 1024 + 1];
	char				 addr[INET6_ADDRSTRLEN];
	size_t				 i;

	format_time(st->started, started, sizeof(started));
	if (json) {
		printf("{\"version\":");
		json_string(st->version);
		printf(",\"mode\":\"%s\"", mode_name(st->mode));
		printf(",\"uptime\":%lld", st->now > st->started ?
		    (long long)(st->now - st->started) : 0LL);
		putchar(',');
		json_time("started", st->started);
		printf(",\"uplink\":");
		json_string(st->uplink);
		putchar(',');
		json_addr("ue_ipv4", AF_INET, &st->ue4);
		putchar(',');
		json_addr("ue_ipv6", AF_INET6, &st->ue6);
		printf(",\"public_key\":");
		if (MCGW_STR_OK(st->public_key) && st->public_key[0] != '\0')
			json_string(st->public_key);
		else
			fputs("null", stdout);
		printf(",\"bindings\":%u", st->bindings);
		printf(",\"state_directory\":");
		json_string(st->state_dir);
		printf(",\"log\":\"%s\"", st->verbose ? "verbose" : "brief");
		printf(",\"dhcpd\":\"%s\"",
		    st->dhcpd_ready ? "ready" : "restoring");
		printf(",\"leases_active\":%u,\"leases_total\":%u",
		    st->leases_active, st->leases_total);
		printf(",\"journal\":{\"records\":%llu,\"syncs\":%llu"
		    ",\"bytes\":%llu}",
		    (unsigned long long)st->journal_records,
		    (unsigned long long)st->journal_syncs,
		    (unsigned long long)st->journal_bytes);
		printf(",\"processes\":[");
		for (i = 0; i < reply->nprocs; i++) {
			printf("%s{\"name\":", i > 0 ? "," : "");
			json_string(reply->procs[i].name);
			printf(",\"pid\":%d}", reply->procs[i].pid);
		}
		printf("]}\n");
		return;
	}

	format_uptime(st->now - st->started, uptime, sizeof(uptime));
	format_vis(st->version, vis, sizeof(vis));
	printf("%-17s %s\n", "version:", vis);
	printf("%-17s %s\n", "mode:", mode_name(st->mode));
	printf("%-17s %s (since %s)\n", "uptime:", uptime, started);
	format_vis(st->uplink, vis, sizeof(vis));
	printf("%-17s %s\n", "uplink:", vis);
	printf("%-17s %s", "UE IP:", text_addr(AF_INET, &st->ue4, addr,
	    sizeof(addr)));
	if (!IN6_IS_ADDR_UNSPECIFIED(&st->ue6))
		printf(" %s", text_addr(AF_INET6, &st->ue6, addr,
		    sizeof(addr)));
	putchar('\n');
	format_vis(st->state_dir, vis, sizeof(vis));
	printf("%-17s %s\n", "state directory:", vis);
	printf("%-17s %s\n", "log level:", st->verbose ? "verbose" : "brief");
	if (MCGW_STR_OK(st->public_key) && st->public_key[0] != '\0') {
		format_vis(st->public_key, vis, sizeof(vis));
		printf("%-17s %s\n", "public key:", vis);
	}
	printf("%-17s %u\n", "bindings:", st->bindings);
	printf("%-17s %s\n", "dhcpd:", st->dhcpd_ready ? "ready" :
	    "restoring leases");
	printf("%-17s %u active, %u total\n", "leases:", st->leases_active,
	    st->leases_total);
	printf("%-17s %llu records, %llu syncs, %llu bytes\n", "journal:",
	    (unsigned long long)st->journal_records,
	    (unsigned long long)st->journal_syncs,
	    (unsigned long long)st->journal_bytes);
	if (reply->nprocs == 0)
		return;
	printf("\n%-16s %s\n", "PROCESS", "PID");
	for (i = 0; i < reply->nprocs; i++) {
		format_vis(reply->procs[i].name, vis, sizeof(vis));
		printf("%-16s %d\n", vis, reply->procs[i].pid);
	}
}

static void
lease_row_fill(const struct imsg_lease4 *l, struct lease_row *row)
{
	inet_ntop(AF_INET, &l->addr, row->field[COL_ADDRESS], FIELD_MAX);
	format_hex(l->chaddr, l->hlen, ":", row->field[COL_MAC], FIELD_MAX);
	format_hex(l->cid, l->cidlen, "", row->field[COL_CLIENT_ID],
	    FIELD_MAX);
	format_vis(l->ifname, row->field[COL_INTERFACE], FIELD_MAX);
	strlcpy(row->field[COL_STATE], lease_state_name(l->state), FIELD_MAX);
	format_time(l->start, row->field[COL_START], FIELD_MAX);
	format_time(l->end, row->field[COL_END], FIELD_MAX);
	format_encoded(l->hostname, row->field[COL_HOSTNAME], FIELD_MAX);
}

static int
lease_compare(const void *a, const void *b)
{
	const struct imsg_lease4	*la = a, *lb = b;
	uint32_t			 x, y;

	x = ntohl(la->addr.s_addr);
	y = ntohl(lb->addr.s_addr);
	return (x > y) - (x < y);
}

static void
print_leases_json(const struct imsg_lease4 *leases, size_t n)
{
	const struct imsg_lease4	*l;
	char				 buf[FIELD_MAX];
	size_t				 i;

	printf("{\"leases\":[");
	for (i = 0; i < n; i++) {
		l = &leases[i];
		inet_ntop(AF_INET, &l->addr, buf, sizeof(buf));
		printf("%s{\"address\":\"%s\",\"mac\":", i > 0 ? "," : "",
		    buf);
		format_hex(l->chaddr, l->hlen, ":", buf, sizeof(buf));
		if (l->hlen > 0)
			printf("\"%s\"", buf);
		else
			fputs("null", stdout);
		printf(",\"client_id\":");
		format_hex(l->cid, l->cidlen, "", buf, sizeof(buf));
		if (l->cidlen > 0)
			printf("\"%s\"", buf);
		else
			fputs("null", stdout);
		printf(",\"interface\":");
		json_string(l->ifname);
		printf(",\"state\":\"%s\",", lease_state_name(l->state));
		json_time("start", l->start);
		putchar(',');
		json_time("end", l->end);
		printf(",\"hostname\":");
		if (l->hostname[0] != '\0')
			json_string(l->hostname);
		else
			fputs("null", stdout);
		putchar('}');
	}
	printf("]}\n");
}

void
print_leases(const struct ctl_reply *reply, int json)
{
	struct lease_row	*rows;
	size_t			 width[COL_COUNT], i, c, len;

	qsort(reply->leases, reply->nleases, sizeof(*reply->leases),
	    lease_compare);
	if (json) {
		print_leases_json(reply->leases, reply->nleases);
		return;
	}

	if ((rows = calloc(reply->nleases + 1, sizeof(*rows))) == NULL)
		err(1, NULL);
	for (c = 0; c < COL_COUNT; c++)
		strlcpy(rows[0].field[c], lease_headers[c], FIELD_MAX);
	for (i = 0; i < reply->nleases; i++)
		lease_row_fill(&reply->leases[i], &rows[i + 1]);

	memset(width, 0, sizeof(width));
	for (i = 0; i <= reply->nleases; i++)
		for (c = 0; c < COL_COUNT; c++)
			if ((len = strlen(rows[i].field[c])) > width[c])
				width[c] = len;
	for (i = 0; i <= reply->nleases; i++) {
		for (c = 0; c + 1 < COL_COUNT; c++)
			printf("%-*s  ", (int)width[c], rows[i].field[c]);
		printf("%s\n", rows[i].field[COL_COUNT - 1]);
	}
	free(rows);
}

void
print_result_ok(const char *message, int json)
{
	char	 vis[4 * 256 + 1];

	if (json) {
		printf("{\"result\":\"ok\"}\n");
		return;
	}
	if (message[0] != '\0') {
		format_encoded(message, vis, sizeof(vis));
		printf("%s\n", vis);
	}
}

/* Prints a rejection to stderr and, for -j, as a document to stdout. */
void
print_result_error(const char *message, int json)
{
	char	 vis[4 * 320 + 1];

	format_encoded(message[0] != '\0' ? message : "request failed", vis,
	    sizeof(vis));
	warnx("%s", vis);
	if (json) {
		printf("{\"result\":\"error\",\"message\":");
		json_string(message);
		printf("}\n");
	}
}

/* Lower-case names of the reasons a binding ended (binding.h). */
static const char *
end_reason_name(uint8_t r)
{
	static const char	*names[] = { "live", "released", "expired",
				    "lease_ended", "cleared", "moved",
				    "ue_changed", "ports_changed" };

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

/* Prints "name":"address", or null when it is unspecified. */
static void
json_addr(const char *name, int family, const void *a)
{
	char	 buf[INET6_ADDRSTRLEN];
	static const uint8_t zero[16];

	printf("\"%s\":", name);
	if (memcmp(a, zero, family == AF_INET ? 4 : 16) == 0)
		fputs("null", stdout);
	else
		printf("\"%s\"", inet_ntop(family, a, buf, sizeof(buf)));
}

static const char *
text_addr(int family, const void *a, char *buf, size_t len)
{
	static const uint8_t zero[16];

	if (memcmp(a, zero, family == AF_INET ? 4 : 16) == 0)
		return "-";
	return inet_ntop(family, a, buf, len);
}

static void
json_ports(uint16_t first, uint16_t last)
{
	if (first == 0)
		printf(",\"port_first\":null,\"port_last\":null");
	else
		printf(",\"port_first\":%u,\"port_last\":%u", first, last);
}

static void
print_binding_json(const struct imsg_binding *b)
{
	char	 buf[FIELD_MAX];

	printf("{\"service_id\":");
	json_string(b->service_id);
	putchar(',');
	json_addr("local_ipv4", AF_INET, &b->local4);
	putchar(',');
	json_addr("local_ipv6", AF_INET6, &b->local6);
	putchar(',');
	json_addr("ue_ipv4", AF_INET, &b->ue4);
	putchar(',');
	json_addr("ue_ipv6", AF_INET6, &b->ue6);
	format_hex(b->hwaddr, b->hlen, ":", buf, sizeof(buf));
	printf(",\"mac\":");
	if (b->hlen > 0)
		printf("\"%s\"", buf);
	else
		fputs("null", stdout);
	format_hex(b->cid, b->cidlen, "", buf, sizeof(buf));
	printf(",\"client_id\":");
	if (b->cidlen > 0)
		printf("\"%s\"", buf);
	else
		fputs("null", stdout);
	printf(",\"interface\":");
	json_string(b->ifname);
	printf(",\"mode\":\"%s\"", mode_name(b->mode));
	json_ports(b->port_first, b->port_last);
	putchar(',');
	json_time("authorised", b->authorised);
	putchar(',');
	json_time("refreshed", b->refreshed);
	putchar(',');
	json_time("expires", b->expires);
	putchar('}');
}

void
print_bindings(const struct ctl_reply *reply, int json)
{
	const struct imsg_binding	*b;
	char				 sid[SID_VIS_MAX];
	char				 l4[INET_ADDRSTRLEN];
	char				 u4[INET_ADDRSTRLEN];
	char				 mac[FIELD_MAX], ifn[64], ports[16];
	char				 auth[32], exp[32];
	size_t				 i;

	if (json) {
		printf("{\"bindings\":[");
		for (i = 0; i < reply->nbindings; i++) {
			if (i > 0)
				putchar(',');
			print_binding_json(&reply->bindings[i]);
		}
		printf("]}\n");
		return;
	}
	printf("%-24s %-15s %-15s %-17s %-8s %-6s %-11s %-20s %s\n",
	    "SERVICE-ID", "LOCAL", "UE", "MAC", "IF", "MODE", "PORTS",
	    "AUTHORISED", "EXPIRES");
	for (i = 0; i < reply->nbindings; i++) {
		b = &reply->bindings[i];
		format_vis(b->service_id, sid, sizeof(sid));
		format_hex(b->hwaddr, b->hlen, ":", mac, sizeof(mac));
		format_vis(b->ifname, ifn, sizeof(ifn));
		if (b->port_first != 0)
			snprintf(ports, sizeof(ports), "%u-%u", b->port_first,
			    b->port_last);
		else
			strlcpy(ports, "-", sizeof(ports));
		format_time(b->authorised, auth, sizeof(auth));
		format_time(b->expires, exp, sizeof(exp));
		printf("%-24s %-15s %-15s %-17s %-8s %-6s %-11s %-20s %s\n",
		    sid, text_addr(AF_INET, &b->local4, l4, sizeof(l4)),
		    text_addr(AF_INET, &b->ue4, u4, sizeof(u4)), mac, ifn,
		    mode_name(b->mode), ports, auth, exp);
	}
}

void
print_history(const struct ctl_reply *reply, int json)
{
	const struct imsg_binding_history	*h;
	char					 sid[SID_VIS_MAX];
	char					 l4[INET_ADDRSTRLEN];
	char					 u4[INET_ADDRSTRLEN];
	char					 start[32], end[32], ports[16];
	size_t					 i;

	if (json) {
		printf("{\"history\":[");
		for (i = 0; i < reply->nhistory; i++) {
			h = &reply->history[i];
			printf("%s{\"service_id\":", i > 0 ? "," : "");
			json_string(h->service_id);
			putchar(',');
			json_addr("local_ipv4", AF_INET, &h->local4);
			putchar(',');
			json_addr("local_ipv6", AF_INET6, &h->local6);
			putchar(',');
			json_addr("ue_ipv4", AF_INET, &h->ue4);
			putchar(',');
			json_addr("ue_ipv6", AF_INET6, &h->ue6);
			json_ports(h->port_first, h->port_last);
			putchar(',');
			json_time("start", h->start);
			putchar(',');
			json_time("end", h->end);
			printf(",\"end_reason\":\"%s\"}",
			    end_reason_name(h->end_reason));
		}
		printf("]}\n");
		return;
	}
	printf("%-24s %-15s %-15s %-11s %-20s %-20s %s\n", "SERVICE-ID",
	    "LOCAL", "UE", "PORTS", "START", "END", "REASON");
	for (i = 0; i < reply->nhistory; i++) {
		h = &reply->history[i];
		format_vis(h->service_id, sid, sizeof(sid));
		if (h->port_first != 0)
			snprintf(ports, sizeof(ports), "%u-%u", h->port_first,
			    h->port_last);
		else
			strlcpy(ports, "-", sizeof(ports));
		format_time(h->start, start, sizeof(start));
		format_time(h->end, end, sizeof(end));
		printf("%-24s %-15s %-15s %-11s %-20s %-20s %s\n", sid,
		    text_addr(AF_INET, &h->local4, l4, sizeof(l4)),
		    text_addr(AF_INET, &h->ue4, u4, sizeof(u4)), ports, start,
		    end, end_reason_name(h->end_reason));
	}
}
