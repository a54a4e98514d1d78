/*
 * mcgwctl: the reply it collects from mcgwd and the printers in
 * output.c.
 */

#ifndef MCGWCTL_H
#define MCGWCTL_H

#include <stddef.h>

#include "mcgw.h"

/* The checked messages of one reply, kept until they are printed. */
struct ctl_reply {
	struct imsg_ctl_status	 status;
	int			 have_status;
	struct imsg_ctl_proc	*procs;
	size_t			 nprocs;
	struct imsg_lease4	*leases;
	size_t			 nleases;
	struct imsg_result	 result;
	int			 have_result;
};

/* output.c */
void	print_status(const struct ctl_reply *, int json);
void	print_leases(const struct ctl_reply *, int json);
void	print_result_ok(const char *message, int json);
void	print_result_error(const char *message, int json);

#endif /* MCGWCTL_H */
