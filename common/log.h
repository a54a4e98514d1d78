/*
 * Logging for every mcgwd process: syslog(3) by default, stderr when the
 * process runs in the foreground.  Messages are lower case without a
 * final period.
 */

#ifndef MCGW_LOG_H
#define MCGW_LOG_H

#include <stdarg.h>

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
 * Rate limit for repeated network errors: returns 1 when the caller may
 * log now, at most `burst` times per `seconds`; counts what it holds back
 * and logs that count when the window reopens.
 */
struct log_ratelimit {
	long	 window_start;
	unsigned int count;
	unsigned int suppressed;
};
int	log_ratelimit_ok(struct log_ratelimit *, unsigned int burst,
	    unsigned int seconds);

#endif /* MCGW_LOG_H */
