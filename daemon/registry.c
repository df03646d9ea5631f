/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The varlink registry (UAPI.20; systemd's varlinkctl list-registry): a
 * well-known service is reachable as /run/varlink/registry/INTERFACE, a
 * symlink to its socket. Under systemd, nsdd.socket makes the link
 * (Symlinks=). nsdd started by hand makes it when it binds the default
 * socket, and takes it away when it stops; a socket elsewhere (a test's, a
 * second instance's) is not registered. A link that names another socket is
 * left as it is: it is someone else's.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"
#include "socket.h"

#define REGISTRY      "/run/varlink/registry"
#define REGISTRY_LINK REGISTRY "/io.nsdd.supervisor"

static char *registered; /* the socket the link names, once nsdd made it */

/* The socket REGISTRY_LINK names is sock. */
static bool
names(const char *sock)
{
	char link[PATH_MAX];
	ssize_t n = readlink(REGISTRY_LINK, link, sizeof(link) - 1);

	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, sock) == 0;
}

void
registry_add(const char *sock)
{
	if ((mkdir("/run/varlink", 0755) < 0 && errno != EEXIST) ||
	    (mkdir(REGISTRY, 0755) < 0 && errno != EEXIST)) {
		log_warn("cannot make %s", REGISTRY);
		return;
	}
	if (!names(sock) && symlink(sock, REGISTRY_LINK) < 0) {
		if (errno == EEXIST)
			log_info("%s names another socket: left as it is", REGISTRY_LINK);
		else
			log_warn("cannot link %s", REGISTRY_LINK);
		return;
	}
	registered = xstrdup(sock);
	log_info("registered as %s", REGISTRY_LINK);
}

void
registry_remove(void)
{
	if (registered != NULL && names(registered))
		unlink(REGISTRY_LINK);
	free(registered);
	registered = NULL;
}
