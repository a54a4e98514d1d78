/*
 * mcgwd.conf(5) parser: a yacc grammar with a hand-written lexer that
 * handles include files, macros, comments, line continuation and
 * quoted strings.  Statements fill struct mcgwd_conf; the checks that
 * need the whole file (ranges against subnets, framed routes, overlaps)
 * run after the grammar, in conf_check().
 */

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "log.h"
#include "mcgw.h"
#include "mcgwd.h"

#define MAXINCLUDE	16	/* include depth, which also stops loops */
#define MAXOPTARGS	64	/* values on one option line */
#define MAXUNGET	8

struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	const char		*name;		/* in the string arena */
	int			 lineno;
	int			 eof_seen;
	int			 unget[MAXUNGET];
	int			 nunget;
};
static TAILQ_HEAD(files, file)	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file		*file, *topfile;
static int			 errors;
static char			 first_error[256];	/* parse_error() */

static void		 parse_warnx(const char *, ...)
			    __attribute__((format(printf, 1, 2)));
static struct file	*pushfile(const char *, const char **);
static int		 popfile(void);
static const char	*file_check(int);
int			 yyparse(void);
int			 yylex(void);
int			 yyerror(const char *, ...)
			    __attribute__((format(printf, 1, 2)));
static int		 kw_cmp(const void *, const void *);
static int		 lookup(const char *);
static int		 lgetc(int);
static void		 lungetc(int);
static int		 findeol(void);

/* Macros: those from the command line (persist) survive each parse. */
struct sym {
	TAILQ_ENTRY(sym)	 entry;
	int			 persist;
	char			*name;
	char			*value;
};
static TAILQ_HEAD(symhead, sym)	 symhead = TAILQ_HEAD_INITIALIZER(symhead);
/*
 * A copy of the macro value being read: the statement it expands to may
 * redefine that same macro and free the original.
 */
static char			*parsebuf;
static char			*parsebuf_copy;	/* owns parsebuf's memory */
static size_t			 parseindex;
static int			 lex_error;	/* ERROR, already logged */

/*
 * What the last syntax error names: the text of the token the parser
 * read last, and the first word of its statement.
 */
static char			 tok_text[64];
static char			 stmt_text[64];
static int			 stmt_first;	/* its first token */
static int			 stmt_count;	/* its tokens read so far */
static int			 stmt_start;	/* the next token begins one */

/*
 * After an error, the rest of the line is dropped quietly, and so is
 * any block that the dropped words opened: "host $undefined {" gives
 * one error, not one for every line of the block.
 */
static int			 skip_line;
static int			 skip_depth;	/* braces open in the drop */

static int		 symset(const char *, const char *, int);
static int		 valid_macro_name(const char *);
static void		 define_macro(const char *, const char *);
static const char	*symget(const char *);
static void		 symclear(void);

/*
 * Every string the lexer returns lives in this arena until
 * parse_config() returns, so that error recovery in the grammar never
 * leaks the strings of the tokens it discards.
 */
struct pstring {
	struct pstring		*next;
	char			 s[];
};
static struct pstring	*pstrings;

static char		*pstrdup(const char *);
static void		 pstrings_free(void);

/*
 * The file and line of each configuration object, for the errors that
 * conf_check() finds after the grammar is done.
 */
struct origin {
	const void		*obj;
	const char		*fname;
	int			 lineno;
};
static struct origin	*origins;
static size_t		 norigins, maxorigins;

static void		 origin_add(const void *);
static void		 conf_warnx(const void *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));

/* What the grammar is filling now. */
static struct mcgwd_conf	*conf;
static struct iface_conf	*cur_iface;
static struct subnet_conf	*cur_subnet;
static struct host_conf		*cur_host;
static unsigned int		 seen_global;	/* SEEN_* bits */
static unsigned int		 seen_subnet;
static unsigned int		 seen_iface_subnet; /* saved over a subnet */
static char			*optargv[MAXOPTARGS];
static int			 optargc;

#define SEEN_STATEDIR		0x01
#define SEEN_UPLINK		0x02
#define SEEN_MODE		0x04
#define SEEN_HOLDDOWN		0x08
#define SEEN_DECLINEHOLD	0x10
#define SEEN_OFFERHOLD		0x20
#define SEEN_NAT		0x40
#define SEEN_LEASETIME		0x01
#define SEEN_MAXLEASETIME	0x02
#define SEEN_MINLEASETIME	0x04
#define SEEN_RAPIDCOMMIT	0x08

static int	 seen_once(unsigned int *, unsigned int, const char *);
static int	 number_in(long long, long long, long long, const char *);
static void	 include_file(const char *);
static void	 set_state_dir(const char *);
static void	 set_uplink(const char *);
static void	 set_mode(const char *);
static void	 set_hold(unsigned int, long long);
static void	 add_framed_route(const char *);
static void	 add_framed_route6(const char *);
static void	 set_nat_ports(long long, long long, long long);
static void	 iface_open(const char *);
static void	 iface_close(void);
static void	 iface_address(const char *);
static struct subnet_conf *subnet_new(void);
static void	 subnet_open(const char *);
static void	 subnet_close(void);
static void	 add_range(const char *, const char *);
static void	 set_lease(unsigned int, long long);
static void	 set_rapid_commit(const char *);
static void	 optarg_add(char *);
static void	 add_named_option(const char *);
static void	 add_raw_option(long long, const char *, int);
static void	 host_open(const char *);
static void	 host_close(void);
static void	 host_hwaddr(const char *);
static void	 host_cid(const char *);
static void	 host_fixed(const char *);
static void	 auth_listen(const char *);
static void	 auth_key(const char *, const char *);
static void	 auth_number(const char *, long long, long long, long long,
		    uint32_t *);
static void	 conf_check(const char *);

typedef struct {
	union {
		long long	 number;
		char		*string;
	} v;
	char	*text;		/* a NUMBER as written, in the string arena */
	int lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

%}

%token	ADDRESS AUTHORISATION CLIENTID CODE DECLINEHOLD FIXEDADDRESS
%token	FRAMEDROUTE FRAMEDROUTE6 NAT PORTRANGE BLOCKSIZE
%token	HARDWAREADDRESS HEX HOLDDOWN HOST INCLUDE INTERFACE KEY
%token	LEASETIME LISTEN MAXLEASETIME MINLEASETIME MODE OFFERHOLD ON OPTION
%token	RANGE RAPIDCOMMIT SERVICEID STATEDIR SUBNET UPLINK
%token	BINDINGLIFETIME BURST HISTORYRETENTION PORT RATE SKEW
%token	ERROR
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.string>	string

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar error '\n'		{ yyerrok; }
		;

include		: INCLUDE STRING		{ include_file($2); }
		;

varset		: STRING '=' string		{ define_macro($1, $3); }
		;

/* A value that may also be written as digits only, such as hex 10. */
string		: STRING
		| NUMBER			{ $$ = $<text>1; }
		;

main		: STATEDIR STRING		{ set_state_dir($2); }
		| UPLINK STRING			{ set_uplink($2); }
		| MODE STRING			{ set_mode($2); }
		| MODE NAT			{ set_mode("nat"); }
		| FRAMEDROUTE STRING		{ add_framed_route($2); }
		| FRAMEDROUTE6 STRING		{ add_framed_route6($2); }
		| NAT PORTRANGE NUMBER NUMBER BLOCKSIZE NUMBER {
			set_nat_ports($3, $4, $6);
		}
		| HOLDDOWN NUMBER		{ set_hold(SEEN_HOLDDOWN, $2); }
		| DECLINEHOLD NUMBER		{
			set_hold(SEEN_DECLINEHOLD, $2);
		}
		| OFFERHOLD NUMBER		{
			set_hold(SEEN_OFFERHOLD, $2);
		}
		| INTERFACE STRING		{ iface_open($2); }
		    '{' optnl ifaceopts_l '}'	{ iface_close(); }
		| AUTHORISATION '{'		{ conf->auth_block = 1; }
		    optnl authopts_l '}'
		;

ifaceopts_l	: /* empty */
		| ifaceopts_l ifaceopt nl
		| ifaceopts_l error nl		{ yyerrok; }
		;

ifaceopt	: ADDRESS STRING		{ iface_address($2); }
		| SUBNET STRING			{ subnet_open($2); }
		    '{' optnl subnetopts_l '}'	{ subnet_close(); }
		| subnetopt
		;

subnetopts_l	: /* empty */
		| subnetopts_l subnetopt nl
		| subnetopts_l error nl		{ yyerrok; }
		;

subnetopt	: RANGE STRING STRING		{ add_range($2, $3); }
		| LEASETIME NUMBER		{
			set_lease(SEEN_LEASETIME, $2);
		}
		| MAXLEASETIME NUMBER		{
			set_lease(SEEN_MAXLEASETIME, $2);
		}
		| MINLEASETIME NUMBER		{
			set_lease(SEEN_MINLEASETIME, $2);
		}
		| RAPIDCOMMIT STRING		{ set_rapid_commit($2); }
		| OPTION STRING optvalues	{ add_named_option($2); }
		| OPTION CODE NUMBER HEX string	{ add_raw_option($3, $5, 1); }
		| OPTION CODE NUMBER string	{ add_raw_option($3, $4, 0); }
		| OPTION NUMBER HEX string	{ add_raw_option($2, $4, 1); }
		| OPTION NUMBER string		{ add_raw_option($2, $3, 0); }
		| HOST string			{ host_open($2); }
		    '{' optnl hostopts_l '}'	{ host_close(); }
		;

optvalues	: string			{
			optargc = 0;
			optarg_add($1);
		}
		| optvalues string		{ optarg_add($2); }
		;

hostopts_l	: /* empty */
		| hostopts_l hostopt nl
		| hostopts_l error nl		{ yyerrok; }
		;

hostopt		: HARDWAREADDRESS STRING	{ host_hwaddr($2); }
		| CLIENTID STRING		{ host_cid($2); }
		| FIXEDADDRESS STRING		{ host_fixed($2); }
		;

authopts_l	: /* empty */
		| authopts_l authopt nl
		| authopts_l error nl		{ yyerrok; }
		;

authopt		: LISTEN ON STRING		{ auth_listen($3); }
		| SERVICEID string KEY STRING	{ auth_key($2, $4); }
		| PORT NUMBER			{
			uint32_t	 v = conf->auth_port;

			auth_number("port", $2, 1, 65535, &v);
			conf->auth_port = v;
		}
		| SKEW NUMBER			{
			auth_number("skew", $2, 1, 3600, &conf->auth_skew);
		}
		| BINDINGLIFETIME NUMBER	{
			auth_number("binding-lifetime", $2, 10, 31536000,
			    &conf->auth_lifetime);
		}
		| HISTORYRETENTION NUMBER	{
			uint32_t	 v = DEFAULT_AUTH_RETENTION;

			auth_number("history-retention", $2, 1, 36500, &v);
			conf->auth_retention = (int64_t)v * 86400;
		}
		| RATE NUMBER BURST NUMBER	{
			auth_number("rate", $2, 1, 100000, &conf->auth_rate);
			auth_number("burst", $4, 1, 100000,
			    &conf->auth_burst);
		}
		;

optnl		: '\n' optnl
		| /* empty */
		;

nl		: '\n' optnl
		;

%%

/*
 * Lexer and file stack.
 */

struct keyword {
	const char	*name;
	int		 token;
};

/*
 * Writes the parser's "syntax error" with the word that caused it, and
 * starts dropping the rest of the line.
 */
static void
syntax_error(char *msg, size_t size)
{
	if (yychar == 0) {
		snprintf(msg, size, "syntax error at end of file");
		return;
	}
	if (yychar == '\n') {
		snprintf(msg, size, "syntax error at end of line");
		return;
	}
	skip_line = 1;
	skip_depth = yychar == '{';
	/* A statement must begin with a keyword or "name =". */
	if (stmt_first == STRING && (stmt_count == 1 ||
	    (stmt_count == 2 && yychar != '=')))
		snprintf(msg, size, "unknown keyword \"%s\"", stmt_text);
	else
		snprintf(msg, size, "syntax error near \"%s\"", tok_text);
}

int
yyerror(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	/* The lexer has already said what is wrong with the ERROR token. */
	if (lex_error && strcmp(fmt, "syntax error") == 0) {
		lex_error = 0;
		return 0;
	}
	errors++;
	/* On what is dropped after an error, one error was enough. */
	if (skip_line)
		return 0;
	if (strcmp(fmt, "syntax error") == 0)
		syntax_error(msg, sizeof(msg));
	else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	parse_warnx("%s:%d: %s", file->name, yylval.lineno, msg);
	return 0;
}

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

static int
lookup(const char *s)
{
	/* Sorted by name for bsearch(3). */
	static const struct keyword keywords[] = {
		{ "address",		ADDRESS },
		{ "authorisation",	AUTHORISATION },
		{ "binding-lifetime",	BINDINGLIFETIME },
		{ "block-size",		BLOCKSIZE },
		{ "burst",		BURST },
		{ "client-identifier",	CLIENTID },
		{ "code",		CODE },
		{ "decline-hold",	DECLINEHOLD },
		{ "fixed-address",	FIXEDADDRESS },
		{ "framed-route",	FRAMEDROUTE },
		{ "framed-route6",	FRAMEDROUTE6 },
		{ "hardware-address",	HARDWAREADDRESS },
		{ "hex",		HEX },
		{ "history-retention",	HISTORYRETENTION },
		{ "hold-down",		HOLDDOWN },
		{ "host",		HOST },
		{ "include",		INCLUDE },
		{ "interface",		INTERFACE },
		{ "key",		KEY },
		{ "lease-time",		LEASETIME },
		{ "listen",		LISTEN },
		{ "max-lease-time",	MAXLEASETIME },
		{ "min-lease-time",	MINLEASETIME },
		{ "mode",		MODE },
		{ "nat",		NAT },
		{ "offer-hold",		OFFERHOLD },
		{ "on",			ON },
		{ "option",		OPTION },
		{ "port",		PORT },
		{ "port-range",		PORTRANGE },
		{ "range",		RANGE },
		{ "rapid-commit",	RAPIDCOMMIT },
		{ "rate",		RATE },
		{ "service-id",		SERVICEID },
		{ "skew",		SKEW },
		{ "state-directory",	STATEDIR },
		{ "subnet",		SUBNET },
		{ "uplink",		UPLINK }
	};
	const struct keyword	*p;

	p = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return p != NULL ? p->token : STRING;
}

/*
 * Returns the next character of the input: the macro being expanded
 * first, then pushed-back characters, then the file.  The character
 * after "$name" is pushed back before the expansion starts, so it
 * follows the macro's value.  Outside quotes, a backslash before a
 * newline joins the two lines.  At the end of a file it returns one
 * extra '\n', so that a last line without a newline still ends its
 * statement, and then goes on in the including file.
 */
static int
lgetc(int quotec)
{
	int	 c, next;

	if (parsebuf != NULL) {
		if (parsebuf[parseindex] != '\0')
			return (unsigned char)parsebuf[parseindex++];
		parsebuf = NULL;
	}

	if (file->nunget > 0)
		return file->unget[--file->nunget];

	c = getc(file->stream);
	while (quotec == 0 && c == '\\') {
		next = getc(file->stream);
		if (next != '\n') {
			ungetc(next, file->stream);
			break;
		}
		file->lineno++;
		c = getc(file->stream);
	}
	if (c != EOF || quotec != 0)
		return c;

	if (!file->eof_seen) {
		file->eof_seen = 1;
		return '\n';
	}
	if (popfile() == EOF)
		return EOF;
	return lgetc(quotec);
}

static void
lungetc(int c)
{
	if (c == EOF)
		return;
	/* While a macro is being read, c came from its value. */
	if (parsebuf != NULL && parseindex > 0) {
		parseindex--;
		return;
	}
	if (file->nunget >= MAXUNGET)
		fatalx("%s: pushback buffer full", __func__);
	file->unget[file->nunget++] = c;
}

/*
 * Skips the rest of a bad line; the grammar recovers at its newline.
 * Braces opened on the skipped part make yylex() drop their block too.
 */
static int
findeol(void)
{
	int	 c, quotec = 0;

	lex_error = 1;
	parsebuf = NULL;
	for (;;) {
		c = lgetc(quotec);
		if (c == '\n' || c == EOF) {
			lungetc(c);
			break;
		}
		if (quotec != 0) {
			if (c == quotec)
				quotec = 0;
		} else if (c == '"' || c == '\'')
			quotec = c;
		else if (c == '{')
			skip_depth++;
		else if (c == '}' && skip_depth > 0)
			skip_depth--;
	}
	skip_line = 1;
	return ERROR;
}

static int
in_word(int c)
{
	if (isalnum(c))
		return 1;
	return ispunct(c) && c != '{' && c != '}' && c != '=' &&
	    c != '#' && c != '"' && c != '\'' && c != '$' && c != ';' &&
	    c != ',';
}

static int
lex_quoted(int quotec, char *buf, size_t size)
{
	char	*p = buf;
	int	 c, next;

	for (;;) {
		if ((c = lgetc(quotec)) == EOF || c == '\n') {
			yyerror("unterminated quoted string");
			lungetc(c);
			return findeol();
		}
		if (c == quotec)
			break;
		if (c == '\\') {
			next = lgetc(quotec);
			if (next == quotec || next == '\\')
				c = next;
			else
				lungetc(next);
		}
		if (iscntrl(c) && c != '\t') {
			yyerror("invalid character 0x%02x in quoted string",
			    c);
			return findeol();
		}
		if (p + 1 >= buf + size) {
			yyerror("string too long");
			return findeol();
		}
		*p++ = c;
	}
	*p = '\0';
	strlcpy(tok_text, buf, sizeof(tok_text));
	yylval.v.string = pstrdup(buf);
	return STRING;
}

/* A word of digits, with an optional '-' first, is a NUMBER. */
static int
lex_word(int c, char *buf, size_t size)
{
	char		*p = buf;
	const char	*errstr;
	int		 token, digits = 1;

	do {
		if (!isdigit(c) && !(c == '-' && p == buf))
			digits = 0;
		if (p + 1 >= buf + size) {
			yyerror("string too long");
			return findeol();
		}
		*p++ = c;
	} while ((c = lgetc(0)) != EOF && in_word(c));
	lungetc(c);
	*p = '\0';
	strlcpy(tok_text, buf, sizeof(tok_text));

	if (digits && strcmp(buf, "-") != 0) {
		/* Negative too, so that the range check names the value. */
		yylval.v.number = strtonum(buf, LLONG_MIN, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			yyerror("number %s is %s", buf, errstr);
			return findeol();
		}
		yylval.text = pstrdup(buf);
		return NUMBER;
	}
	if ((token = lookup(buf)) == STRING)
		yylval.v.string = pstrdup(buf);
	return token;
}

/* Replaces "$name" with the macro's value, read before the file. */
static int
lex_macro(char *buf, size_t size)
{
	char		*p = buf;
	const char	*val;
	int		 c;

	while ((c = lgetc(0)) != EOF && (isalnum(c) || c == '_')) {
		if (p + 1 >= buf + size) {
			yyerror("macro name too long");
			return findeol();
		}
		*p++ = c;
	}
	lungetc(c);
	*p = '\0';
	if (p == buf) {
		yyerror("missing macro name after '$'");
		return findeol();
	}
	if ((val = symget(buf)) == NULL) {
		yyerror("macro '%s' not defined", buf);
		return findeol();
	}
	free(parsebuf_copy);
	if ((parsebuf_copy = strdup(val)) == NULL)
		fatal("%s: strdup", __func__);
	parsebuf = parsebuf_copy;
	parseindex = 0;
	return 0;
}

static int
lex_token(void)
{
	char	 buf[8192];
	int	 c, token;

 top:
	lex_error = 0;
	while ((c = lgetc(0)) == ' ' || c == '\t')
		;
	yylval.lineno = file->lineno;

	if (c == '#')
		while ((c = lgetc(0)) != '\n' && c != EOF)
			;
	if (c == '$' && parsebuf == NULL) {
		if ((token = lex_macro(buf, sizeof(buf))) != 0)
			return token;
		goto top;
	}
	if (c == '"' || c == '\'')
		return lex_quoted(c, buf, sizeof(buf));
	if (c != EOF && in_word(c))
		return lex_word(c, buf, sizeof(buf));
	/* A NUL would be taken for the end of the input. */
	if (c == '\0') {
		yyerror("invalid character 0x00");
		return findeol();
	}
	/* The newline that lgetc() adds at the end of a file is no line. */
	if (c == '\n' && !file->eof_seen)
		file->lineno++;
	if (c == EOF)
		return 0;
	tok_text[0] = c;
	tok_text[1] = '\0';
	return c;
}

/* Drops tokens while skip_line is set; see findeol(). */
static int
lex_skip(int token)
{
	if (token == 0) {
		skip_line = skip_depth = 0;
		return 0;
	}
	if (token == '{')
		skip_depth++;
	else if (token == '}' && skip_depth > 0)
		skip_depth--;
	else if (token == '\n' && skip_depth == 0) {
		skip_line = 0;
		return 0;
	}
	return 1;
}

int
yylex(void)
{
	int	 token, skipping;

	do {
		skipping = skip_line;
		token = lex_token();
	} while (skipping && lex_skip(token));

	if (stmt_start && token != '\n') {
		stmt_first = token;
		stmt_count = 0;
		strlcpy(stmt_text, tok_text, sizeof(stmt_text));
	}
	stmt_count++;
	stmt_start = token == '\n';
	return token;
}

/* Returns why a configuration file must not be read, or NULL. */
static const char *
file_check(int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	/* Anyone who may write the file could reconfigure the gateway. */
	if (st.st_mode & S_IWOTH)
		return "writable by others";
	if (st.st_uid != 0 && st.st_uid != getuid())
		return "owned by neither root nor the current user";
	return NULL;
}

/*
 * Opens a configuration file and makes it the current one.  A relative
 * include path is taken from the directory of the including file.
 */
static struct file *
pushfile(const char *name, const char **errstr)
{
	struct file	*nfile;
	const char	*slash;
	char		 path[PATH_MAX];
	int		 fd, n;

	if (name[0] != '/' && file != NULL &&
	    (slash = strrchr(file->name, '/')) != NULL) {
		n = snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			*errstr = "path too long";
			return NULL;
		}
	} else if (strlcpy(path, name, sizeof(path)) >= sizeof(path)) {
		*errstr = "path too long";
		return NULL;
	}

	/* O_NONBLOCK: a FIFO must not block the open before the check. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		*errstr = strerror(errno);
		return NULL;
	}
	if ((*errstr = file_check(fd)) != NULL) {
		close(fd);
		return NULL;
	}
	if ((nfile = calloc(1, sizeof(*nfile))) == NULL)
		fatal("%s", __func__);
	if (fcntl(fd, F_SETFL, 0) == -1 ||
	    (nfile->stream = fdopen(fd, "r")) == NULL) {
		*errstr = strerror(errno);
		close(fd);
		free(nfile);
		return NULL;
	}
	nfile->name = pstrdup(path);
	nfile->lineno = 1;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	file = nfile;
	return nfile;
}

static int
popfile(void)
{
	struct file	*prev;

	if ((prev = TAILQ_PREV(file, files, entry)) == NULL)
		return EOF;
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file);
	file = prev;
	return 0;
}

static void
include_file(const char *name)
{
	struct file	*f;
	const char	*errstr;
	int		 depth = 0;

	TAILQ_FOREACH(f, &files, entry)
		depth++;
	if (depth >= MAXINCLUDE) {
		yyerror("include \"%s\": more than %d files deep", name,
		    MAXINCLUDE);
		return;
	}
	if (pushfile(name, &errstr) == NULL) {
		yyerror("include \"%s\": %s", name, errstr);
		return;
	}
	/*
	 * The grammar expects the include statement's newline now.  Line 0
	 * ends with it, so the file's first line is still line 1.
	 */
	file->lineno = 0;
	lungetc('\n');
}

/*
 * Macros.
 */

static int
symset(const char *name, const char *value, int persist)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(sym->name, name) == 0)
			break;
	if (sym != NULL) {
		/* A definition given on the command line wins. */
		if (sym->persist && !persist)
			return 0;
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->name);
		free(sym->value);
		free(sym);
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL)
		return -1;
	if ((sym->name = strdup(name)) == NULL ||
	    (sym->value = strdup(value)) == NULL) {
		free(sym->name);
		free(sym);
		return -1;
	}
	sym->persist = persist;
	TAILQ_INSERT_TAIL(&symhead, sym, entry);
	return 0;
}

static int
valid_macro_name(const char *name)
{
	const char	*p;

	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return p != name;
}

static void
define_macro(const char *name, const char *value)
{
	if (!valid_macro_name(name))
		yyerror("invalid macro name \"%s\": only letters, digits "
		    "and '_' allowed", name);
	else if (symset(name, value, 0) == -1)
		fatal("%s: symset", __func__);
}

static const char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(sym->name, name) == 0)
			return sym->value;
	return NULL;
}

/* Forgets the macros of the last file, keeping the command line's. */
static void
symclear(void)
{
	struct sym	*sym, *next;

	TAILQ_FOREACH_SAFE(sym, &symhead, entry, next) {
		if (sym->persist)
			continue;
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->name);
		free(sym->value);
		free(sym);
	}
}

int
cmdline_symset(char *s)
{
	char	*name, *eq;
	int	 ret;

	if ((eq = strchr(s, '=')) == NULL || eq == s)
		return -1;
	if ((name = strndup(s, eq - s)) == NULL)
		return -1;
	ret = valid_macro_name(name) ? symset(name, eq + 1, 1) : -1;
	free(name);
	return ret;
}

/*
 * String arena and object origins.
 */

static char *
pstrdup(const char *s)
{
	struct pstring	*ps;
	size_t		 len = strlen(s) + 1;

	if ((ps = malloc(sizeof(*ps) + len)) == NULL)
		fatal("%s", __func__);
	memcpy(ps->s, s, len);
	ps->next = pstrings;
	pstrings = ps;
	return ps->s;
}

static void
pstrings_free(void)
{
	struct pstring	*ps;

	while ((ps = pstrings) != NULL) {
		pstrings = ps->next;
		free(ps);
	}
}

static void
origin_add(const void *obj)
{
	struct origin	*o;
	size_t		 n;

	if (norigins == maxorigins) {
		n = maxorigins == 0 ? 64 : maxorigins * 2;
		if ((o = reallocarray(origins, n, sizeof(*o))) == NULL)
			fatal("%s", __func__);
		origins = o;
		maxorigins = n;
	}
	o = &origins[norigins++];
	o->obj = obj;
	o->fname = file->name;
	o->lineno = yylval.lineno;
}

/* Logs an error about obj at the place it was declared. */
static void
conf_warnx(const void *obj, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];
	size_t	 i;

	errors++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* The newest entry: a freed object's address may be reused. */
	for (i = norigins; i > 0; i--)
		if (origins[i - 1].obj == obj) {
			parse_warnx("%s:%d: %s", origins[i - 1].fname,
			    origins[i - 1].lineno, msg);
			return;
		}
	parse_warnx("%s: %s", topfile->name, msg);
}

/*
 * Values.
 */

static int
seen_once(unsigned int *seen, unsigned int bit, const char *what)
{
	if (*seen & bit) {
		yyerror("%s given twice", what);
		return 0;
	}
	*seen |= bit;
	return 1;
}

static int
number_in(long long v, long long min, long long max, const char *what)
{
	if (v < min || v > max) {
		yyerror("invalid %s %lld: must be between %lld and %lld",
		    what, v, min, max);
		return 0;
	}
	return 1;
}

static int
parse_ipv4(const char *s, struct in_addr *addr, const char *what)
{
	if (inet_pton(AF_INET, s, addr) != 1) {
		yyerror("invalid %s \"%s\": expected an IPv4 address", what,
		    s);
		return 0;
	}
	return 1;
}

static uint32_t
prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffU << (32 - len);
}

/* Parses "A/len"; the length must be given. */
static int
parse_prefix(const char *s, struct in_addr *addr, uint8_t *len,
    int minlen, int maxlen, const char *what)
{
	char		 buf[INET_ADDRSTRLEN];
	const char	*slash, *errstr;
	long long	 n;

	if ((slash = strchr(s, '/')) == NULL) {
		yyerror("%s \"%s\": missing prefix length (A.B.C.D/len)",
		    what, s);
		return 0;
	}
	if ((size_t)(slash - s) >= sizeof(buf)) {
		yyerror("invalid %s \"%s\"", what, s);
		return 0;
	}
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (!parse_ipv4(buf, addr, what))
		return 0;
	n = strtonum(slash + 1, minlen, maxlen, &errstr);
	if (errstr != NULL) {
		yyerror("%s \"%s\": prefix length is %s (%d to %d)", what, s,
		    errstr, minlen, maxlen);
		return 0;
	}
	*len = n;
	return 1;
}

static int
host_bits_clear(struct in_addr addr, uint8_t len, const char *what,
    const char *s)
{
	if ((ntohl(addr.s_addr) & ~prefix_mask(len)) != 0) {
		yyerror("%s %s has host bits set", what, s);
		return 0;
	}
	return 1;
}

/* Returns the number of bytes, or -1; "0a:0b" and "0a0b" both work. */
static int
parse_hex(const char *s, uint8_t *out, size_t size)
{
	size_t	 n = 0;
	int	 hi, lo;

	while (*s != '\0') {
		if (n > 0 && *s == ':')
			s++;
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) || n >= size)
			return -1;
		hi = isdigit((unsigned char)s[0]) ? s[0] - '0' :
		    tolower((unsigned char)s[0]) - 'a' + 10;
		lo = isdigit((unsigned char)s[1]) ? s[1] - '0' :
		    tolower((unsigned char)s[1]) - 'a' + 10;
		out[n++] = hi << 4 | lo;
		s += 2;
	}
	return n;
}

static int
valid_ifname(const char *name)
{
	const char	*p;

	if (name[0] == '\0' || strlen(name) >= IF_NAMESIZE) {
		yyerror("invalid interface name \"%s\": 1 to %d characters",
		    name, IF_NAMESIZE - 1);
		return 0;
	}
	for (p = name; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p) || *p == '/') {
			yyerror("invalid interface name \"%s\"", name);
			return 0;
		}
	return 1;
}

/*
 * Global statements.
 */

static void
set_state_dir(const char *s)
{
	if (!seen_once(&seen_global, SEEN_STATEDIR, "state-directory"))
		return;
	if (s[0] != '/') {
		yyerror("state-directory \"%s\" is not an absolute path", s);
		return;
	}
	if (strlcpy(conf->state_dir, s, sizeof(conf->state_dir)) >=
	    sizeof(conf->state_dir))
		yyerror("state-directory too long: at most %zu bytes",
		    sizeof(conf->state_dir) - 1);
}

static void
set_uplink(const char *s)
{
	if (seen_once(&seen_global, SEEN_UPLINK, "uplink") &&
	    valid_ifname(s))
		strlcpy(conf->uplink, s, sizeof(conf->uplink));
}

static void
set_mode(const char *s)
{
	if (!seen_once(&seen_global, SEEN_MODE, "mode"))
		return;
	if (strcmp(s, "routed") == 0)
		conf->mode = MODE_ROUTED;
	else if (strcmp(s, "nat") == 0)
		conf->mode = MODE_NAT;
	else
		yyerror("invalid mode \"%s\": expected routed or nat", s);
}

static void
set_hold(unsigned int which, long long v)
{
	switch (which) {
	case SEEN_HOLDDOWN:
		if (seen_once(&seen_global, which, "hold-down") &&
		    number_in(v, 0, INT32_MAX, "hold-down"))
			conf->hold_down = v;
		break;
	case SEEN_DECLINEHOLD:
		if (seen_once(&seen_global, which, "decline-hold") &&
		    number_in(v, 0, INT32_MAX, "decline-hold"))
			conf->decline_hold = v;
		break;
	case SEEN_OFFERHOLD:
		if (seen_once(&seen_global, which, "offer-hold") &&
		    number_in(v, 1, 86400, "offer-hold"))
			conf->offer_hold = v;
		break;
	}
}

static void
add_framed_route(const char *s)
{
	struct prefix4	 p;
	int		 i;
	size_t		 max = sizeof(conf->framed_routes) /
			    sizeof(conf->framed_routes[0]);

	if (!parse_prefix(s, &p.addr, &p.prefixlen, 1, 32, "framed-route") ||
	    !host_bits_clear(p.addr, p.prefixlen, "framed-route", s))
		return;
	for (i = 0; i < conf->nframed_routes; i++)
		if (conf->framed_routes[i].addr.s_addr == p.addr.s_addr &&
		    conf->framed_routes[i].prefixlen == p.prefixlen) {
			yyerror("framed-route %s given twice", s);
			return;
		}
	if ((size_t)conf->nframed_routes >= max) {
		yyerror("too many framed-route statements: at most %zu", max);
		return;
	}
	conf->framed_routes[conf->nframed_routes++] = p;
}

static void
add_framed_route6(const char *s)
{
	struct prefix6	 p;
	char		 buf[INET6_ADDRSTRLEN];
	const char	*slash, *errstr;
	int		 i, bits;
	size_t		 max = sizeof(conf->framed_routes6) /
			    sizeof(conf->framed_routes6[0]);

	if ((slash = strchr(s, '/')) == NULL ||
	    (size_t)(slash - s) >= sizeof(buf)) {
		yyerror("framed-route6 \"%s\": expected ADDRESS/len", s);
		return;
	}
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	memset(&p, 0, sizeof(p));
	if (inet_pton(AF_INET6, buf, &p.addr) != 1) {
		yyerror("framed-route6 \"%s\": invalid IPv6 address", s);
		return;
	}
	p.prefixlen = strtonum(slash + 1, 1, 128, &errstr);
	if (errstr != NULL) {
		yyerror("framed-route6 \"%s\": prefix length is %s (1 to "
		    "128)", s, errstr);
		return;
	}
	for (bits = p.prefixlen; bits < 128; bits++)
		if (p.addr.s6_addr[bits / 8] & (0x80 >> (bits % 8))) {
			yyerror("framed-route6 %s has host bits set", s);
			return;
		}
	for (i = 0; i < conf->nframed_routes6; i++)
		if (conf->framed_routes6[i].prefixlen == p.prefixlen &&
		    memcmp(&conf->framed_routes6[i].addr, &p.addr,
		    sizeof(p.addr)) == 0) {
			yyerror("framed-route6 %s given twice", s);
			return;
		}
	if ((size_t)conf->nframed_routes6 >= max) {
		yyerror("too many framed-route6 statements: at most %zu", max);
		return;
	}
	conf->framed_routes6[conf->nframed_routes6++] = p;
}

/*
 * The ports above the last block are the fallback masquerade's, so at
 * least NAT_MASQ_MIN_PORTS of them must remain.
 */
static void
set_nat_ports(long long first, long long last, long long size)
{
	if (!seen_once(&seen_global, SEEN_NAT, "nat port-range"))
		return;
	if (!number_in(first, 1024, 65535 - NAT_MASQ_MIN_PORTS,
	    "nat port-range first port") ||
	    !number_in(last, first, 65535 - NAT_MASQ_MIN_PORTS,
	    "nat port-range last port") ||
	    !number_in(size, 1, last - first + 1, "nat block-size"))
		return;
	conf->nat_port_first = first;
	conf->nat_port_last = last;
	conf->nat_block_size = size;
}

/*
 * Interface, subnet and host blocks.
 */

static struct subnet_conf *
subnet_new(void)
{
	struct subnet_conf	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("%s", __func__);
	s->lease_time = DEFAULT_LEASE_TIME;
	s->max_lease_time = DEFAULT_MAX_LEASE_TIME;
	s->min_lease_time = DEFAULT_MIN_LEASE_TIME;
	TAILQ_INIT(&s->ranges);
	TAILQ_INIT(&s->options);
	TAILQ_INIT(&s->hosts);
	return s;
}

static void
iface_open(const char *name)
{
	struct iface_conf	*i;

	if (valid_ifname(name)) {
		TAILQ_FOREACH(i, &conf->ifaces, entry)
			if (strcmp(i->name, name) == 0) {
				yyerror("interface \"%s\" declared twice",
				    name);
				break;
			}
	}
	if ((cur_iface = calloc(1, sizeof(*cur_iface))) == NULL)
		fatal("%s", __func__);
	strlcpy(cur_iface->name, name, sizeof(cur_iface->name));
	TAILQ_INIT(&cur_iface->subnets);
	TAILQ_INSERT_TAIL(&conf->ifaces, cur_iface, entry);
	origin_add(cur_iface);

	/* The interface's own subnet, whose prefix the address sets. */
	cur_subnet = subnet_new();
	TAILQ_INSERT_TAIL(&cur_iface->subnets, cur_subnet, entry);
	origin_add(cur_subnet);
	seen_subnet = 0;
}

static void
iface_close(void)
{
	cur_iface = NULL;
	cur_subnet = NULL;
}

static void
iface_address(const char *s)
{
	struct subnet_conf	*own = TAILQ_FIRST(&cur_iface->subnets);
	struct in_addr		 addr;
	uint8_t			 len;
	uint32_t		 a, mask;

	if (own->prefixlen != 0) {
		yyerror("address given twice");
		return;
	}
	/* A DHCP subnet needs room for a network and broadcast address. */
	if (!parse_prefix(s, &addr, &len, 1, 30, "address"))
		return;
	a = ntohl(addr.s_addr);
	mask = prefix_mask(len);
	if ((a & ~mask) == 0 || (a & ~mask) == ~mask) {
		yyerror("address %s is the network or broadcast address", s);
		return;
	}
	cur_iface->addr = addr;
	cur_iface->prefixlen = len;
	own->network.s_addr = htonl(a & mask);
	own->prefixlen = len;
	origin_add(own);
}

static void
subnet_open(const char *s)
{
	struct subnet_conf	*sub;
	struct in_addr		 net = { INADDR_ANY };
	uint8_t			 len = 0;

	if (parse_prefix(s, &net, &len, 1, 30, "subnet") &&
	    !host_bits_clear(net, len, "subnet", s))
		len = 0;
	sub = subnet_new();
	sub->network = net;
	sub->prefixlen = len;
	sub->relayed = 1;
	TAILQ_INSERT_TAIL(&cur_iface->subnets, sub, entry);
	origin_add(sub);
	cur_subnet = sub;
	seen_iface_subnet = seen_subnet;
	seen_subnet = 0;
}

static void
subnet_close(void)
{
	cur_subnet = TAILQ_FIRST(&cur_iface->subnets);
	seen_subnet = seen_iface_subnet;
}

static void
add_range(const char *from, const char *to)
{
	struct range_conf	*r;
	struct in_addr		 start, end;

	if (!parse_ipv4(from, &start, "range start") ||
	    !parse_ipv4(to, &end, "range end"))
		return;
	if (ntohl(start.s_addr) > ntohl(end.s_addr)) {
		yyerror("range %s %s: start is above end", from, to);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	r->start = start;
	r->end = end;
	TAILQ_INSERT_TAIL(&cur_subnet->ranges, r, entry);
	origin_add(r);
}

static void
set_lease(unsigned int which, long long v)
{
	switch (which) {
	case SEEN_LEASETIME:
		if (seen_once(&seen_subnet, which, "lease-time") &&
		    number_in(v, 1, INT32_MAX, "lease-time"))
			cur_subnet->lease_time = v;
		break;
	case SEEN_MAXLEASETIME:
		if (seen_once(&seen_subnet, which, "max-lease-time") &&
		    number_in(v, 1, INT32_MAX, "max-lease-time"))
			cur_subnet->max_lease_time = v;
		break;
	case SEEN_MINLEASETIME:
		if (seen_once(&seen_subnet, which, "min-lease-time") &&
		    number_in(v, 1, INT32_MAX, "min-lease-time"))
			cur_subnet->min_lease_time = v;
		break;
	}
}

static void
set_rapid_commit(const char *s)
{
	if (!seen_once(&seen_subnet, SEEN_RAPIDCOMMIT, "rapid-commit"))
		return;
	if (strcmp(s, "yes") == 0)
		cur_subnet->rapid_commit = 1;
	else if (strcmp(s, "no") == 0)
		cur_subnet->rapid_commit = 0;
	else
		yyerror("invalid rapid-commit \"%s\": expected yes or no", s);
}

static void
host_open(const char *name)
{
	struct host_conf	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("%s", __func__);
	if (name[0] == '\0' || strlcpy(h->host.name, name,
	    sizeof(h->host.name)) >= sizeof(h->host.name))
		yyerror("invalid host name \"%s\": 1 to %zu bytes", name,
		    sizeof(h->host.name) - 1);
	TAILQ_INSERT_TAIL(&cur_subnet->hosts, h, entry);
	origin_add(h);
	cur_host = h;
}

static void
host_close(void)
{
	if (cur_host->host.htype == 0 && cur_host->host.cidlen == 0)
		conf_warnx(cur_host, "host \"%s\": missing hardware-address "
		    "or client-identifier", cur_host->host.name);
	if (cur_host->host.fixed_addr.s_addr == INADDR_ANY)
		conf_warnx(cur_host, "host \"%s\": missing fixed-address",
		    cur_host->host.name);
	cur_host = NULL;
}

static void
host_hwaddr(const char *s)
{
	struct imsg_host	*h = &cur_host->host;
	uint8_t			 mac[6];

	if (h->htype != 0 || h->cidlen != 0) {
		yyerror("host \"%s\": only one hardware-address or "
		    "client-identifier allowed", h->name);
		return;
	}
	if (strlen(s) != 17 || parse_hex(s, mac, sizeof(mac)) != 6) {
		yyerror("invalid hardware-address \"%s\": expected "
		    "xx:xx:xx:xx:xx:xx", s);
		return;
	}
	/* The group bit: no client has a multicast address. */
	if (mac[0] & 0x01) {
		yyerror("hardware-address %s is a multicast address", s);
		return;
	}
	h->htype = 1;		/* RFC 1700: Ethernet */
	h->hlen = sizeof(mac);
	memcpy(h->hwaddr, mac, sizeof(mac));
}

static void
host_cid(const char *s)
{
	struct imsg_host	*h = &cur_host->host;
	int			 n;

	if (h->htype != 0 || h->cidlen != 0) {
		yyerror("host \"%s\": only one hardware-address or "
		    "client-identifier allowed", h->name);
		return;
	}
	/* RFC 2132 9.14: the client identifier is at least 2 octets. */
	if ((n = parse_hex(s, h->cid, sizeof(h->cid))) < 2) {
		yyerror("invalid client-identifier \"%s\": expected 2 to %zu "
		    "bytes in hex", s, sizeof(h->cid));
		return;
	}
	h->cidlen = n;
}

static void
host_fixed(const char *s)
{
	struct imsg_host	*h = &cur_host->host;
	struct in_addr		 addr;

	if (h->fixed_addr.s_addr != INADDR_ANY) {
		yyerror("host \"%s\": fixed-address given twice", h->name);
		return;
	}
	if (!parse_ipv4(s, &addr, "fixed-address"))
		return;
	if (addr.s_addr == INADDR_ANY) {
		yyerror("invalid fixed-address %s", s);
		return;
	}
	h->fixed_addr = addr;
}

/*
 * DHCPv4 options.
 */

static const struct option_def option_defs[] = {
	{ "subnet-mask",	  1, OPTION_TYPE_REJECT },
	{ "routers",		  3, OPTION_TYPE_IPLIST },
	{ "domain-name-servers",  6, OPTION_TYPE_IPLIST },
	{ "host-name",		 12, OPTION_TYPE_REJECT },
	{ "domain-name",	 15, OPTION_TYPE_DOMAIN },
	{ "interface-mtu",	 26, OPTION_TYPE_MTU },
	{ "broadcast-address",	 28, OPTION_TYPE_IP },
	{ "ntp-servers",	 42, OPTION_TYPE_IPLIST },
	{ "domain-search",	119, OPTION_TYPE_DOMAINLIST }
};
#define NOPTION_DEFS	(sizeof(option_defs) / sizeof(option_defs[0]))

const struct option_def *
option_def_bycode(uint8_t code)
{
	size_t	 i;

	for (i = 0; i < NOPTION_DEFS; i++)
		if (option_defs[i].code == code)
			return &option_defs[i];
	return NULL;
}

static const struct option_def *
option_def_byname(const char *name)
{
	size_t	 i;

	for (i = 0; i < NOPTION_DEFS; i++)
		if (strcmp(option_defs[i].name, name) == 0)
			return &option_defs[i];
	return NULL;
}

/*
 * Options that the engine sets for each message or client, or that
 * only a client or relay sends: configuring them would conflict.
 */
static int
option_reserved(long long code)
{
	switch (code) {
	case 0:		/* pad */
	case 1:		/* subnet mask: from the prefix */
	case 12:	/* host name: per client */
	case 50:	/* requested IP address */
	case 51:	/* lease time: lease-time statements */
	case 52:	/* option overload */
	case 53:	/* message type */
	case 54:	/* server identifier */
	case 55:	/* parameter request list */
	case 56:	/* message */
	case 57:	/* maximum message size */
	case 58:	/* renewal (T1) time */
	case 59:	/* rebinding (T2) time */
	case 61:	/* client identifier */
	case 80:	/* rapid commit: rapid-commit statement */
	case 82:	/* relay agent information */
	case 255:	/* end */
		return 1;
	}
	return 0;
}

static void
optarg_add(char *s)
{
	if (optargc >= MAXOPTARGS) {
		yyerror("too many option values: at most %d", MAXOPTARGS);
		return;
	}
	optargv[optargc++] = s;
}

/* Checks a domain name: labels of letters, digits and '-' (RFC 1123). */
static int
valid_domain(const char *name)
{
	const char	*p, *label = name;
	size_t		 len;

	for (p = name; ; p++) {
		if (*p != '.' && *p != '\0') {
			if (!isalnum((unsigned char)*p) && *p != '-')
				return 0;
			continue;
		}
		/* RFC 1035 2.3.4: labels are 63 octets or less. */
		len = p - label;
		if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-')
			return 0;
		if (*p == '\0')
			return 1;
		label = p + 1;
	}
}

/*
 * Appends a name in RFC 1035 3.1 wire form: each label as a length
 * octet and its text, ending with the zero-length root label.  RFC 3397
 * allows compression pointers; mcgwd writes names whole.
 */
static int
encode_domain(const char *name, uint8_t *out, size_t size, size_t *off)
{
	const char	*label = name, *dot;
	size_t		 len;

	while (*label != '\0') {
		if ((dot = strchr(label, '.')) == NULL)
			dot = label + strlen(label);
		len = dot - label;
		if (*off + 1 + len > size)
			return -1;
		out[(*off)++] = len;
		memcpy(out + *off, label, len);
		*off += len;
		label = *dot == '.' ? dot + 1 : dot;
	}
	if (*off + 1 > size)
		return -1;
	out[(*off)++] = 0;
	return 0;
}

static int
encode_option(const struct option_def *def, struct imsg_option *opt)
{
	uint8_t		 buf[512];
	struct in_addr	 addr;
	size_t		 off = 0;
	long long	 mtu;
	const char	*errstr;
	int		 i;

	if (def->type == OPTION_TYPE_IP || def->type == OPTION_TYPE_DOMAIN ||
	    def->type == OPTION_TYPE_MTU) {
		if (optargc != 1) {
			yyerror("option %s takes one value", def->name);
			return -1;
		}
	}

	switch (def->type) {
	case OPTION_TYPE_IPLIST:
	case OPTION_TYPE_IP:
		for (i = 0; i < optargc; i++) {
			if (!parse_ipv4(optargv[i], &addr, def->name))
				return -1;
			memcpy(buf + off, &addr, sizeof(addr));
			off += sizeof(addr);
		}
		break;
	case OPTION_TYPE_DOMAIN:
		if (!valid_domain(optargv[0])) {
			yyerror("option %s: invalid domain name \"%s\"",
			    def->name, optargv[0]);
			return -1;
		}
		if ((off = strlen(optargv[0])) > MCGW_MAX_OPTLEN)
			break;		/* reported below */
		memcpy(buf, optargv[0], off);
		break;
	case OPTION_TYPE_MTU:
		/* RFC 2132 5.1: the minimum legal MTU is 68. */
		mtu = strtonum(optargv[0], 68, UINT16_MAX, &errstr);
		if (errstr != NULL) {
			yyerror("option %s \"%s\" is %s: expected 68 to %d",
			    def->name, optargv[0], errstr, UINT16_MAX);
			return -1;
		}
		buf[0] = mtu >> 8;
		buf[1] = mtu & 0xff;
		off = 2;
		break;
	case OPTION_TYPE_DOMAINLIST:
		for (i = 0; i < optargc; i++) {
			if (!valid_domain(optargv[i])) {
				yyerror("option %s: invalid domain name "
				    "\"%s\"", def->name, optargv[i]);
				return -1;
			}
			if (encode_domain(optargv[i], buf, sizeof(buf),
			    &off) == -1) {
				yyerror("option %s too long", def->name);
				return -1;
			}
		}
		break;
	case OPTION_TYPE_REJECT:
		yyerror("option %s is set by mcgwd itself", def->name);
		return -1;
	}

	if (off > MCGW_MAX_OPTLEN) {
		yyerror("option %s is %zu bytes in wire form: at most %d",
		    def->name, off, MCGW_MAX_OPTLEN);
		return -1;
	}
	opt->code = def->code;
	opt->len = off;
	memcpy(opt->data, buf, off);
	return 0;
}

static void
option_insert(struct imsg_option *opt)
{
	struct option_conf	*o;

	TAILQ_FOREACH(o, &cur_subnet->options, entry)
		if (o->opt.code == opt->code) {
			yyerror("option %u given twice", opt->code);
			return;
		}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("%s", __func__);
	o->opt = *opt;
	TAILQ_INSERT_TAIL(&cur_subnet->options, o, entry);
	origin_add(o);
}

static void
add_named_option(const char *name)
{
	const struct option_def	*def;
	struct imsg_option	 opt;

	memset(&opt, 0, sizeof(opt));
	if ((def = option_def_byname(name)) == NULL)
		yyerror("unknown option \"%s\": use option code N hex "
		    "\"...\"", name);
	else if (encode_option(def, &opt) == 0)
		option_insert(&opt);
	optargc = 0;
}

static void
add_raw_option(long long code, const char *value, int hex)
{
	const struct option_def	*def;
	struct imsg_option	 opt;
	int			 n;

	memset(&opt, 0, sizeof(opt));
	if (!number_in(code, 1, 254, "option code"))
		return;
	if (option_reserved(code)) {
		yyerror("option code %lld is set by mcgwd itself", code);
		return;
	}
	if ((def = option_def_bycode(code)) != NULL) {
		yyerror("option code %lld: use option %s", code, def->name);
		return;
	}
	if (hex) {
		if ((n = parse_hex(value, opt.data, sizeof(opt.data))) < 0) {
			yyerror("option code %lld: invalid hex \"%s\"", code,
			    value);
			return;
		}
	} else {
		if ((n = strlen(value)) > MCGW_MAX_OPTLEN) {
			yyerror("option code %lld: value longer than %d bytes",
			    code, MCGW_MAX_OPTLEN);
			return;
		}
		memcpy(opt.data, value, n);
	}
	opt.code = code;
	opt.len = n;
	option_insert(&opt);
}

/*
 * Authorisation block.
 */

static void
auth_listen(const char *ifname)
{
	struct auth_listen_conf	*l;

	if (!valid_ifname(ifname))
		return;
	TAILQ_FOREACH(l, &conf->auth_listen, entry)
		if (strcmp(l->ifname, ifname) == 0) {
			yyerror("listen on \"%s\" given twice", ifname);
			return;
		}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("%s", __func__);
	strlcpy(l->ifname, ifname, sizeof(l->ifname));
	TAILQ_INSERT_TAIL(&conf->auth_listen, l, entry);
	origin_add(l);
}

static void
auth_key(const char *id, const char *b64)
{
	struct auth_key_conf	*k;
	unsigned char		 key[64];
	size_t			 len;

	if (id[0] == '\0' || strlen(id) >= sizeof(k->service_id)) {
		yyerror("invalid service-id: 1 to %zu bytes",
		    sizeof(k->service_id) - 1);
		return;
	}
	TAILQ_FOREACH(k, &conf->auth_keys, entry)
		if (strcmp(k->service_id, id) == 0) {
			yyerror("service-id \"%s\" given twice", id);
			return;
		}
	if (sodium_base642bin(key, sizeof(key), b64, strlen(b64), NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != crypto_sign_PUBLICKEYBYTES ||
	    crypto_core_ed25519_is_valid_point(key) != 1) {
		yyerror("invalid Ed25519 public key for service-id \"%s\": "
		    "expected %d bytes in base64", id,
		    crypto_sign_PUBLICKEYBYTES);
		return;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		fatal("%s", __func__);
	strlcpy(k->service_id, id, sizeof(k->service_id));
	memcpy(k->key, key, sizeof(k->key));
	TAILQ_INSERT_TAIL(&conf->auth_keys, k, entry);
}

static void
auth_number(const char *name, long long v, long long min, long long max,
    uint32_t *out)
{
	if (v < min || v > max) {
		yyerror("invalid %s %lld: must be between %lld and %lld",
		    name, v, min, max);
		return;
	}
	*out = (uint32_t)v;
}

/*
 * Checks that need the whole file.
 */

static int
in_prefix(struct in_addr a, struct in_addr net, uint8_t len)
{
	uint32_t	 mask = prefix_mask(len);

	return (ntohl(a.s_addr) & mask) == (ntohl(net.s_addr) & mask);
}

static int
in_framed_route(struct in_addr a, struct in_addr b)
{
	const struct prefix4	*p;
	int			 i;

	for (i = 0; i < conf->nframed_routes; i++) {
		p = &conf->framed_routes[i];
		if (in_prefix(a, p->addr, p->prefixlen) &&
		    in_prefix(b, p->addr, p->prefixlen))
			return 1;
	}
	return 0;
}

/* Returns 1 for the network, broadcast and gateway addresses of s. */
static int
special_addr(const struct iface_conf *ifc, const struct subnet_conf *s,
    struct in_addr a)
{
	uint32_t	 host = ntohl(a.s_addr) & ~prefix_mask(s->prefixlen);

	if (host == 0 || host == ~prefix_mask(s->prefixlen))
		return 1;
	return !s->relayed && a.s_addr == ifc->addr.s_addr;
}

static void
check_range(const struct iface_conf *ifc, const struct subnet_conf *s,
    const struct range_conf *r)
{
	char		 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t	 gw = ntohl(ifc->addr.s_addr);
	uint32_t	 host = ~prefix_mask(s->prefixlen);

	inet_ntop(AF_INET, &r->start, a, sizeof(a));
	inet_ntop(AF_INET, &r->end, b, sizeof(b));
	if (!in_prefix(r->start, s->network, s->prefixlen) ||
	    !in_prefix(r->end, s->network, s->prefixlen))
		conf_warnx(r, "range %s %s is outside its subnet", a, b);
	else if ((ntohl(r->start.s_addr) & host) == 0 ||
	    (ntohl(r->end.s_addr) & host) == host)
		conf_warnx(r, "range %s %s contains the network or broadcast "
		    "address", a, b);
	else if (!s->relayed && ntohl(r->start.s_addr) <= gw &&
	    gw <= ntohl(r->end.s_addr))
		conf_warnx(r, "range %s %s contains the address of "
		    "interface %s", a, b, ifc->name);
	/* Without a framed route the network black-holes the clients. */
	if (conf->mode == MODE_ROUTED && !in_framed_route(r->start, r->end))
		conf_warnx(r, "range %s %s is outside every framed-route", a,
		    b);
}

static void
check_host(const struct iface_conf *ifc, const struct subnet_conf *s,
    const struct host_conf *h)
{
	const struct range_conf	*r;
	struct in_addr		 a = h->host.fixed_addr;
	char			 buf[INET_ADDRSTRLEN];

	if (a.s_addr == INADDR_ANY)
		return;		/* already reported */
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	if (!in_prefix(a, s->network, s->prefixlen)) {
		conf_warnx(h, "host \"%s\": fixed-address %s is outside its "
		    "subnet", h->host.name, buf);
		return;
	}
	if (special_addr(ifc, s, a))
		conf_warnx(h, "host \"%s\": fixed-address %s is the network, "
		    "broadcast or gateway address", h->host.name, buf);
	TAILQ_FOREACH(r, &s->ranges, entry)
		if (ntohl(r->start.s_addr) <= ntohl(a.s_addr) &&
		    ntohl(a.s_addr) <= ntohl(r->end.s_addr))
			conf_warnx(h, "host \"%s\": fixed-address %s is inside "
			    "a range", h->host.name, buf);
	if (conf->mode == MODE_ROUTED && !in_framed_route(a, a))
		conf_warnx(h, "host \"%s\": fixed-address %s is outside every "
		    "framed-route", h->host.name, buf);
}

static void
check_subnet(const struct iface_conf *ifc, const struct subnet_conf *s)
{
	const struct range_conf	*r;
	const struct host_conf	*h;

	if (s->prefixlen == 0)
		return;		/* already reported */
	if (s->min_lease_time > s->lease_time ||
	    s->lease_time > s->max_lease_time)
		conf_warnx(s, "lease times: need min-lease-time %u <= "
		    "lease-time %u <= max-lease-time %u", s->min_lease_time,
		    s->lease_time, s->max_lease_time);
	TAILQ_FOREACH(r, &s->ranges, entry)
		check_range(ifc, s, r);
	TAILQ_FOREACH(h, &s->hosts, entry)
		check_host(ifc, s, h);
}

/* Reports each subnet after s, in file order, that overlaps s. */
static void
check_subnet_overlaps(const struct subnet_conf *s)
{
	const struct iface_conf		*ifc;
	const struct subnet_conf	*s2;
	char				 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int				 after = 0;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		TAILQ_FOREACH(s2, &ifc->subnets, entry) {
			if (s2 == s)
				after = 1;
			if (s2 == s || !after || s2->prefixlen == 0)
				continue;
			if (!in_prefix(s2->network, s->network, s->prefixlen) &&
			    !in_prefix(s->network, s2->network, s2->prefixlen))
				continue;
			inet_ntop(AF_INET, &s2->network, a, sizeof(a));
			inet_ntop(AF_INET, &s->network, b, sizeof(b));
			conf_warnx(s2, "subnet %s/%u overlaps subnet %s/%u",
			    a, s2->prefixlen, b, s->prefixlen);
		}
	}
}

/* Reports each range after r, in file order, that overlaps r. */
static void
check_range_overlaps(const struct range_conf *r)
{
	const struct iface_conf		*ifc;
	const struct subnet_conf	*s;
	const struct range_conf		*r2;
	char				 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int				 after = 0;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		TAILQ_FOREACH(s, &ifc->subnets, entry) {
			TAILQ_FOREACH(r2, &s->ranges, entry) {
				if (r2 == r)
					after = 1;
				if (r2 == r || !after ||
				    ntohl(r2->start.s_addr) >
				    ntohl(r->end.s_addr) ||
				    ntohl(r->start.s_addr) >
				    ntohl(r2->end.s_addr))
					continue;
				inet_ntop(AF_INET, &r->start, a, sizeof(a));
				inet_ntop(AF_INET, &r->end, b, sizeof(b));
				conf_warnx(r2, "range overlaps range %s %s",
				    a, b);
			}
		}
	}
}

/* Reports each host after h, in file order, that matches h's keys. */
static void
check_host_duplicates(const struct host_conf *h)
{
	const struct iface_conf		*ifc;
	const struct subnet_conf	*s;
	const struct host_conf		*h2;
	const struct imsg_host		*a = &h->host, *b;
	int				 after = 0;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		TAILQ_FOREACH(s, &ifc->subnets, entry) {
			TAILQ_FOREACH(h2, &s->hosts, entry) {
				if (h2 == h)
					after = 1;
				if (h2 == h || !after)
					continue;
				b = &h2->host;
				if (a->fixed_addr.s_addr != INADDR_ANY &&
				    a->fixed_addr.s_addr ==
				    b->fixed_addr.s_addr)
					conf_warnx(h2, "host \"%s\": same "
					    "fixed-address as host \"%s\"",
					    b->name, a->name);
				if (a->htype != 0 && b->htype != 0 &&
				    memcmp(a->hwaddr, b->hwaddr, a->hlen) == 0)
					conf_warnx(h2, "host \"%s\": same "
					    "hardware-address as host \"%s\"",
					    b->name, a->name);
				if (a->cidlen != 0 && a->cidlen == b->cidlen &&
				    memcmp(a->cid, b->cid, a->cidlen) == 0)
					conf_warnx(h2, "host \"%s\": same "
					    "client-identifier as host \"%s\"",
					    b->name, a->name);
			}
		}
	}
}

static void
check_iface(const struct iface_conf *ifc)
{
	const struct subnet_conf	*s;
	const struct range_conf		*r;
	const struct host_conf		*h;

	if (ifc->prefixlen == 0)
		conf_warnx(ifc, "interface \"%s\": missing address",
		    ifc->name);
	if (strcmp(ifc->name, conf->uplink) == 0)
		conf_warnx(ifc, "interface \"%s\" is the uplink", ifc->name);
	TAILQ_FOREACH(s, &ifc->subnets, entry) {
		check_subnet(ifc, s);
		if (s->prefixlen != 0)
			check_subnet_overlaps(s);
		TAILQ_FOREACH(r, &s->ranges, entry)
			check_range_overlaps(r);
		TAILQ_FOREACH(h, &s->hosts, entry)
			check_host_duplicates(h);
	}
}

static void
conf_check(const char *filename)
{
	const struct iface_conf		*ifc;
	const struct auth_listen_conf	*l;

	if (conf->uplink[0] == '\0') {
		parse_warnx("%s: missing uplink statement", filename);
		errors++;
	}
	if (TAILQ_EMPTY(&conf->ifaces)) {
		parse_warnx("%s: no interface block", filename);
		errors++;
	}
	if (conf->mode == MODE_ROUTED && conf->nframed_routes == 0) {
		parse_warnx("%s: mode routed needs at least one framed-route",
		    filename);
		errors++;
	}
	TAILQ_FOREACH(ifc, &conf->ifaces, entry)
		check_iface(ifc);
	TAILQ_FOREACH(l, &conf->auth_listen, entry) {
		TAILQ_FOREACH(ifc, &conf->ifaces, entry)
			if (strcmp(ifc->name, l->ifname) == 0)
				break;
		if (ifc == NULL)
			conf_warnx(l, "listen on \"%s\": no interface block "
			    "with that name", l->ifname);
	}
}

/*
 * Entry points.
 */

static struct mcgwd_conf *
conf_new(void)
{
	struct mcgwd_conf	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	strlcpy(c->state_dir, MCGW_STATE_DIR, sizeof(c->state_dir));
	c->mode = MODE_ROUTED;
	c->hold_down = DEFAULT_HOLD_DOWN;
	c->decline_hold = DEFAULT_DECLINE_HOLD;
	c->offer_hold = DEFAULT_OFFER_HOLD;
	c->auth_port = AUTH_PORT;
	c->auth_skew = AUTH_SKEW;
	c->auth_lifetime = DEFAULT_AUTH_LIFETIME;
	c->auth_retention = (int64_t)DEFAULT_AUTH_RETENTION * 86400;
	c->auth_rate = DEFAULT_AUTH_RATE;
	c->auth_burst = DEFAULT_AUTH_BURST;
	c->nat_port_first = DEFAULT_NAT_PORT_FIRST;
	c->nat_port_last = DEFAULT_NAT_PORT_LAST;
	c->nat_block_size = DEFAULT_NAT_BLOCK_SIZE;
	TAILQ_INIT(&c->ifaces);
	TAILQ_INIT(&c->auth_listen);
	TAILQ_INIT(&c->auth_keys);
	return c;
}

/* Logs an error of the configuration and keeps the first for reload. */
static void
parse_warnx(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
	if (first_error[0] == '\0')
		strlcpy(first_error, msg, sizeof(first_error));
}

const char *
parse_error(void)
{
	return first_error;
}

struct mcgwd_conf *
parse_config(const char *filename)
{
	struct mcgwd_conf	*c;
	const char		*errstr;

	conf = conf_new();
	cur_iface = NULL;
	cur_subnet = NULL;
	cur_host = NULL;
	seen_global = seen_subnet = 0;
	optargc = 0;
	errors = 0;
	first_error[0] = '\0';
	parsebuf = NULL;
	skip_line = skip_depth = 0;
	stmt_start = 1;
	file = NULL;

	if ((file = pushfile(filename, &errstr)) == NULL) {
		parse_warnx("%s: %s", filename, errstr);
		config_free(conf);
		conf = NULL;
		return NULL;
	}
	topfile = file;

	yyparse();
	conf_check(topfile->name);

	while (popfile() != EOF)
		;
	TAILQ_REMOVE(&files, topfile, entry);
	fclose(topfile->stream);
	free(topfile);
	file = topfile = NULL;
	symclear();
	free(parsebuf_copy);
	parsebuf_copy = NULL;
	parsebuf = NULL;

	c = conf;
	conf = NULL;
	if (errors > 0) {
		config_free(c);
		c = NULL;
	}
	free(origins);
	origins = NULL;
	norigins = maxorigins = 0;
	pstrings_free();
	return c;
}

static void
subnet_free(struct subnet_conf *s)
{
	struct range_conf	*r;
	struct option_conf	*o;
	struct host_conf	*h;

	while ((r = TAILQ_FIRST(&s->ranges)) != NULL) {
		TAILQ_REMOVE(&s->ranges, r, entry);
		free(r);
	}
	while ((o = TAILQ_FIRST(&s->options)) != NULL) {
		TAILQ_REMOVE(&s->options, o, entry);
		free(o);
	}
	while ((h = TAILQ_FIRST(&s->hosts)) != NULL) {
		TAILQ_REMOVE(&s->hosts, h, entry);
		free(h);
	}
	free(s);
}

void
config_free(struct mcgwd_conf *c)
{
	struct iface_conf	*ifc;
	struct subnet_conf	*s;
	struct auth_listen_conf	*l;
	struct auth_key_conf	*k;

	if (c == NULL)
		return;
	while ((ifc = TAILQ_FIRST(&c->ifaces)) != NULL) {
		TAILQ_REMOVE(&c->ifaces, ifc, entry);
		while ((s = TAILQ_FIRST(&ifc->subnets)) != NULL) {
			TAILQ_REMOVE(&ifc->subnets, s, entry);
			subnet_free(s);
		}
		free(ifc);
	}
	while ((l = TAILQ_FIRST(&c->auth_listen)) != NULL) {
		TAILQ_REMOVE(&c->auth_listen, l, entry);
		free(l);
	}
	while ((k = TAILQ_FIRST(&c->auth_keys)) != NULL) {
		TAILQ_REMOVE(&c->auth_keys, k, entry);
		free(k);
	}
	free(c);
}
