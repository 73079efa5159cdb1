/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel TLS after an OpenSSL TLS 1.3 handshake: the traffic secrets of
 * that very handshake go into the socket (TLS_TX and TLS_RX) and OpenSSL
 * leaves the data path; plain read()/write()/splice() on the fd then carry
 * TLS records the kernel seals and opens.
 *
 * OpenSSL 3.0 only hands TX to the kernel by itself, so the secrets are
 * captured through the keylog callback, key and IV derived here with
 * HKDF-Expand-Label, and both sequence numbers start at 0. That is only
 * true when no record has moved since the handshake ended: the context
 * sends no session tickets, and an install is refused when OpenSSL already
 * holds bytes read past the handshake. Anything the kernel path cannot take
 * leaves the connection on userspace OpenSSL, counted by reason.
 */
#ifndef IM_TLS_KTLS_H
#define IM_TLS_KTLS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

/* Why a connection is not on the kernel path. Stable: used as an index of
 * counters and printed by name. */
enum ktls_why {
	KTLS_WHY_NONE = 0,	/* installed: the kernel does the records */
	KTLS_WHY_NO_ULP,	/* the kernel has no "tls" ULP (no CONFIG_TLS) */
	KTLS_WHY_VERSION,	/* not TLS 1.3 */
	KTLS_WHY_CIPHER,	/* a suite other than AES-128/256-GCM */
	KTLS_WHY_SECRETS,	/* the keylog callback gave no traffic secrets */
	KTLS_WHY_PENDING,	/* OpenSSL read bytes past the handshake */
	KTLS_WHY_NO_FD,		/* the SSL is not on a socket fd */
	KTLS_WHY_DERIVE,	/* HKDF failed */
	KTLS_WHY_KERNEL,	/* the kernel refused TLS_TX or TLS_RX */
	KTLS_WHY__COUNT
};

/* What ktls_install left behind. */
enum ktls_result {
	KTLS_INSTALLED,		/* fd carries records itself; free the SSL */
	KTLS_USERSPACE,		/* untouched: keep using SSL_read/SSL_write */
	KTLS_BROKEN,		/* half installed: the connection must close */
};

/* Process-wide refusal counts, by reason (relaxed atomics). */
struct ktls_counts {
	uint64_t n[KTLS_WHY__COUNT];
};

/* Prepares <ctx> for connections that may go to the kernel: installs the
 * keylog callback that keeps each SSL's traffic secrets (in the SSL's own
 * ex_data, wiped when used or freed) and turns session tickets off. The
 * context must have no other keylog callback. Returns 0 or -ENOMEM. */
int ktls_ctx_prepare(SSL_CTX *ctx);

/* Moves the finished TLS 1.3 connection <ssl> to the kernel: TCP_ULP
 * "tls", then TLS_TX and TLS_RX with this side's secrets, sequence 0.
 * <why> (may be NULL) says why not. On KTLS_INSTALLED the secrets are
 * wiped and the SSL must no longer do I/O (SSL_free it; its fd stays
 * open). Counts every outcome in the process counters. */
enum ktls_result ktls_install(SSL *ssl, enum ktls_why *why);

/* Tries setsockopt(TCP_ULP, "tls") on a fresh loopback pair: 0 when the
 * kernel takes it, else setsockopt's errno (ENOENT: no TLS ULP). Without a
 * loopback pair (a namespace whose lo is down) it asks an unconnected
 * socket instead, and returns -errno only when that cannot tell either. */
int ktls_ulp_try(void);

/* The same question on an unconnected TCP socket: the kernel looks the
 * ULP up first (ENOENT: none) and only then does the TLS ULP refuse a
 * socket that is not established (ENOTCONN, read as 0: it is there).
 * Returns 0, ENOENT, another errno, or -errno without a socket. */
int ktls_ulp_try_unconnected(void);

/* Does this kernel take TCP_ULP "tls"? Tried once on a loopback pair and
 * remembered. Returns 1 yes, 0 no; <why> (may be NULL) gets one line. */
int ktls_kernel_has_tls(char *why, size_t n);

/* The probe's answer as a static sentence for views: "kernel has no
 * kTLS (TCP_ULP tls: ENOENT)", ... */
const char *ktls_kernel_why(void);

/* Copies the process counters into <out>. */
void ktls_counts_read(struct ktls_counts *out);

/* "no_ulp", "pending", ... ("" for NONE). */
const char *ktls_why_name(enum ktls_why w);

/* HKDF-Expand-Label(<secret>, <label>, "", <outlen>) of RFC 8446 7.1 with
 * <md> (SHA-256 or SHA-384). Returns 0 or -EINVAL. Exposed for tests. */
int ktls_expand_label(const EVP_MD *md, const uint8_t *secret, size_t slen,
		      const char *label, uint8_t *out, size_t outlen);

/* Reads application data from a kTLS socket like recv(), but takes the
 * records read() cannot: a NewSessionTicket is consumed and skipped, a
 * close_notify alert is end of file (0), a KeyUpdate is -EKEYEXPIRED (this
 * kernel cannot rekey: close the connection), any other alert or record
 * -EPROTO. <n> must be at least KTLS_RECORD_MAX (-EINVAL otherwise): a
 * control record cut short would be misread. <flags> as recv
 * (MSG_DONTWAIT). Returns bytes, 0 at EOF, or -errno. */
#define KTLS_RECORD_MAX 16384 /* TLS 1.3's largest plaintext */
ssize_t ktls_recv(int fd, void *buf, size_t n, int flags);

/* Sends a close_notify alert on a kTLS socket, so an OpenSSL peer reads a
 * clean end of stream. Returns 0 or -errno. */
int ktls_send_close_notify(int fd);

#endif
