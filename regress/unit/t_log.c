/*
 * Unit tests for the log rate limiter (common/log.c): the burst, the
 * count of held-back lines and when it is reported, verbose mode, and
 * lines held back by a caller's own budget.
 */

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define BURST		3
#define WINDOW		60

static int	 saved_stderr = -1;
static FILE	*captured;

/* Sends what log.c writes to stderr into a file until capture_end. */
static void
capture_begin(void)
{
	ATF_REQUIRE((captured = tmpfile()) != NULL);
	fflush(stderr);
	ATF_REQUIRE((saved_stderr = dup(STDERR_FILENO)) != -1);
	ATF_REQUIRE(dup2(fileno(captured), STDERR_FILENO) != -1);
}

/* Returns what was logged since capture_begin (static storage). */
static const char *
capture_end(void)
{
	static char	 buf[8192];
	size_t		 n;

	fflush(stderr);
	ATF_REQUIRE(dup2(saved_stderr, STDERR_FILENO) != -1);
	close(saved_stderr);
	rewind(captured);
	n = fread(buf, 1, sizeof(buf) - 1, captured);
	buf[n] = '\0';
	fclose(captured);
	return buf;
}

static unsigned int
count_lines(const char *s)
{
	unsigned int	 n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* Moves the limiter's window into the past, as if it had ended. */
static void
window_ends(struct log_ratelimit *rl)
{
	rl->window_start -= WINDOW + 1;
}

ATF_TC_WITHOUT_HEAD(ratelimit_burst);
ATF_TC_BODY(ratelimit_burst, tc)
{
	static struct log_ratelimit	 rl;
	unsigned int			 i, allowed = 0;

	log_init(1, 0, "test");
	for (i = 0; i < 10; i++)
		allowed += log_ratelimit_ok(&rl, BURST, WINDOW);
	ATF_CHECK_EQ(allowed, BURST);
	ATF_CHECK_EQ(rl.suppressed, 10 - BURST);
}

ATF_TC_WITHOUT_HEAD(ratelimit_report_next_call);
ATF_TC_BODY(ratelimit_report_next_call, tc)
{
	static struct log_ratelimit	 rl;
	const char			*out;
	unsigned int			 i;

	log_init(1, 0, "test");
	for (i = 0; i < BURST + 7; i++)
		(void)log_ratelimit_ok(&rl, BURST, WINDOW);
	window_ends(&rl);
	capture_begin();
	ATF_CHECK_EQ(log_ratelimit_ok(&rl, BURST, WINDOW), 1);
	out = capture_end();
	ATF_CHECK_STREQ(out, "test: 7 similar messages suppressed\n");
	ATF_CHECK_EQ(rl.suppressed, 0);
	ATF_CHECK_EQ(rl.count, 1);
}

ATF_TC_WITHOUT_HEAD(ratelimit_report_names);
ATF_TC_BODY(ratelimit_report_names, tc)
{
	static struct log_ratelimit	 rl = { .what = "bad packets" };
	const char			*out;
	unsigned int			 i;

	log_init(1, 0, "test");
	for (i = 0; i < BURST + 2; i++)
		(void)log_ratelimit_ok(&rl, BURST, WINDOW);
	window_ends(&rl);
	capture_begin();
	(void)log_ratelimit_ok(&rl, BURST, WINDOW);
	out = capture_end();
	ATF_CHECK_STREQ(out,
	    "test: 2 similar messages suppressed (bad packets)\n");
}

ATF_TC_WITHOUT_HEAD(ratelimit_flush_waits);
ATF_TC_BODY(ratelimit_flush_waits, tc)
{
	static struct log_ratelimit	 rl;
	const char			*out;
	unsigned int			 i;

	log_init(1, 0, "test");
	for (i = 0; i < BURST + 4; i++)
		(void)log_ratelimit_ok(&rl, BURST, WINDOW);
	/* The window is still open: nothing is reported yet. */
	capture_begin();
	log_ratelimit_flush();
	out = capture_end();
	ATF_CHECK_STREQ(out, "");
	ATF_CHECK_EQ(rl.suppressed, 4);
}

ATF_TC_WITHOUT_HEAD(ratelimit_flush_reports);
ATF_TC_BODY(ratelimit_flush_reports, tc)
{
	static struct log_ratelimit	 a = { .what = "a" };
	static struct log_ratelimit	 b = { .what = "b" };
	static struct log_ratelimit	 c = { .what = "c" };
	const char			*out;
	unsigned int			 i;

	log_init(1, 0, "test");
	for (i = 0; i < BURST + 1; i++)
		(void)log_ratelimit_ok(&a, BURST, WINDOW);
	for (i = 0; i < BURST + 2; i++)
		(void)log_ratelimit_ok(&b, BURST, WINDOW);
	for (i = 0; i < BURST + 3; i++)
		(void)log_ratelimit_ok(&c, BURST, WINDOW);
	window_ends(&a);
	window_ends(&c);
	capture_begin();
	log_ratelimit_flush();
	out = capture_end();
	ATF_CHECK(strstr(out, "test: 1 similar messages suppressed (a)\n") !=
	    NULL);
	ATF_CHECK(strstr(out, "test: 3 similar messages suppressed (c)\n") !=
	    NULL);
	ATF_CHECK_EQ(count_lines(out), 2);
	ATF_CHECK_EQ(a.listed, 0);
	ATF_CHECK_EQ(b.listed, 1);
	ATF_CHECK_EQ(c.listed, 0);

	/* Reported once only; b follows when its window ends. */
	window_ends(&b);
	capture_begin();
	log_ratelimit_flush();
	out = capture_end();
	ATF_CHECK_STREQ(out, "test: 2 similar messages suppressed (b)\n");
	capture_begin();
	log_ratelimit_flush();
	out = capture_end();
	ATF_CHECK_STREQ(out, "");
}

/* After a report by flush, the limiter starts a new window as before. */
ATF_TC_WITHOUT_HEAD(ratelimit_after_flush);
ATF_TC_BODY(ratelimit_after_flush, tc)
{
	static struct log_ratelimit	 rl;
	const char			*out;
	unsigned int			 i, allowed = 0;

	log_init(1, 0, "test");
	for (i = 0; i < BURST + 1; i++)
		(void)log_ratelimit_ok(&rl, BURST, WINDOW);
	window_ends(&rl);
	capture_begin();
	log_ratelimit_flush();
	for (i = 0; i < BURST + 5; i++)
		allowed += log_ratelimit_ok(&rl, BURST, WINDOW);
	out = capture_end();
	ATF_CHECK_EQ(count_lines(out), 1);
	ATF_CHECK_EQ(allowed, BURST);
	ATF_CHECK_EQ(rl.suppressed, 5);
	ATF_CHECK_EQ(rl.listed, 1);
}

ATF_TC_WITHOUT_HEAD(ratelimit_verbose);
ATF_TC_BODY(ratelimit_verbose, tc)
{
	static struct log_ratelimit	 rl;
	const char			*out;
	unsigned int			 i, allowed = 0;

	log_init(1, 0, "test");
	for (i = 0; i < BURST + 2; i++)
		(void)log_ratelimit_ok(&rl, BURST, WINDOW);
	/* Verbose mode logs everything, after the count held so far. */
	log_setverbose(1);
	capture_begin();
	for (i = 0; i < 100; i++)
		allowed += log_ratelimit_ok(&rl, BURST, WINDOW);
	out = capture_end();
	ATF_CHECK_EQ(allowed, 100);
	ATF_CHECK_STREQ(out, "test: 2 similar messages suppressed\n");
	ATF_CHECK_EQ(rl.suppressed, 0);
}

/* One object's budget: burst lines a window, then a new window. */
ATF_TC_WITHOUT_HEAD(budget_window);
ATF_TC_BODY(budget_window, tc)
{
	int64_t		 start = 0;
	uint8_t		 lines = 0;
	int		 i;

	for (i = 0; i < BURST; i++)
		ATF_CHECK(log_budget_ok(&start, &lines, 1000, BURST, WINDOW));
	ATF_CHECK(!log_budget_ok(&start, &lines, 1000, BURST, WINDOW));
	ATF_CHECK(!log_budget_ok(&start, &lines, 1000 + WINDOW - 1, BURST,
	    WINDOW));
	ATF_CHECK(log_budget_ok(&start, &lines, 1000 + WINDOW, BURST,
	    WINDOW));
	ATF_CHECK_EQ(start, 1000 + WINDOW);
	/* A clock that went back starts a new window too. */
	lines = BURST;
	ATF_CHECK(log_budget_ok(&start, &lines, 10, BURST, WINDOW));
	ATF_CHECK_EQ(start, 10);
}

ATF_TC_WITHOUT_HEAD(ratelimit_held);
ATF_TC_BODY(ratelimit_held, tc)
{
	static struct log_ratelimit	 rl = { .what = "records" };
	const char			*out;
	unsigned int			 i;

	log_init(1, 0, "test");
	for (i = 0; i < 6; i++)
		log_ratelimit_held(&rl, WINDOW);
	ATF_CHECK_EQ(rl.suppressed, 6);
	window_ends(&rl);
	capture_begin();
	log_ratelimit_flush();
	out = capture_end();
	ATF_CHECK_STREQ(out,
	    "test: 6 similar messages suppressed (records)\n");

	/* In verbose mode the caller logs the line, so nothing is held. */
	log_setverbose(1);
	log_ratelimit_held(&rl, WINDOW);
	ATF_CHECK_EQ(rl.suppressed, 0);
	ATF_CHECK_EQ(rl.listed, 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ratelimit_burst);
	ATF_TP_ADD_TC(tp, ratelimit_report_next_call);
	ATF_TP_ADD_TC(tp, ratelimit_report_names);
	ATF_TP_ADD_TC(tp, ratelimit_flush_waits);
	ATF_TP_ADD_TC(tp, ratelimit_flush_reports);
	ATF_TP_ADD_TC(tp, ratelimit_after_flush);
	ATF_TP_ADD_TC(tp, ratelimit_verbose);
	ATF_TP_ADD_TC(tp, ratelimit_held);
	ATF_TP_ADD_TC(tp, budget_window);
	return atf_no_error();
}
