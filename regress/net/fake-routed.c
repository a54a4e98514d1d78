/*
 * A stand-in for mcgwd-routed that requests routes from the parent, for
 * the test that the parent rejects what the configuration does not allow.
 * t_routing puts it beside a copy of mcgwd under the name mcgwd-routed;
 * mcgwd runs the engines it finds beside itself.
 *
 * MCGW_FAKE_ROUTES contains requests separated by spaces.  A route is
 * written "PREFIX,GATEWAY,IFNAME" ("192.0.2.0/24,10.20.30.5,lan0") and
 * sent as IMSG_ROUTE_ADD; "nat:LOCAL,FIRST,LAST" is sent as
 * IMSG_NAT_ADD.  Each answer is appended to the file MCGW_FAKE_OUT as
 * "result CODE MESSAGE".  The program runs until the parent is gone.
 */

#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "mcgw.h"

/* "nat:LOCAL,FIRST,LAST": an SNAT rule for a port block. */
static void
request_nat(struct imsgbuf *ibuf, char *arg)
{
	struct imsg_nat	 n;
	char		*local, *first, *last;

	local = strsep(&arg, ",");
	first = strsep(&arg, ",");
	last = strsep(&arg, ",");
	memset(&n, 0, sizeof(n));
	if (local == NULL || first == NULL || last == NULL ||
	    inet_pton(AF_INET, local, &n.local4) != 1)
		errx(1, "bad NAT argument");
	n.port_first = atoi(first);
	n.port_last = atoi(last);
	if (imsg_compose(ibuf, IMSG_NAT_ADD, 1, 0, -1, &n, sizeof(n)) == -1)
		err(1, "imsg_compose");
}

static void
request(struct imsgbuf *ibuf, uint32_t id, char *arg)
{
	struct imsg_route	 r;
	char			*pfx, *gw, *dev, *slash;

	pfx = strsep(&arg, ",");
	gw = strsep(&arg, ",");
	dev = strsep(&arg, ",");
	if (pfx == NULL || gw == NULL || dev == NULL ||
	    (slash = strchr(pfx, '/')) == NULL)
		errx(1, "bad route argument");
	*slash = '\0';
	memset(&r, 0, sizeof(r));
	r.kind = ROUTE_KIND_ROUTE;
	r.family = AF_INET;
	r.prefixlen = atoi(slash + 1);
	if (inet_pton(AF_INET, pfx, &r.dst4) != 1 ||
	    inet_pton(AF_INET, gw, &r.gw4) != 1)
		errx(1, "bad address");
	strlcpy(r.ifname, dev, sizeof(r.ifname));
	*slash = '/';
	if (imsg_compose(ibuf, IMSG_ROUTE_ADD, id, 0, -1, &r,
	    sizeof(r)) == -1)
		err(1, "imsg_compose");
}

int
main(void)
{
	struct imsgbuf			 ibuf;
	struct imsg			 imsg;
	struct imsg_kernel_result	 res;
	FILE				*out = stdout;
	char				*list, *one, *file;
	ssize_t				 n;

	/* mcgwd passes -r and flags only: the routes come from the env. */
	if ((list = getenv("MCGW_FAKE_ROUTES")) == NULL)
		errx(1, "MCGW_FAKE_ROUTES is not set");
	if ((file = getenv("MCGW_FAKE_OUT")) != NULL &&
	    (out = fopen(file, "a")) == NULL)
		err(1, "%s", file);
	imsg_init(&ibuf, MCGW_FD_PARENT);
	/* The parent passes control and authorisation sockets. */
	imsgbuf_allow_fdpass(&ibuf);
	if ((list = strdup(list)) == NULL)
		err(1, NULL);
	while ((one = strsep(&list, " ")) != NULL) {
		if (strncmp(one, "nat:", 4) == 0)
			request_nat(&ibuf, one + 4);
		else if (*one != '\0')
			request(&ibuf, 1, one);
	}
	if (imsg_flush(&ibuf) == -1)
		err(1, "imsg_flush");
	for (;;) {
		if ((n = imsg_read(&ibuf)) == -1 && errno != EAGAIN)
			err(1, "imsg_read");
		if (n == 0)
			break;
		while ((n = imsg_get(&ibuf, &imsg)) > 0) {
			if (imsg_get_type(&imsg) == IMSG_KERNEL_RESULT &&
			    imsg_get_data(&imsg, &res, sizeof(res)) == 0) {
				fprintf(out, "result %d %s\n", res.code,
				    res.message);
				fflush(out);
			}
			imsg_free(&imsg);
		}
	}
	return 0;
}
