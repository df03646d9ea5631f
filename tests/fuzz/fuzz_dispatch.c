/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: varlink framing and dispatch in nsdd itself. Each input
 * is one client's byte stream to a live server (server.c, api.c, authz.c,
 * supervisor.c, ...) run in this process. Safety first: the harness drops to
 * nobody and makes nobody's group the nsd group, so that every method is
 * dispatched and its parameters, plan and value checked, while
 * authorization refuses every task before ptrace (the init namespaces are
 * owned by root).
 */
#include "config.h"

#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/log.h"
#include "daemon/nsdd.h"
#include "daemon/socket.h"
#include "daemon/ns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sockaddr_un sun = {.sun_family = AF_UNIX};

static void
remove_socket(void)
{
	unlink(sun.sun_path);
}

static void
setup(void)
{
	struct group *gr;

	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
		abort(); /* never fuzz a root nsdd: it could stop real tasks */
	signal(SIGPIPE, SIG_IGN);
	log_init(false);
	if ((nsdd_base = event_base_new()) == NULL || ns_init() < 0)
		abort();
	api_init();
	gr = getgrgid(getegid());
	authz_set_group(gr != NULL ? gr->gr_name : "nogroup");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/nsdd-fuzz-%d.sock", getpid());
	unlink(sun.sun_path);
	server_listen(-1, sun.sun_path, 256, api_dispatch);
	atexit(remove_socket);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	char buf[65536];
	size_t off = 0;
	bool eof = false, shut = false;
	int s, i;

	if (!ready) {
		setup();
		ready = true;
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (s >= 0)
			close(s);
		return 0;
	}
	for (i = 0; i < 400 && !eof; i++) {
		ssize_t n;
		if (off < size) {
			n = send(s, data + off, size - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
		} else if (!shut) {
			shutdown(s, SHUT_WR);
			shut = true;
		}
		event_base_loop(nsdd_base, EVLOOP_NONBLOCK);
		while ((n = recv(s, buf, sizeof(buf), 0)) > 0)
			;
		eof = n == 0;
	}
	close(s);
	for (i = 0; i < 4; i++)
		event_base_loop(nsdd_base, EVLOOP_NONBLOCK);
	return 0;
}
