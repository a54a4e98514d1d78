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
	struct imsg_binding	*bindings;
	size_t			 nbindings;
	struct imsg_binding_history *history;
	size_t			 nhistory;
	struct imsg_route	*routes;
	size_t			 nroutes;
	struct imsg_framed	*framed;
	size_t			 nframed;
};

/* output.c */
void	print_status(const struct ctl_reply *, int json);
void	print_leases(const struct ctl_reply *, int json);
void	print_bindings(const struct ctl_reply *, int json);
void	print_history(const struct ctl_reply *, int json);
void	print_result_ok(const char *message, int json);
void	print_result_error(const char *message, int json);

/* routes.c */
struct imsg;
int	reply_add_kernel(struct ctl_reply *, struct imsg *);
void	print_routes(const struct ctl_reply *, int json);
/* Prints s as a JSON string, escaped; output.c. */
void	json_string(const char *s);
void	print_framed(const struct ctl_reply *, int json);

#endif /* MCGWCTL_H */
