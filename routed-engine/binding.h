/*
 * The binding table: which GW MC service ID uses which local and UE
 * addresses after a successful connection authorisation, and the
 * history of ended bindings that answers "which service ID held this
 * address at time T".
 *
 * Rules: a service ID is bound to one local address at a time, so
 * authorising it from another address ends the old binding (MOVED).  A
 * local address may carry several service IDs.  A binding ends on
 * release, expiry, the end of the lease of its local address, and an
 * operator's clear.  Every function that ends a binding passes it to a
 * callback before freeing it, so that the caller can journal the end.
 */

#ifndef MCGW_BINDING_H
#define MCGW_BINDING_H

#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "mcgw.h"

enum binding_end_reason {
	BINDING_LIVE = 0,		/* not ended */
	BINDING_RELEASED = 1,		/* the client sent RELEASE */
	BINDING_EXPIRED = 2,		/* no REFRESH before the expiry */
	BINDING_LEASE_ENDED = 3,	/* the local address's lease ended */
	BINDING_CLEARED = 4,		/* mcgwctl clear binding */
	BINDING_MOVED = 5,		/* authorised from another address */
	BINDING_UE_CHANGED = 6,		/* history: the UE IP changed */
	BINDING_PORTS_CHANGED = 7	/* history: a new NAT port block */
};

/* Return values of binding_authorise(). */
#define BINDING_NEW		0
#define BINDING_RENEWED		1	/* same address: updated in place */

/*
 * One binding.  An unspecified address (all zero) means that the client
 * has no address of that family.  Times are seconds since the epoch.
 */
struct binding {
	char		 service_id[AUTH_MAX_SERVICE_ID + 1];
	size_t		 service_id_len;
	struct in_addr	 local4;
	struct in6_addr	 local6;
	struct in_addr	 ue4;
	struct in6_addr	 ue6;
	uint8_t		 hlen;
	uint8_t		 hwaddr[MCGW_MAX_HWLEN];
	uint8_t		 cidlen;
	uint8_t		 cid[MCGW_MAX_CIDLEN];	/* DHCPv4 client identifier */
	char		 ifname[IF_NAMESIZE];
	uint8_t		 mode;			/* enum mcgw_mode */
	uint16_t	 port_first;		/* NAT port range, 0: none */
	uint16_t	 port_last;
	int64_t		 authorised;
	int64_t		 refreshed;
	int64_t		 expires;
};

/* What the history keeps of a binding: enough to answer "who was it". */
struct binding_history_entry {
	char		 service_id[AUTH_MAX_SERVICE_ID + 1];
	size_t		 service_id_len;
	struct in_addr	 local4;
	struct in6_addr	 local6;
	struct in_addr	 ue4;
	struct in6_addr	 ue6;
	uint16_t	 port_first;
	uint16_t	 port_last;
	int64_t		 start;
	int64_t		 end;		/* 0: still live */
	uint8_t		 end_reason;	/* enum binding_end_reason */
};

/*
 * struct imsg_binding and struct imsg_binding_history (common/mcgw.h)
 * are the fixed wire forms for imsgs; every char array in them holds a
 * NUL-terminated string (check with MCGW_STR_OK()).
 */

struct binding_table;
struct binding_history;

/*
 * Called with each binding that ends, its reason and the time, before
 * the binding is freed.
 */
typedef void	(*binding_end_cb)(const struct binding *,
		    enum binding_end_reason, int64_t, void *);
typedef void	(*binding_visit_cb)(const struct binding *, void *);

/* binding.c */
struct binding_table	*binding_table_new(void);
void			 binding_table_free(struct binding_table *);
int			 binding_authorise(struct binding_table *,
			    const struct binding *, int64_t, binding_end_cb,
			    void *);
const struct binding	*binding_find(struct binding_table *,
			    const char *, size_t);
int			 binding_refresh(struct binding_table *,
			    const char *, size_t, int64_t, int64_t);
int			 binding_release(struct binding_table *,
			    const char *, size_t, int64_t, binding_end_cb,
			    void *);
int			 binding_clear(struct binding_table *, const char *,
			    size_t, int64_t, binding_end_cb, void *);
size_t			 binding_end_by_address(struct binding_table *, int,
			    const void *, int64_t, binding_end_cb, void *);
size_t			 binding_expire(struct binding_table *, int64_t,
			    binding_end_cb, void *);
size_t			 binding_foreach(struct binding_table *,
			    binding_visit_cb, void *);
size_t			 binding_foreach_local(struct binding_table *,
			    int, const void *, binding_visit_cb, void *);
size_t			 binding_count(const struct binding_table *);
const char		*binding_end_reason_name(uint8_t);

void			 binding_to_imsg(const struct binding *,
			    struct imsg_binding *);
int			 binding_from_imsg(const struct imsg_binding *,
			    struct binding *);
/*
 * Gives a live binding new UE addresses.  Its current history record
 * then starts at now, so authorised becomes now.  Returns -1 if there
 * is no such binding.
 */
int			 binding_set_ue(struct binding_table *, const char *,
			    size_t, struct in_addr, const struct in6_addr *,
			    int64_t);
/* The same for a new NAT port block, first to last. */
int			 binding_set_ports(struct binding_table *,
			    const char *, size_t, uint16_t, uint16_t, int64_t);

struct binding_history	*binding_history_new(void);
void			 binding_history_free(struct binding_history *);
void			 binding_history_from_binding(
			    struct binding_history_entry *,
			    const struct binding *);
int			 binding_history_add(struct binding_history *,
			    const struct binding_history_entry *);
int			 binding_history_end(struct binding_history *,
			    const char *, size_t, int64_t, int64_t, uint8_t);
size_t			 binding_history_lookup(
			    const struct binding_history *, int, const void *,
			    uint16_t, int64_t, struct binding_history_entry *,
			    size_t);
size_t			 binding_history_compact(struct binding_history *,
			    int64_t);
size_t			 binding_history_count(const struct binding_history *);
int			 binding_history_get(const struct binding_history *,
			    size_t, struct binding_history_entry *);
void			 binding_history_to_imsg(
			    const struct binding_history_entry *,
			    struct imsg_binding_history *);
int			 binding_history_from_imsg(
			    const struct imsg_binding_history *,
			    struct binding_history_entry *);

#endif /* MCGW_BINDING_H */
