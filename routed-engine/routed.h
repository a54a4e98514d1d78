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

#define JOURNAL_TMP		"leases.journal.tmp"
#define JOURNAL_CORRUPT_SUFFIX	".corrupt"

/* Journal record types; values are part of the file format. */
#define JOURNAL_REC_LEASE4	1	/* a DHCPv4 lease, struct imsg_lease4 */
#define JOURNAL_REC_BINDING	2	/* reserved: service-ID bindings */
#define JOURNAL_REC_HISTORY	3	/* reserved: binding start and end */
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

/* journal.c */
/*
 * Opens path for append, creating it (and setting aside a file whose
 * header is garbage) as needed.  The directory of path receives the
 * temporary file of compaction.  Returns -1 only when no journal can
 * be created at all.
 */
int		 journal_open(struct journal *, const char *path);
/*
 * Reads every record, calls cb for each lease, and cuts a torn or
 * corrupt tail.  Returns the number of lease records, -1 on an I/O
 * error.
 */
int64_t		 journal_replay(struct journal *, journal_lease_cb, void *);
/* Encodes a lease into the pending batch. */
int		 journal_add_lease(struct journal *,
		    const struct imsg_lease4 *);
/*
 * Writes the pending batch with one write and one fdatasync.  On
 * failure the file is cut back to its last durable record and the
 * batch is dropped: the caller reports every record in it as failed.
 */
int		 journal_commit(struct journal *);
/* 1 when the file holds enough superseded records to compact. */
int		 journal_need_compact(const struct journal *, uint64_t live);
/* Replaces the file with a snapshot of the leases iter returns. */
int		 journal_compact(struct journal *, journal_lease_iter, void *);
/* Syncs and closes. */
int		 journal_close(struct journal *);
/* Encoding, exported for tests. */
size_t		 journal_encode_lease(unsigned char *, size_t,
		    const struct imsg_lease4 *);
int		 journal_decode_lease(const unsigned char *, size_t,
		    struct imsg_lease4 *);
uint32_t	 journal_crc32c(uint32_t, const void *, size_t);

/* leases.c */
void		 leases_init(void);
/* Inserts or replaces the lease; LEASE_FREE removes it.  Fatal on ENOMEM. */
void		 lease_update(const struct imsg_lease4 *);
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

/* control.c */
void		 control_init(void);
/* Takes a listening socket from the parent. */
void		 control_listen(int fd, int readonly);
/* Sends the answer to a reload; drops it if the session is gone. */
void		 control_reload_done(uint32_t id, const struct imsg_result *);
void		 control_cleanup(void);

#endif /* ROUTED_H */
