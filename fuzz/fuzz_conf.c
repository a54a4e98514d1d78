/*
 * libFuzzer target: the configuration parser (parse_config) and the
 * printer (print_config).
 *
 * The input is written to mcgwd.conf, mode 0600, in a private
 * directory.  A configuration that parses is printed, and the printed
 * form must parse again and print the same text: a difference aborts.
 *
 * The input may name any file in an include statement.  For this
 * target the Makefile builds parse.c with -Dopen=fuzz_conf_open, and
 * fuzz_conf_open() opens only files inside the private directory, so
 * that the fuzzer never reads files of the machine (/proc, devices).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcgw.h"
#include "../mcgwd/mcgwd.h"

#define FZ_CONF		"mcgwd.conf"
#define FZ_ROUND	"round.conf"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	fuzz_conf_open(const char *, int, ...);

static char	 dir[PATH_MAX];
static char	 conf_path[PATH_MAX], round_path[PATH_MAX];

/*
 * Files that the golden configurations of regress/unit/parse include,
 * so that their seeds reach the include code with a file to read.
 */
static const struct {
	const char	*name;
	const char	*text;
} inc_files[] = {
	{ "include-lan.inc",
	    "lan_if = \"eth1\"\ninterface $lan_if {\n"
	    "\taddress 10.1.2.1/24\n\trange 10.1.2.50 10.1.2.99\n}\n" },
	{ "bad_include-lan.inc",
	    "interface \"lan0\" {\n\taddress 10.0.0.1/24\n"
	    "\trange 10.0.0.10 10.0.0.300\n}\n" },
	{ "small.inc", "hold-down 30\n" }
};

/* open(2) for parse.c: only files inside dir, without "..". */
int
fuzz_conf_open(const char *path, int flags, ...)
{
	size_t	 n = strlen(dir);

	if (strncmp(path, dir, n) != 0 || path[n] != '/' ||
	    strstr(path, "/..") != NULL) {
		errno = EACCES;
		return -1;
	}
	return open(path, flags & ~O_CREAT);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int	 fd;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		abort();
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void
cleanup(void)
{
	(void)unlink(conf_path);
	(void)unlink(round_path);
}

static void
remove_dir(void)
{
	char	 path[PATH_MAX];
	size_t	 i;

	cleanup();
	for (i = 0; i < sizeof(inc_files) / sizeof(inc_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, inc_files[i].name);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/*
 * Makes a directory for one input, removed once the input is done, so
 * that only a crash leaves one behind (atexit(3) proved unreliable).
 */
static void
make_dir(void)
{
	const char	*base;
	char		 path[PATH_MAX];
	size_t		 i;

	/* tmpfs when there is one: each input is written to a file. */
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/mcgwd-fuzz-conf.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(conf_path, sizeof(conf_path), "%s/%s", dir, FZ_CONF);
	snprintf(round_path, sizeof(round_path), "%s/%s", dir, FZ_ROUND);
	for (i = 0; i < sizeof(inc_files) / sizeof(inc_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, inc_files[i].name);
		write_file(path, inc_files[i].text, strlen(inc_files[i].text));
	}
}

/* Prints conf into a new string. */
static char *
print_str(const struct mcgwd_conf *conf, size_t *len)
{
	FILE	*fp;
	char	*s = NULL;

	if ((fp = open_memstream(&s, len)) == NULL)
		abort();
	print_config(fp, conf);
	if (fclose(fp) != 0)
		abort();
	return s;
}

/* The printed form parses again, to a configuration that prints the same. */
static void
roundtrip(const struct mcgwd_conf *conf)
{
	struct mcgwd_conf	*again;
	char			*s1, *s2;
	size_t			 len1, len2;

	s1 = print_str(conf, &len1);
	write_file(round_path, s1, len1);
	if ((again = parse_config(round_path)) == NULL) {
		fprintf(stderr, "printed form does not parse:\n%s", s1);
		abort();
	}
	s2 = print_str(again, &len2);
	if (len1 != len2 || memcmp(s1, s2, len1) != 0) {
		fprintf(stderr, "printed form prints as:\n%s\nnot as:\n%s",
		    s2, s1);
		abort();
	}
	config_free(again);
	free(s1);
	free(s2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcgwd_conf	*conf;

	make_dir();
	write_file(conf_path, data, size);
	if ((conf = parse_config(conf_path)) != NULL) {
		roundtrip(conf);
		config_free(conf);
	}
	remove_dir();
	return 0;
}
