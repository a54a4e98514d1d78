/*
 * mcgwd-routed: the lease store with its journal and the control
 * sessions of mcgwctl.
 */

#ifndef ROUTED_H
#define ROUTED_H

#include <sys/types.h>
#include <sys/queue.h>
#include <event.h>
#include <stdint.h>
#include <time.h>

#include "imsg.h"
#include "mcgw.h"
#include "binding.h"

#define JOURNAL_TMP		"leases.journal.tmp"
#define JOURNAL_CORRUPT_SUFFIX	".corrupt"

/* Journal record types; values are part of the file format. */
#define JOURNAL_REC_LEASE4	1	/* a DHCPv4 lease, struct imsg_lease4 */
#define JOURNAL_REC_BINDING	2	/* a binding's state, imsg_binding */
#define JOURNAL_REC_HISTORY	3	/* a binding's start or end */
#define JOURNAL_REC_LEASE6	4	/* reserved: DHCPv6 leases */

/*
 * An open journal.  records counts the records in the file now,
 * superseded ones included, so that compaction knows the garbage;
 * syncs and bytes count since the process started.
 */
struct journal {
	int		 fd;
	char		 path[1024];
	char		 tmppath[1024];
	char		 dir[1024];
	int64_t		 created;	/* from the file header */
	off_t		 size;		/* end of the last durable record */
	off_t		 alloc;		/* file size: zeros from size on */
	int		 need_replay;	/* size unknown until replay */
	const char	*hdr_damage;	/* the failed header check, or NULL */
	int		 damaged;	/* replay skipped damage: compact */
	int		 tail_dirty;	/* failed write left bytes past size */
	uint64_t	 records;
	uint64_t	 syncs;
	uint64_t	 bytes;		/* bytes written and synced */
	uint64_t	 skipped;	/* records replay could not decode */
	unsigned char	*buf;		/* the batch journal_commit writes */
	size_t		 buflen;
	size_t		 bufsize;
	uint64_t	 pending;	/* records in buf */
};

/* Replay callback: called once per lease record in file order. */
typedef void	(*journal_lease_cb)(const struct imsg_lease4 *, void *);
/* Compaction iterator: returns the next live lease, NULL at the end. */
typedef const struct imsg_lease4 *(*journal_lease_iter)(void *);
typedef void	(*journal_binding_cb)(const struct imsg_binding *, void *);
typedef void	(*journal_history_cb)(const struct imsg_binding_history *,
		    void *);
typedef const struct imsg_binding *(*journal_binding_iter)(void *);
typedef const struct imsg_binding_history *(*journal_history_iter)(void *);

/* The callbacks replay calls per record type.  A NULL one skips it. */
struct journal_sink {
	journal_lease_cb	 lease;
	journal_binding_cb	 binding;
	journal_history_cb	 history;
	void			*arg;
};

/* The records of a snapshot: leases, then bindings, then history. */
struct journal_source {
	journal_lease_iter	 leases;
	journal_binding_iter	 bindings;
	journal_history_iter	 history;
	void			*arg;
};

/* journal.c */
/*
 * The file grows in steps of this many bytes (0: by each batch), so
 * that an fdatasync rarely has to store a new file size.
 */
extern size_t	 journal_prealloc;
/*
 * Opens path for append, creating it (and setting aside a file that is
 * no journal) as needed.  Replay decides on a file whose header is
 * damaged.  The directory of path receives the temporary file of
 * compaction.  Returns -1 only when no journal can be created at all.
 */
int		 journal_open(struct journal *, const char *path);
/*
 * Reads every record, calls cb for each lease, skips damaged ranges
 * and finds the records after them again, and cuts a torn or corrupt
 * tail.  Must run once before the first commit.  Returns the number of
 * lease records, -1 on an I/O error.
 */
int64_t		 journal_replay(struct journal *, journal_lease_cb, void *);
/* The same for every record type. */
int64_t		 journal_replay_all(struct journal *,
		    const struct journal_sink *);
/* Encodes a lease into the pending batch. */
int		 journal_add_lease(struct journal *,
		    const struct imsg_lease4 *);
int		 journal_add_binding(struct journal *,
		    const struct imsg_binding *);
int		 journal_add_history(struct journal *,
		    const struct imsg_binding_history *);
/*
 * Writes the pending batch with one write and one fdatasync.  On
 * failure the file is cut back to its last durable record and the
 * batch is dropped: the caller reports every record in it as failed.
 */
int		 journal_commit(struct journal *);
/*
 * Returns 1 when the file contains enough superseded records to compact,
 * or when replay skipped damage that a snapshot would leave behind.
 */
int		 journal_need_compact(const struct journal *, uint64_t live);
/* Replaces the file with a snapshot of the leases iter returns. */
int		 journal_compact(struct journal *, journal_lease_iter, void *);
int		 journal_compact_all(struct journal *,
		    const struct journal_source *);
/* Syncs and closes. */
int		 journal_close(struct journal *);
/* Encoding, exported for tests. */
size_t		 journal_encode_lease(unsigned char *, size_t,
		    const struct imsg_lease4 *);
int		 journal_decode_lease(const unsigned char *, size_t,
		    struct imsg_lease4 *);
size_t		 journal_encode_binding(unsigned char *, size_t,
		    const struct imsg_binding *);
int		 journal_decode_binding(const unsigned char *, size_t,
		    struct imsg_binding *);
size_t		 journal_encode_history(unsigned char *, size_t,
		    const struct imsg_binding_history *);
int		 journal_decode_history(const unsigned char *, size_t,
		    struct imsg_binding_history *);
uint32_t	 journal_crc32c(uint32_t, const void *, size_t);

/* leases.c */
void		 leases_init(void);
/* Inserts or replaces the lease; LEASE_FREE removes it.  Fatal on ENOMEM. */
void		 lease_update(const struct imsg_lease4 *);
/*
 * The lookups return a copy in one static buffer, valid until the next
 * lookup: copy the lease to keep it across another one.
 */
const struct imsg_lease4 *lease_find(struct in_addr);
/* The first lease with an address above addr (host order), or NULL. */
const struct imsg_lease4 *lease_next(uint32_t addr);
const struct imsg_lease4 *lease_first(void);
uint32_t	 leases_total(void);
uint32_t	 leases_active(void);

/* routed.c */
struct imsgev {
	struct imsgbuf	 ibuf;
	void		(*handler)(int, short, void *);
	struct event	 ev;
	short		 events;
};

void		 imsg_event_add(struct imsgev *);
int		 imsg_compose_event(struct imsgev *, uint32_t, uint32_t,
		    pid_t, int, const void *, size_t);
/* Sends a request to the parent or to dhcpd. */
int		 routed_imsg_compose_parent(uint32_t, uint32_t, const void *,
		    size_t);
int		 routed_imsg_compose_dhcpd(uint32_t, uint32_t, const void *,
		    size_t);
void		 routed_fill_status(struct imsg_ctl_status *);
void		 routed_fill_procs(struct imsg_ctl_proc *, size_t);
uint8_t		 routed_mode(void);
struct journal	*routed_journal(void);
/* Compacts the journal when superseded records pile up. */
void		 routed_maybe_compact(void);
/* The uplink's addresses (the UE IP), unspecified while unknown. */
extern struct in_addr	 routed_uplink4;
extern struct in6_addr	 routed_uplink6;

/* auth_server.c */
void		 auth_server_init(void);
void		 auth_server_load_key(void);
void		 auth_server_start(void);
void		 auth_server_cleanup(void);
const char	*auth_public_key(void);
uint32_t	 auth_binding_count(void);
uint64_t	 auth_live_records(void);
void		 auth_replay_binding(const struct imsg_binding *, void *);
void		 auth_replay_history(const struct imsg_binding_history *,
		    void *);
void		 auth_hold_send_all(void);
void		 auth_lease_changed(const struct imsg_lease4 *);
void		 auth_reconf_begin(void);
void		 auth_reconf_conf(const struct imsg_auth_conf *);
void		 auth_reconf_key(const struct imsg_auth_key *);
void		 auth_reconf_socket(const struct imsg_socket *, int);
void		 auth_reconf_end(void);
size_t		 auth_ctl_bindings(const char *, binding_visit_cb, void *);
void		 auth_ports_changed(const char *, size_t, uint16_t,
		    uint16_t);
size_t		 auth_ctl_history(const struct imsg_ctl_show_history *,
		    struct binding_history_entry *, size_t);
int		 auth_ctl_clear(const char *);
void		 auth_snapshot_begin(void);
const struct imsg_binding *auth_snapshot_binding(void);
const struct imsg_binding_history *auth_snapshot_history(void);
void		 auth_snapshot_end(void);

/* control.c */
void		 control_init(void);
/* Takes a listening socket from the parent. */
void		 control_listen(int fd, int readonly);
/* Sends the answer to a reload; drops it if the session is gone. */
void		 control_reload_done(uint32_t id, const struct imsg_result *);
/* Passes a part of the parent's answer on to a control session. */
void		 control_relay(uint32_t id, uint32_t type, const void *,
		    size_t);
void		 control_cleanup(void);

/* nat.c */
void		 nat_reconf_conf(const struct imsg_conf *);
int		 nat_reconf_framed(struct imsg *);
void		 nat_reconf_end(void);
const struct imsg_framed *nat_framed(size_t);
int		 nat_block_get(struct in_addr, uint16_t *, uint16_t *);
int		 nat_block_restore(struct in_addr, uint16_t *, uint16_t *);
void		 nat_block_put(struct in_addr);
int		 nat_parent_imsg(struct imsg *);
/* auth_server.c: every binding follows a new UE IP. */
void		 auth_uplink_changed(void);

#endif /* ROUTED_H */
