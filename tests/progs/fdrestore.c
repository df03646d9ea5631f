/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An fd restorer: opens files the way its arguments say, prints the fd and
 * its close-on-exec flag, then every fd it holds:
 *   fdrestore OP...   OP: KIND[c]:PATH, KIND one of
 *                         o open(O_RDWR|O_CREAT)   a openat(AT_FDCWD, ...)
 *                         2 openat2(...)           k creat(PATH)
 *                     a trailing c adds O_CLOEXEC (not for creat);
 *                     d:FD dups stdin to FD (to make FD busy);
 *                     l:FD prints "l:FD=TARGET", where FD points.
 * Output: "OP=FD cloexec=0|1" or "OP=-ERRNO"; "fds=0,1,2,..." at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct dirent *de;
	int i, fd, first = 1;
	DIR *d;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		const char *op = argv[i], *path = strchr(op, ':') + 1;
		int cloexec = op[1] == 'c' ? O_CLOEXEC : 0;
		struct open_how how = {.flags = O_RDWR | O_CREAT | cloexec, .mode = 0600};
		switch (op[0]) {
		case 'o':
			fd = open(path, O_RDWR | O_CREAT | cloexec, 0600);
			break;
		case 'a':
			fd = openat(AT_FDCWD, path, O_RDWR | O_CREAT | cloexec, 0600);
			break;
		case '2':
			fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
			break;
		case 'k':
			fd = creat(path, 0600);
			break;
		case 'd':
			fd = dup2(0, atoi(path));
			break;
		case 'l': {
			char link[64], target[4096];
			ssize_t n;
			snprintf(link, sizeof(link), "/proc/self/fd/%d", atoi(path));
			n = readlink(link, target, sizeof(target) - 1);
			target[n < 0 ? 0 : n] = '\0';
			printf("%s=%s\n", op, target);
			continue;
		}
		default:
			fprintf(stderr, "fdrestore: bad op %s\n", op);
			return 2;
		}
		if (fd < 0)
			printf("%s=-%d\n", op, errno);
		else
			printf("%s=%d cloexec=%d\n", op, fd,
			       (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	}
	if ((d = opendir("/proc/self/fd")) == NULL)
		return 1;
	printf("fds=");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		printf("%s%s", first ? "" : ",", de->d_name);
		first = 0;
	}
	printf("\n");
	closedir(d);
	return 0;
}
