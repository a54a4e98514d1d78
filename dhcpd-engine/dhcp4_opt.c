/*
 * DHCPv4 message parser and reply builder (RFC 2131, RFC 2132, RFC 3396
 * long options, RFC 3046 relay agent information).
 */

#include <sys/types.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "dhcpd.h"

/* One fixed field that carries options. */
struct opt_field {
	const uint8_t	*p;
	size_t		 len;
	int		 main;		/* the options field proper */
};

static int	 walk_field(struct dhcp4_packet *, const struct opt_field *,
		    uint16_t *, int, const char **);
static size_t	 opt_enc_len(size_t);
static uint8_t	*opt_write(uint8_t *, uint8_t, const uint8_t *, size_t);

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Walks one field.  With copy 0 it counts each code's total length in
 * tot; with copy 1 it appends each instance at the cursor tot[code].
 * Option 52 counts only in the options field (RFC 2131 4.1).
 */
static int
walk_field(struct dhcp4_packet *pkt, const struct opt_field *f,
    uint16_t *tot, int copy, const char **errstr)
{
	const uint8_t	*p = f->p, *end = f->p + f->len;
	uint8_t		 code, len;

	while (p < end) {
		code = *p++;
		if (code == DHO_PAD)
			continue;
		if (code == DHO_END)
			return 0;
		if (p >= end) {
			*errstr = "option length past the end of its field";
			return -1;
		}
		len = *p++;
		if ((size_t)(end - p) < len) {
			*errstr = "option data past the end of its field";
			return -1;
		}
		if (code == DHO_OVERLOAD && !f->main) {
			p += len;
			continue;
		}
		if (!copy) {
			tot[code] += len;
			pkt->present[code / 8] |= 1 << (code % 8);
			if (code == DHO_OVERLOAD && len >= 1 &&
			    pkt->overload == 0)
				pkt->overload = p[0];
		} else {
			memcpy(pkt->optbuf + tot[code], p, len);
			tot[code] += len;
		}
		p += len;
	}
	/* No END: the field ends with the buffer; accepted, noted. */
	if (!copy)
		pkt->missing_end = 1;
	return 0;
}

static int
parse_options(const uint8_t *buf, size_t len, struct dhcp4_packet *pkt,
    const char **errstr)
{
	struct opt_field f[3];
	uint16_t	 cursor[256];
	size_t		 nf = 1, i, off;
	int		 c;

	f[0].p = buf + DHCP4_OPTIONS_OFF;
	f[0].len = len - DHCP4_OPTIONS_OFF;
	f[0].main = 1;
	memset(pkt->optlen, 0, sizeof(pkt->optlen));
	if (walk_field(pkt, &f[0], pkt->optlen, 0, errstr) == -1)
		return -1;

	/* RFC 2131 4.1: file is read before sname when both overload. */
	if (pkt->overload & DHCP4_OVERLOAD_FILE) {
		f[nf].p = buf + DHCP4_FILE_OFF;
		f[nf].len = DHCP4_FILE_LEN;
		f[nf++].main = 0;
	}
	if (pkt->overload & DHCP4_OVERLOAD_SNAME) {
		f[nf].p = buf + DHCP4_SNAME_OFF;
		f[nf].len = DHCP4_SNAME_LEN;
		f[nf++].main = 0;
	}
	for (i = 1; i < nf; i++)
		if (walk_field(pkt, &f[i], pkt->optlen, 0, errstr) == -1)
			return -1;

	off = 0;
	for (c = 0; c < 256; c++) {
		pkt->optoff[c] = off;
		cursor[c] = off;
		off += pkt->optlen[c];
	}
	if (off > sizeof(pkt->optbuf)) {
		*errstr = "options too long";
		return -1;
	}
	for (i = 0; i < nf; i++)
		if (walk_field(pkt, &f[i], cursor, 1, errstr) == -1)
			return -1;
	return 0;
}

int
dhcp4_parse(const uint8_t *buf, size_t len, struct dhcp4_packet *pkt,
    const char **errstr)
{
	struct dhcp4_hdr *h = &pkt->hdr;
	const uint8_t	*mt;
	size_t		 mtlen;

	if (len < DHCP4_MIN_LEN) {
		*errstr = "message too short";
		return -1;
	}
	if (len > DHCP4_MAX_PKT) {
		*errstr = "message too long";
		return -1;
	}
	memset(h, 0, sizeof(*h));
	memset(pkt->present, 0, sizeof(pkt->present));
	pkt->overload = 0;
	pkt->missing_end = 0;
	pkt->msgtype = 0;

	h->op = buf[0];
	h->htype = buf[1];
	h->hlen = buf[2];
	h->hops = buf[3];
	memcpy(&h->xid, buf + 4, 4);
	h->secs = (uint16_t)(buf[8] << 8 | buf[9]);
	h->flags = (uint16_t)(buf[10] << 8 | buf[11]);
	memcpy(&h->ciaddr, buf + 12, 4);
	memcpy(&h->yiaddr, buf + 16, 4);
	memcpy(&h->siaddr, buf + 20, 4);
	memcpy(&h->giaddr, buf + 24, 4);
	memcpy(h->chaddr, buf + 28, MCGW_MAX_HWLEN);
	if (h->op != BOOTREQUEST) {
		*errstr = "not a BOOTREQUEST";
		return -1;
	}
	if (h->hlen > MCGW_MAX_HWLEN) {
		*errstr = "hlen over 16";
		return -1;
	}
	if (get32(buf + DHCP4_FIXED_LEN) != DHCP4_MAGIC) {
		*errstr = "bad magic cookie";
		return -1;
	}
	if (parse_options(buf, len, pkt, errstr) == -1)
		return -1;
	if (pkt->missing_end)
		log_debug("%s: option field without END", __func__);

	mt = dhcp4_opt_get(pkt, DHO_MESSAGE_TYPE, &mtlen);
	if (mt == NULL) {
		*errstr = "no DHCP message type";
		return -1;
	}
	if (mtlen != 1 || mt[0] < DHCPDISCOVER || mt[0] > DHCPINFORM) {
		*errstr = "invalid DHCP message type";
		return -1;
	}
	pkt->msgtype = mt[0];
	return 0;
}

int
dhcp4_opt_present(const struct dhcp4_packet *pkt, uint8_t code)
{
	return (pkt->present[code / 8] & (1 << (code % 8))) != 0;
}

const uint8_t *
dhcp4_opt_get(const struct dhcp4_packet *pkt, uint8_t code, size_t *len)
{
	if (!dhcp4_opt_present(pkt, code))
		return NULL;
	*len = pkt->optlen[code];
	return pkt->optbuf + pkt->optoff[code];
}

size_t
dhcp4_max_reply(const struct dhcp4_packet *pkt)
{
	const uint8_t	*p;
	size_t		 len;
	unsigned int	 mms = DHCP4_MIN_DATAGRAM;

	/* RFC 2132 9.10: option 57 is a 16-bit size, at least 576. */
	p = dhcp4_opt_get(pkt, DHO_MAX_MSG_SIZE, &len);
	if (p != NULL && len == 2) {
		mms = (unsigned int)p[0] << 8 | p[1];
		if (mms < DHCP4_MIN_DATAGRAM)
			mms = DHCP4_MIN_DATAGRAM;
		if (mms > DHCP4_MAX_DATAGRAM)
			mms = DHCP4_MAX_DATAGRAM;
	}
	return mms - IPV4_UDP_HDRLEN;
}

void
dhcp4_optlist_init(struct dhcp4_optlist *ol)
{
	ol->n = 0;
	ol->used = 0;
}

int
dhcp4_optlist_add(struct dhcp4_optlist *ol, uint8_t code, const void *data,
    size_t len, enum dhcp4_prio prio)
{
	struct dhcp4_optent *e;

	if (ol->n >= DHCP4_MAX_OPTS || len > sizeof(ol->data) - ol->used)
		return -1;
	e = &ol->ent[ol->n++];
	e->code = code;
	e->prio = prio;
	e->len = len;
	e->off = ol->used;
	if (len > 0)
		memcpy(ol->data + ol->used, data, len);
	ol->used += len;
	return 0;
}

int
dhcp4_optlist_has(const struct dhcp4_optlist *ol, uint8_t code)
{
	int	 i;

	for (i = 0; i < ol->n; i++)
		if (ol->ent[i].code == code)
			return 1;
	return 0;
}

/* RFC 3396: data over 255 octets goes in consecutive instances. */
static size_t
opt_enc_len(size_t len)
{
	if (len == 0)
		return 2;
	return len + 2 * ((len + 254) / 255);
}

static uint8_t *
opt_write(uint8_t *p, uint8_t code, const uint8_t *data, size_t len)
{
	size_t	 n;

	do {
		n = len > 255 ? 255 : len;
		*p++ = code;
		*p++ = (uint8_t)n;
		memcpy(p, data, n);
		p += n;
		data += n;
		len -= n;
	} while (len > 0);
	return p;
}

/* The fields that carry options: 1 options, 2 file, 3 sname. */
enum { FLD_NONE, FLD_MAIN, FLD_FILE, FLD_SNAME };

/*
 * The placement of each option.  fld has bit 1 << f set for each field
 * f that contains a part of it, and part[f] is the length of that part.
 */
struct layout {
	uint8_t		 fld[DHCP4_MAX_OPTS];
	uint16_t	 part[DHCP4_MAX_OPTS][FLD_SNAME + 1];
	uint8_t		 overload;
};

static void
layout_put(struct layout *lo, int i, int f, size_t len, size_t *room)
{
	lo->fld[i] |= 1 << f;
	lo->part[i][f] = len;
	room[f] -= opt_enc_len(len);
	if (f == FLD_FILE)
		lo->overload |= DHCP4_OVERLOAD_FILE;
	else if (f == FLD_SNAME)
		lo->overload |= DHCP4_OVERLOAD_SNAME;
}

/*
 * Puts option i whole in the first field with room for it, else splits
 * it over the fields in the order options, file, sname.  RFC 3396 lets
 * a sender split any option, and the receiver joins the parts in order.
 */
static int
layout_place(struct layout *lo, int i, size_t len, size_t *room)
{
	size_t	 n;
	int	 f;

	for (f = FLD_MAIN; f <= FLD_SNAME; f++)
		if (opt_enc_len(len) <= room[f]) {
			layout_put(lo, i, f, len, room);
			return 0;
		}
	for (f = FLD_MAIN; f <= FLD_SNAME && len > 0; f++) {
		if (room[f] < 3)
			continue;
		n = room[f] - 2 < len ? room[f] - 2 : len;
		while (opt_enc_len(n) > room[f])
			n--;
		layout_put(lo, i, f, n, room);
		len -= n;
	}
	return len == 0 ? 0 : -1;
}

static int
layout_fit(const struct dhcp4_optlist *ol, const uint8_t *keep,
    size_t maincap, int overload_ok, struct layout *lo)
{
	size_t	 need = 1, room[FLD_SNAME + 1];
	int	 i;

	lo->overload = 0;
	memset(lo->fld, 0, sizeof(lo->fld));
	for (i = 0; i < ol->n; i++) {
		lo->part[i][FLD_MAIN] = ol->ent[i].len;
		if (keep[i]) {
			lo->fld[i] = 1 << FLD_MAIN;
			need += opt_enc_len(ol->ent[i].len);
		}
	}
	if (need <= maincap)
		return 0;
	if (!overload_ok)
		return -1;

	/* 53, 82, option 52 itself and END stay in the options field. */
	room[FLD_FILE] = DHCP4_FILE_LEN - 1;
	room[FLD_SNAME] = DHCP4_SNAME_LEN - 1;
	need = 1 + 3;
	for (i = 0; i < ol->n; i++)
		if (keep[i] && (ol->ent[i].code == DHO_MESSAGE_TYPE ||
		    ol->ent[i].code == DHO_RELAY_AGENT_INFO))
			need += opt_enc_len(ol->ent[i].len);
	if (need > maincap)
		return -1;
	room[FLD_MAIN] = maincap - need;
	for (i = 0; i < ol->n; i++) {
		if (!keep[i] || ol->ent[i].code == DHO_MESSAGE_TYPE ||
		    ol->ent[i].code == DHO_RELAY_AGENT_INFO)
			continue;
		lo->fld[i] = 0;
		if (layout_place(lo, i, ol->ent[i].len, room) == -1)
			return -1;
	}
	return 0;
}

/* Writes the options of field fld; 53 leads and 82 closes the main one. */
static uint8_t *
write_field(uint8_t *p, const struct dhcp4_optlist *ol,
    const struct layout *lo, int fld)
{
	const struct dhcp4_optent *e;
	size_t		 off;
	uint8_t		 ov;
	int		 i, f, pass;

	for (pass = 0; pass < 3; pass++) {
		if (fld != FLD_MAIN && pass != 1)
			continue;
		if (pass == 1 && fld == FLD_MAIN && lo->overload != 0) {
			ov = lo->overload;
			p = opt_write(p, DHO_OVERLOAD, &ov, 1);
		}
		for (i = 0; i < ol->n; i++) {
			e = &ol->ent[i];
			if ((lo->fld[i] & (1 << fld)) == 0)
				continue;
			if ((pass == 0) != (e->code == DHO_MESSAGE_TYPE))
				continue;
			if ((pass == 2) != (e->code == DHO_RELAY_AGENT_INFO) &&
			    e->code != DHO_MESSAGE_TYPE)
				continue;
			/* A split option's part follows the earlier ones. */
			for (off = 0, f = FLD_MAIN; f < fld; f++)
				if (lo->fld[i] & (1 << f))
					off += lo->part[i][f];
			p = opt_write(p, e->code, ol->data + e->off + off,
			    lo->part[i][fld]);
		}
	}
	*p++ = DHO_END;
	return p;
}

static void
write_hdr(const struct dhcp4_hdr *h, uint8_t *buf)
{
	uint32_t	 magic = htonl(DHCP4_MAGIC);

	buf[0] = BOOTREPLY;
	buf[1] = h->htype;
	buf[2] = h->hlen;
	buf[3] = 0;
	memcpy(buf + 4, &h->xid, 4);
	buf[8] = h->secs >> 8;
	buf[9] = h->secs & 0xff;
	buf[10] = h->flags >> 8;
	buf[11] = h->flags & 0xff;
	memcpy(buf + 12, &h->ciaddr, 4);
	memcpy(buf + 16, &h->yiaddr, 4);
	memcpy(buf + 20, &h->siaddr, 4);
	memcpy(buf + 24, &h->giaddr, 4);
	memcpy(buf + 28, h->chaddr, MCGW_MAX_HWLEN);
	memcpy(buf + DHCP4_FIXED_LEN, &magic, 4);
}

ssize_t
dhcp4_build(const struct dhcp4_hdr *h, const struct dhcp4_optlist *ol,
    size_t maxlen, int overload_ok, uint8_t *buf, size_t bufsz)
{
	struct layout	 lo;
	uint8_t		 keep[DHCP4_MAX_OPTS], *p;
	size_t		 len;
	int		 i;

	if (maxlen > bufsz)
		maxlen = bufsz;
	if (maxlen < DHCP4_MIN_REPLY)
		return -1;
	for (i = 0; i < ol->n; i++)
		keep[i] = 1;

	/*
	 * Drop low-priority options from the end until the rest fits.
	 * XXX if the high-priority ones alone do not fit, no reply goes out.
	 */
	while (layout_fit(ol, keep, maxlen - DHCP4_OPTIONS_OFF, overload_ok,
	    &lo) == -1) {
		for (i = ol->n - 1; i >= 0; i--)
			if (keep[i] && ol->ent[i].prio == DHCP4_PRIO_LOW)
				break;
		if (i < 0)
			return -1;
		keep[i] = 0;
		log_debug("%s: option %u dropped, reply over %zu octets",
		    __func__, ol->ent[i].code, maxlen);
	}

	memset(buf, 0, maxlen);
	write_hdr(h, buf);
	p = write_field(buf + DHCP4_OPTIONS_OFF, ol, &lo, FLD_MAIN);
	len = p - buf;
	if (lo.overload & DHCP4_OVERLOAD_FILE)
		write_field(buf + DHCP4_FILE_OFF, ol, &lo, FLD_FILE);
	if (lo.overload & DHCP4_OVERLOAD_SNAME)
		write_field(buf + DHCP4_SNAME_OFF, ol, &lo, FLD_SNAME);
	if (len < DHCP4_MIN_REPLY)
		len = DHCP4_MIN_REPLY;
	return len;
}
