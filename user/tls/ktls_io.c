// SPDX-License-Identifier: Apache-2.0
/* Records a kTLS socket's read() cannot take: with a control buffer,
 * recvmsg() says each record's type (TLS_GET_RECORD_TYPE), so tickets,
 * alerts and KeyUpdates can be told apart from data. */
#include <errno.h>
#include <linux/tls.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls.h"

#define REC_ALERT 21
#define REC_HANDSHAKE 22
#define REC_DATA 23
#define HS_NEW_SESSION_TICKET 4
#define HS_KEY_UPDATE 24
/* a peer's tickets are skipped; more than this in a row is not a peer
 * talking TLS, and bounds the loop */
#define MAX_SKIPPED 8

/* One record (or data up to <n>); stores its type in *type. */
static ssize_t recv_record(int fd, void *buf, size_t n, int flags,
			   unsigned char *type)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	struct iovec iov = { buf, n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t r;

	r = recvmsg(fd, &m, flags);
	if (r < 0)
		return -errno;
	*type = REC_DATA;
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_TLS &&
	    c->cmsg_type == TLS_GET_RECORD_TYPE)
		*type = *(unsigned char *)CMSG_DATA(c);
	return r;
}

/* What a non-data record means for the stream: 1 skip it, 0 end of
 * stream, -errno stop. */
static int control_record(unsigned char type, const unsigned char *b,
			  ssize_t len)
{
	if (type == REC_ALERT)
		/* close_notify is level 1 (warning), description 0 */
		return len == 2 && b[1] == 0 ? 0 : -EPROTO;
	if (type == REC_HANDSHAKE && len > 0 && b[0] == HS_NEW_SESSION_TICKET)
		return 1;
	if (type == REC_HANDSHAKE && len > 0 && b[0] == HS_KEY_UPDATE)
		return -EKEYEXPIRED;
	return -EPROTO;
}

ssize_t ktls_recv(int fd, void *buf, size_t n, int flags)
{
	unsigned char type;
	ssize_t r;
	int c;

	if (n < KTLS_RECORD_MAX)
		return -EINVAL;
	for (int i = 0; i < MAX_SKIPPED; i++) {
		r = recv_record(fd, buf, n, flags, &type);
		if (r <= 0 || type == REC_DATA)
			return r;
		c = control_record(type, buf, r);
		if (c <= 0)
			return c;
	}
	return -EPROTO;
}

int ktls_send_close_notify(int fd)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))] = { 0 };
	unsigned char alert[2] = { 1, 0 }; /* warning, close_notify */
	struct iovec iov = { alert, sizeof(alert) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_TLS;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(c) = REC_ALERT;
	return sendmsg(fd, &m, MSG_NOSIGNAL) == sizeof(alert) ? 0 : -errno;
}
