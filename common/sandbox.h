/*
 * The engines' sandbox: chroot, unprivileged user, no new privileges,
 * resource limits and a libseccomp allow-list per role.
 */

#ifndef MCGW_SANDBOX_H
#define MCGW_SANDBOX_H

enum sandbox_role {
	SANDBOX_DHCPD,
	SANDBOX_ROUTED
};

/*
 * Enters the sandbox for role: looks up user, chroots to root, drops
 * to the user's uid and gid, sets PR_SET_NO_NEW_PRIVS and the rlimits,
 * then loads the seccomp filter.  Any system call outside the role's
 * list kills the process, or with debug set is logged and fails with
 * ENOSYS.  Call it after every descriptor and the event base exist and
 * before reading any input.  Fatal on any failure.
 */
void	sandbox_enter(enum sandbox_role role, const char *user,
	    const char *root, int debug);

/* The command line the parent gives an engine: -r ROOT [-dSv]. */
struct sandbox_args {
	const char	*root;		/* -r: the directory to chroot into */
	int		 debug;		/* -d: log to stderr */
	int		 verbose;	/* -v, counted */
	int		 seccomp_debug;	/* -S: log blocked system calls */
};

/* Parses an engine's arguments; prints usage and exits on an error. */
void	sandbox_args_parse(int, char *[], struct sandbox_args *);

#endif /* MCGW_SANDBOX_H */
