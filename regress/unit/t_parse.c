/*
 * mcgwd.conf parser tests.  Each good file NAME.in under parse/ must
 * print as NAME.ok, and that output must parse and print to itself.
 * Each bad file NAME.in must fail, and every line of NAME.err must
 * appear in the errors logged, "file:line: message".
 */

#include <sys/stat.h>

#include <atf-c.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcgw.h"
#include "../../mcgwd/mcgwd.h"

#define LOGFILE		"parse-errors.log"

static char *
read_file(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	ATF_REQUIRE_MSG((fp = fopen(path, "r")) != NULL, "cannot open %s",
	    path);
	ATF_REQUIRE(fseek(fp, 0, SEEK_END) == 0);
	ATF_REQUIRE((len = ftell(fp)) >= 0);
	rewind(fp);
	ATF_REQUIRE((buf = calloc(1, len + 1)) != NULL);
	ATF_REQUIRE(fread(buf, 1, len, fp) == (size_t)len);
	fclose(fp);
	return buf;
}

static void
golden_path(const atf_tc_t *tc, const char *name, const char *suffix,
    char *path, size_t size)
{
	const char	*srcdir = atf_tc_get_config_var_wd(tc, "srcdir", ".");

	ATF_REQUIRE((size_t)snprintf(path, size, "%s/parse/%s%s", srcdir,
	    name, suffix) < size);
}

/* Parses path with the log on stderr captured into *log. */
static struct mcgwd_conf *
parse_logged(const char *path, char **log)
{
	struct mcgwd_conf	*conf;
	int			 fd, saved;

	log_init(1, 0, "t_parse");
	fflush(stderr);
	ATF_REQUIRE((saved = dup(STDERR_FILENO)) != -1);
	ATF_REQUIRE((fd = open(LOGFILE, O_RDWR | O_CREAT | O_TRUNC,
	    0600)) != -1);
	ATF_REQUIRE(dup2(fd, STDERR_FILENO) != -1);
	close(fd);

	conf = parse_config(path);

	fflush(stderr);
	ATF_REQUIRE(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	*log = read_file(LOGFILE);
	/* Copied to the test's stderr, so that a failing check shows it. */
	fputs(*log, stderr);
	return conf;
}

static char *
print_to_string(const struct mcgwd_conf *conf)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0;

	ATF_REQUIRE((fp = open_memstream(&buf, &len)) != NULL);
	print_config(fp, conf);
	ATF_REQUIRE(fclose(fp) == 0);
	return buf;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*fp;

	ATF_REQUIRE((fp = fopen(path, "w")) != NULL);
	ATF_REQUIRE(fputs(text, fp) != EOF);
	ATF_REQUIRE(fclose(fp) == 0);
	ATF_REQUIRE(chmod(path, mode) == 0);
}

static void
check_good(const atf_tc_t *tc, const char *name)
{
	struct mcgwd_conf	*conf;
	char			 in[PATH_MAX], ok[PATH_MAX];
	char			*log, *expected, *out, *again;

	golden_path(tc, name, ".in", in, sizeof(in));
	golden_path(tc, name, ".ok", ok, sizeof(ok));

	conf = parse_logged(in, &log);
	ATF_REQUIRE_MSG(conf != NULL, "%s failed to parse: %s", in, log);
	ATF_CHECK_STREQ_MSG(log, "", "%s logged errors", in);
	out = print_to_string(conf);
	config_free(conf);
	expected = read_file(ok);
	ATF_CHECK_STREQ_MSG(out, expected, "%s: output differs from %s", in,
	    ok);
	free(log);

	/* The printed form parses again to the same text. */
	write_file("roundtrip.conf", out, 0644);
	conf = parse_logged("roundtrip.conf", &log);
	ATF_REQUIRE_MSG(conf != NULL, "%s: printed form fails to parse: %s",
	    in, log);
	again = print_to_string(conf);
	config_free(conf);
	ATF_CHECK_STREQ_MSG(again, out, "%s: round trip changed the output",
	    in);

	free(again);
	free(log);
	free(expected);
	free(out);
}

/* Checks that every line of want occurs in log. */
static void
check_lines(const char *log, char *want)
{
	char	*line, *next;

	for (line = want; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		ATF_CHECK_MSG(strstr(log, line) != NULL,
		    "expected error not logged: %s", line);
	}
}

static void
check_bad(const atf_tc_t *tc, const char *name)
{
	struct mcgwd_conf	*conf;
	char			 in[PATH_MAX], err[PATH_MAX];
	char			*log, *want;

	golden_path(tc, name, ".in", in, sizeof(in));
	golden_path(tc, name, ".err", err, sizeof(err));

	conf = parse_logged(in, &log);
	ATF_CHECK_MSG(conf == NULL, "%s parsed without error", in);
	config_free(conf);
	want = read_file(err);
	check_lines(log, want);
	free(want);
	free(log);
}

#define GOOD_TEST(name)					\
	ATF_TC_WITHOUT_HEAD(good_##name);		\
	ATF_TC_BODY(good_##name, tc)			\
	{						\
		check_good(tc, #name);			\
	}

#define BAD_TEST(name)					\
	ATF_TC_WITHOUT_HEAD(bad_##name);		\
	ATF_TC_BODY(bad_##name, tc)			\
	{						\
		check_bad(tc, "bad_" #name);		\
	}

GOOD_TEST(design)
GOOD_TEST(macros)
GOOD_TEST(include)
GOOD_TEST(nat)
GOOD_TEST(ranges)
GOOD_TEST(routing)
GOOD_TEST(numbers)

BAD_TEST(placeholder)
BAD_TEST(key)
BAD_TEST(syntax)
BAD_TEST(ranges)
BAD_TEST(framed)
BAD_TEST(hosts)
BAD_TEST(options)
BAD_TEST(misc)
BAD_TEST(include)
BAD_TEST(routing)
BAD_TEST(words)

/* After an error, the rest of its line and any block it opens are quiet. */
ATF_TC_WITHOUT_HEAD(bad_words_quiet);
ATF_TC_BODY(bad_words_quiet, tc)
{
	struct mcgwd_conf	*conf;
	char			 in[PATH_MAX], where[32];
	char			*log;
	int			 line;

	golden_path(tc, "bad_words", ".in", in, sizeof(in));
	conf = parse_logged(in, &log);
	ATF_CHECK(conf == NULL);
	for (line = 12; line <= 17; line++) {
		if (line == 15)
			continue;
		snprintf(where, sizeof(where), "bad_words.in:%d:", line);
		ATF_CHECK_MSG(strstr(log, where) == NULL,
		    "unexpected error on line %d: %s", line, log);
	}
	free(log);
}

/* A macro given on the command line wins over the file's definition. */
ATF_TC_WITHOUT_HEAD(symset_override);
ATF_TC_BODY(symset_override, tc)
{
	struct mcgwd_conf	*conf;
	char			 in[PATH_MAX], arg[] = "lan=lan9";
	char			 bad[] = "no-equals-sign";
	char			*log, *out;

	ATF_CHECK_EQ(cmdline_symset(bad), -1);
	ATF_REQUIRE_EQ(cmdline_symset(arg), 0);
	golden_path(tc, "macros", ".in", in, sizeof(in));
	conf = parse_logged(in, &log);
	ATF_REQUIRE(conf != NULL);
	out = print_to_string(conf);
	ATF_CHECK(strstr(out, "interface \"lan9\" {") != NULL);
	ATF_CHECK(strstr(out, "lan0") == NULL);
	config_free(conf);
	free(out);
	free(log);
}

static const char minimal[] =
    "uplink \"wwan0\"\nmode nat\ninterface \"lan0\" {\n"
    "\taddress 10.0.0.1/24\n}\n";

ATF_TC_WITHOUT_HEAD(file_world_writable);
ATF_TC_BODY(file_world_writable, tc)
{
	struct mcgwd_conf	*conf;
	char			*log;

	write_file("open.conf", minimal, 0666);
	conf = parse_logged("open.conf", &log);
	ATF_CHECK(conf == NULL);
	ATF_CHECK(strstr(log, "open.conf: writable by others") != NULL);
	config_free(conf);
	free(log);

	/* The same file, closed to others, is accepted. */
	ATF_REQUIRE(chmod("open.conf", 0644) == 0);
	conf = parse_logged("open.conf", &log);
	ATF_CHECK(conf != NULL);
	config_free(conf);
	free(log);
}

ATF_TC_WITHOUT_HEAD(include_world_writable);
ATF_TC_BODY(include_world_writable, tc)
{
	struct mcgwd_conf	*conf;
	char			*log;

	write_file("lan.inc",
	    "interface \"lan0\" {\n\taddress 10.0.0.1/24\n}\n", 0666);
	write_file("main.conf", "uplink \"wwan0\"\nmode nat\n"
	    "include \"lan.inc\"\n", 0644);
	conf = parse_logged("main.conf", &log);
	ATF_CHECK(conf == NULL);
	ATF_CHECK(strstr(log,
	    "main.conf:3: include \"lan.inc\": writable by others") != NULL);
	config_free(conf);
	free(log);
}

ATF_TC_WITHOUT_HEAD(file_not_regular);
ATF_TC_BODY(file_not_regular, tc)
{
	struct mcgwd_conf	*conf;
	char			*log;

	ATF_REQUIRE(mkdir("dir.conf", 0755) == 0);
	conf = parse_logged("dir.conf", &log);
	ATF_CHECK(conf == NULL);
	ATF_CHECK(strstr(log, "dir.conf: not a regular file") != NULL);
	free(log);
}

ATF_TC_WITHOUT_HEAD(include_loop);
ATF_TC_BODY(include_loop, tc)
{
	struct mcgwd_conf	*conf;
	char			*log;

	write_file("loop.conf", "uplink \"wwan0\"\ninclude \"loop.conf\"\n",
	    0644);
	conf = parse_logged("loop.conf", &log);
	ATF_CHECK(conf == NULL);
	ATF_CHECK(strstr(log, "loop.conf:2: include \"loop.conf\": more than "
	    "16 files deep") != NULL);
	free(log);
}

/* A last line without a newline still ends its statement. */
ATF_TC_WITHOUT_HEAD(file_no_final_newline);
ATF_TC_BODY(file_no_final_newline, tc)
{
	struct mcgwd_conf	*conf;
	char			*log;

	write_file("short.conf", "uplink \"wwan0\"\nmode nat\n"
	    "interface \"lan0\" {\n\taddress 10.0.0.1/24\n}\nhold-down 5",
	    0644);
	conf = parse_logged("short.conf", &log);
	ATF_REQUIRE(conf != NULL);
	ATF_CHECK_EQ(conf->hold_down, 5);
	config_free(conf);
	free(log);
}

ATF_TC_WITHOUT_HEAD(file_missing_brace);
ATF_TC_BODY(file_missing_brace, tc)
{
	struct mcgwd_conf	*conf;
	char			*log;

	write_file("open.conf", "uplink \"wwan0\"\nmode nat\n"
	    "interface \"lan0\" {\n\taddress 10.0.0.1/24\n", 0644);
	conf = parse_logged("open.conf", &log);
	ATF_CHECK(conf == NULL);
	ATF_CHECK(strstr(log, "open.conf:5: syntax error at end of file") !=
	    NULL);
	free(log);
}

/* A NUL byte is an error, not the end of the input. */
ATF_TC_WITHOUT_HEAD(file_nul_byte);
ATF_TC_BODY(file_nul_byte, tc)
{
	static const char	 text[] = "uplink \"wwan0\"\nmode nat\0\n"
				    "hold-down x\n";
	struct mcgwd_conf	*conf;
	FILE			*fp;
	char			*log;

	ATF_REQUIRE((fp = fopen("nul.conf", "w")) != NULL);
	ATF_REQUIRE(fwrite(text, 1, sizeof(text) - 1, fp) ==
	    sizeof(text) - 1);
	ATF_REQUIRE(fclose(fp) == 0);
	conf = parse_logged("nul.conf", &log);
	ATF_CHECK(conf == NULL);
	ATF_CHECK(strstr(log, "nul.conf:2: invalid character 0x00") != NULL);
	ATF_CHECK(strstr(log, "nul.conf:3: syntax error") != NULL);
	free(log);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, good_design);
	ATF_TP_ADD_TC(tp, good_macros);
	ATF_TP_ADD_TC(tp, good_include);
	ATF_TP_ADD_TC(tp, good_nat);
	ATF_TP_ADD_TC(tp, good_ranges);
	ATF_TP_ADD_TC(tp, good_routing);
	ATF_TP_ADD_TC(tp, good_numbers);
	ATF_TP_ADD_TC(tp, bad_placeholder);
	ATF_TP_ADD_TC(tp, bad_key);
	ATF_TP_ADD_TC(tp, bad_syntax);
	ATF_TP_ADD_TC(tp, bad_ranges);
	ATF_TP_ADD_TC(tp, bad_framed);
	ATF_TP_ADD_TC(tp, bad_hosts);
	ATF_TP_ADD_TC(tp, bad_options);
	ATF_TP_ADD_TC(tp, bad_misc);
	ATF_TP_ADD_TC(tp, bad_include);
	ATF_TP_ADD_TC(tp, bad_routing);
	ATF_TP_ADD_TC(tp, bad_words);
	ATF_TP_ADD_TC(tp, bad_words_quiet);
	ATF_TP_ADD_TC(tp, symset_override);
	ATF_TP_ADD_TC(tp, file_world_writable);
	ATF_TP_ADD_TC(tp, include_world_writable);
	ATF_TP_ADD_TC(tp, file_not_regular);
	ATF_TP_ADD_TC(tp, include_loop);
	ATF_TP_ADD_TC(tp, file_no_final_newline);
	ATF_TP_ADD_TC(tp, file_missing_brace);
	ATF_TP_ADD_TC(tp, file_nul_byte);
	return atf_no_error();
}
