/*
 * The engines' sandbox.  The order matters: the user is looked up while
 * /etc is still visible, chroot needs root, the uid change drops every
 * capability (no PR_SET_KEEPCAPS), and the seccomp filter comes last
 * because it forbids the calls that come before it.
 */

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/* System calls both engines make once they serve. */
static const int common_calls[] = {
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(recvmmsg),
	SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(close), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(brk), SCMP_SYS(munmap),
	SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(getrandom), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(lseek), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigaction), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(sched_yield), SCMP_SYS(poll), SCMP_SYS(ppoll),
};

/* The routed-engine keeps its journal and accepts control sessions. */
static const int routed_calls[] = {
	SCMP_SYS(openat), SCMP_SYS(fdatasync), SCMP_SYS(fsync),
	SCMP_SYS(ftruncate), SCMP_SYS(fallocate), SCMP_SYS(rename),
	SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(unlink),
	SCMP_SYS(unlinkat), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(statx),
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(getsockopt),
	SCMP_SYS(fchmod), SCMP_SYS(getdents64), SCMP_SYS(umask),
};

static int	sandbox_debug;

/*
 * SIGSYS handler of the debug mode: names the call and makes it fail
 * with ENOSYS instead of killing the process.
 */
static void
sandbox_sigsys(int sig, siginfo_t *info, void *context)
{
	char	 msg[96];
	int	 len;

	(void)sig;
	len = snprintf(msg, sizeof(msg),
	    "sandbox: blocked system call %d (seccomp debug mode)\n",
	    info->si_syscall);
	if (len > 0)
		(void)write(STDERR_FILENO, msg, (size_t)len);
#if defined(__x86_64__)
	((ucontext_t *)context)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
	(void)context;
#endif
}

static void
sandbox_add(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	size_t	 i;
	int	 r;

	for (i = 0; i < n; i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
		if (r < 0)
			fatalx("%s: seccomp_rule_add %d: %s", __func__,
			    calls[i], strerror(-r));
	}
}

static void
sandbox_seccomp(enum sandbox_role role)
{
	scmp_filter_ctx	 ctx;
	uint32_t	 deflt;
	int		 r = 0;

	deflt = sandbox_debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
	if ((ctx = seccomp_init(deflt)) == NULL)
		fatalx("%s: seccomp_init failed", __func__);
	/* A foreign architecture's system call numbers mean other calls. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) < 0)
		fatalx("%s: seccomp_attr_set", __func__);

	sandbox_add(ctx, common_calls,
	    sizeof(common_calls) / sizeof(common_calls[0]));

	/* Memory: never executable.  glibc's malloc needs the rest. */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* fcntl only for the flags of descriptors that arrive by imsg. */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
	    SCMP_A1(SCMP_CMP_EQ, F_GETFL));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
	    SCMP_A1(SCMP_CMP_EQ, F_SETFL));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
	    SCMP_A1(SCMP_CMP_EQ, F_GETFD));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
	    SCMP_A1(SCMP_CMP_EQ, F_SETFD));
	/* imsg_read() probes for a free descriptor slot with a dup. */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
	    SCMP_A1(SCMP_CMP_EQ, F_DUPFD_CLOEXEC));
	/*
	 * syslog(3) reconnects with socket and connect when syslogd went
	 * away; fail those calls quietly instead of killing the engine.
	 */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket),
	    0);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(connect),
	    0);

	if (role == SANDBOX_ROUTED)
		sandbox_add(ctx, routed_calls,
		    sizeof(routed_calls) / sizeof(routed_calls[0]));
	else {
		/* The DHCP engine opens no file: fail, do not kill. */
		r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(openat), 0);
		r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(open), 0);
	}
	if (r != 0)
		fatalx("%s: seccomp_rule_add failed", __func__);

	if ((r = seccomp_load(ctx)) < 0)
		fatalx("%s: seccomp_load: %s", __func__, strerror(-r));
	seccomp_release(ctx);
}

static void
sandbox_rlimit(int resource, rlim_t value)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("%s: setrlimit %d", __func__, resource);
}

void
sandbox_args_parse(int argc, char *argv[], struct sandbox_args *args)
{
	int	 ch;

	memset(args, 0, sizeof(*args));
	while ((ch = getopt(argc, argv, "dr:Sv")) != -1) {
		switch (ch) {
		case 'd':
			args->debug = 1;
			break;
		case 'r':
			args->root = optarg;
			break;
		case 'S':
			args->seccomp_debug = 1;
			break;
		case 'v':
			args->verbose++;
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc && args->root != NULL)
		return;
 usage:
	fprintf(stderr, "usage: %s -r rootdir [-dSv]\n", getprogname());
	exit(1);
}

void
sandbox_enter(enum sandbox_role role, const char *user, const char *root,
    int debug)
{
	struct passwd		*pw;
	struct sigaction	 sa;

	sandbox_debug = debug;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s: create it (see etc/sysusers.d)", user);
	if (pw->pw_uid == 0)
		fatalx("user %s has uid 0: the engines need their own user",
		    user);

	if (chroot(root) == -1)
		fatal("chroot %s", root);
	if (chdir("/") == -1)
		fatal("chdir /");

	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_NO_NEW_PRIVS");
	/* Lease data must not end up in a core file. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl PR_SET_DUMPABLE");

	sandbox_rlimit(RLIMIT_CORE, 0);
	/*
	 * No RLIMIT_FSIZE for dhcpd: with -d its stderr may be a file, and
	 * the seccomp list already keeps it from opening one.
	 */
	sandbox_rlimit(RLIMIT_NOFILE, role == SANDBOX_ROUTED ? 128 : 512);

	if (debug) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sandbox_sigsys;
		sa.sa_flags = SA_SIGINFO;
		if (sigaction(SIGSYS, &sa, NULL) == -1)
			fatal("sigaction SIGSYS");
	}
	sandbox_seccomp(role);
	log_debug("sandbox entered: root %s, user %s", root, user);
}
