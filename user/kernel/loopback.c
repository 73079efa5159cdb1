// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "loopback.h"

static struct sockaddr_in lo_addr(__u16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	return a;
}

int loopback_listen(__u16 *port)
{
	struct sockaddr_in a = lo_addr(0);
	socklen_t al = sizeof(a);
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&a, &al)) {
		err = -errno;
		close(fd);
		return err;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

int loopback_connect(__u16 port)
{
	struct sockaddr_in a = lo_addr(port);
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void recv_timeout(int fd)
{
	struct timeval tv = { .tv_sec = 1 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int loopback_pair(int fds[2])
{
	__u16 port;
	int lfd = loopback_listen(&port), err;

	if (lfd < 0)
		return lfd;
	fds[0] = loopback_connect(port);
	fds[1] = fds[0] < 0 ? -1 : accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	err = fds[0] < 0 ? fds[0] : fds[1] < 0 ? -errno : 0;
	close(lfd);
	if (err) {
		if (fds[0] >= 0)
			close(fds[0]);
		return err;
	}
	recv_timeout(fds[0]);
	recv_timeout(fds[1]);
	return 0;
}
