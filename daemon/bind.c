/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A listening Unix socket at a path (the varlink socket, the OCI runtimes'
 * one): its directory made, a stale socket of a dead server replaced, a
 * live server's never.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "socket.h"

/* Creates dir and its missing parents, 0755, as mkdir -p. */
static void
mkdir_parents(char *dir)
{
	char *p;

	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			fatal("cannot create socket directory %s", dir);
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		fatal("cannot create socket directory %s", dir);
}

int
server_bind(const char *path, mode_t mask)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[sizeof(sun.sun_path)], *slash;
	struct stat st;
	mode_t old;
	int fd, probe;

	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("socket path %s is too long", path);
	strcpy(sun.sun_path, path);
	strcpy(dir, path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		mkdir_parents(dir);
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatalx("%s exists and is not a socket", path);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			fatalx("another nsdd is serving %s", path);
		if (probe >= 0)
			close(probe);
		unlink(path); /* stale: its server is gone */
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		fatal("socket");
	old = umask(mask);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		fatal("cannot bind %s", path);
	umask(old);
	if (listen(fd, 128) < 0)
		fatal("listen %s", path);
	return fd;
}
