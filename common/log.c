/*
 * Logging to syslog or stderr, in the manner of the OpenBSD daemons.
 */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		 log_debug_mode;
static int		 log_verbose;
static const char	*log_procname = "mcgwd";
/* Limiters with a held-back count not yet reported. */
static struct log_ratelimit	*ratelimit_pending;

static void	vlog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	logit(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

void
log_init(int debug, int verbose, const char *procname)
{
	log_debug_mode = debug;
	log_verbose = verbose;
	if (procname != NULL)
		log_procname = procname;
	if (!debug)
		openlog(log_procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 line[4096];
	int	 saved_errno = errno;
	size_t	 n;

	if (log_debug_mode) {
		/*
		 * One write per line: stderr is unbuffered, and the three
		 * processes share it.  A longer line is cut.
		 */
		n = snprintf(line, sizeof(line), "%s: ", log_procname);
		if (n < sizeof(line))
			vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n = strlen(line);
		if (n == sizeof(line) - 1)
			n--;
		line[n] = '\n';
		line[n + 1] = '\0';
		fputs(line, stderr);
		fflush(stderr);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved_errno;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* Logs fmt followed by ": " and the text of errno. */
static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	char	 msg[1024];
	int	 saved_errno = errno;

	if (fmt == NULL) {
		logit(pri, "%s", strerror(saved_errno));
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	logit(pri, "%s: %s", msg, strerror(saved_errno));
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

static long
monotonic_sec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
ratelimit_report(struct log_ratelimit *rl)
{
	if (rl->suppressed == 0)
		return;
	if (rl->what != NULL)
		logit(LOG_ERR, "%u similar messages suppressed (%s)",
		    rl->suppressed, rl->what);
	else
		logit(LOG_ERR, "%u similar messages suppressed",
		    rl->suppressed);
	rl->suppressed = 0;
}

/* Reports the last window's count and opens a new one once it ended. */
static void
ratelimit_window(struct log_ratelimit *rl, unsigned int seconds, long now)
{
	rl->seconds = seconds;
	if (now - rl->window_start < (long)seconds)
		return;
	ratelimit_report(rl);
	rl->window_start = now;
	rl->count = 0;
}

static void
ratelimit_hold(struct log_ratelimit *rl)
{
	if (rl->suppressed < UINT_MAX)
		rl->suppressed++;
	if (!rl->listed) {
		rl->next = ratelimit_pending;
		ratelimit_pending = rl;
		rl->listed = 1;
	}
}

int
log_ratelimit_ok(struct log_ratelimit *rl, unsigned int burst,
    unsigned int seconds)
{
	ratelimit_window(rl, seconds, monotonic_sec());
	if (log_verbose > 0) {
		ratelimit_report(rl);
		return 1;
	}
	if (rl->count < burst) {
		rl->count++;
		return 1;
	}
	ratelimit_hold(rl);
	return 0;
}

void
log_ratelimit_held(struct log_ratelimit *rl, unsigned int seconds)
{
	ratelimit_window(rl, seconds, monotonic_sec());
	if (log_verbose > 0) {
		ratelimit_report(rl);
		return;
	}
	ratelimit_hold(rl);
}

int
log_budget_ok(int64_t *start, uint8_t *lines, int64_t now,
    unsigned int burst, unsigned int seconds)
{
	if (now - *start >= (int64_t)seconds || now < *start) {
		*start = now;
		*lines = 0;
	}
	if (*lines >= burst)
		return 0;
	(*lines)++;
	return 1;
}

void
log_ratelimit_flush(void)
{
	struct log_ratelimit	**pp, *rl;
	long			 now = monotonic_sec();

	pp = &ratelimit_pending;
	while ((rl = *pp) != NULL) {
		if (rl->suppressed > 0 &&
		    now - rl->window_start < (long)rl->seconds) {
			pp = &rl->next;
			continue;
		}
		ratelimit_report(rl);
		*pp = rl->next;
		rl->next = NULL;
		rl->listed = 0;
	}
}
