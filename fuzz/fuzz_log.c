/*
 * log.h for the fuzz targets.  Messages are formatted, so that the
 * sanitizers check every format and its arguments, and then dropped:
 * a fuzzer logs on nearly every input, and syslog would fill up.  Set
 * MCGW_FUZZ_LOG in the environment to see them on stderr.
 *
 * fatal() and fatalx() abort instead of exiting, so that libFuzzer
 * records the input.  A fatal error on untrusted input is a finding.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int	 log_verbose = 1;

static void	 vlog(const char *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *prefix, const char *fmt, va_list ap)
{
	char	 msg[2048];
	int	 saved_errno = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (getenv("MCGW_FUZZ_LOG") != NULL)
		fprintf(stderr, "%s%s\n", prefix, msg);
	errno = saved_errno;
}

void
log_init(int debug, int verbose, const char *procname)
{
	(void)debug;
	(void)procname;
	log_verbose = verbose;
}

void
log_procinit(const char *procname)
{
	(void)procname;
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

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vlog("warn: ", fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("warnx: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("info: ", fmt, ap);
	va_end(ap);
}

/* Debug messages are formatted too: they sit on the parse paths. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\nfatal in a fuzz target\n",
	    strerror(saved_errno));
	abort();
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfatalx in a fuzz target\n");
	abort();
}

int
log_ratelimit_ok(struct log_ratelimit *rl, unsigned int burst,
    unsigned int seconds)
{
	(void)seconds;
	if (rl->count < burst) {
		rl->count++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}
