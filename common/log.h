/*
 * Logging for every mcgwd process: syslog(3) by default, stderr when the
 * process runs in the foreground.  Messages are lower case without a
 * final period.
 */

#ifndef MCGW_LOG_H
#define MCGW_LOG_H

#include <stdarg.h>
#include <stdint.h>

/*
 * Sets where messages go (debug: stderr, else syslog with facility
 * LOG_DAEMON) and the verbosity (0: info and above, 1: debug too).
 * Opens the syslog connection at once, so that it survives a chroot.
 */
void	log_init(int debug, int verbose, const char *procname);
void	log_setverbose(int);
int	log_getverbose(void);
/* Sets the name that prefixes each message ("parent", "dhcpd", ...). */
void	log_procinit(const char *);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Rate limit for messages that the network or a control client can cause
 * at will.  log_ratelimit_ok returns 1 when the caller may log now: always
 * in verbose mode, else at most `burst` times per `seconds`.  It counts
 * the lines it holds back, and "N similar messages suppressed" reports
 * the count once the window has ended: at the next call, or at
 * log_ratelimit_flush if that comes first.  A limiter must have static
 * storage, because a held-back count links it into a list until that
 * report.  A zero-initialised limiter works; `what`, if set, names its
 * messages in the report.
 */
struct log_ratelimit {
	long			 window_start;	/* CLOCK_MONOTONIC seconds */
	unsigned int		 count;		/* lines logged in the window */
	unsigned int		 suppressed;	/* lines held back, to report */
	const char		*what;
	unsigned int		 seconds;	/* window of the last call */
	int			 listed;	/* on the list of held counts */
	struct log_ratelimit	*next;
};
int	log_ratelimit_ok(struct log_ratelimit *, unsigned int burst,
	    unsigned int seconds);
/*
 * Counts one line that the caller held back by a rule of its own (a
 * budget per address, say), so that the limiter reports it like its own.
 * Counts nothing in verbose mode.
 */
void	log_ratelimit_held(struct log_ratelimit *, unsigned int seconds);
/* Reports every held-back count whose window has ended; call it often. */
void	log_ratelimit_flush(void);
/*
 * Returns 1 when one object, such as one address, may log another line:
 * it logged *lines lines in the window of the given seconds that began at
 * *start, fewer than burst.  Counts the line; a new window starts at now.
 */
int	log_budget_ok(int64_t *start, uint8_t *lines, int64_t now,
	    unsigned int burst, unsigned int seconds);

#endif /* MCGW_LOG_H */
