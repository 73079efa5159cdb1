/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the test_tls_*.c files: CAs and contexts made in memory, and
 * real handshakes between two ends of a socketpair, pumped in turn in
 * this thread (every byte is there when read: no waiting, no sleeps). */
#ifndef IM_TEST_TLS_FIX_H
#define IM_TEST_TLS_FIX_H

#include <openssl/ssl.h>

#include "tls/ca.h"
#include "tls/conn.h"
#include "tls/ctx.h"

#define FIX_TD "cluster.local"

/* A new self-signed P-256 root as a CA (no files). */
void fix_ca(struct tls_ca *ca);
/* A context presenting spiffe://<td>/ns/<ns>/sa/<sa>, issued by <ca> at
 * <now> for <ttl> seconds. */
struct tls_ctx *fix_ctx_at(const struct tls_ca *ca, const char *td,
			   const char *ns, const char *sa, time_t now,
			   unsigned int ttl, bool resume);
struct tls_ctx *fix_ctx(const struct tls_ca *ca, const char *ns,
			const char *sa);
/* Issued by <issuer>, verifying peers against <trust>'s roots. */
struct tls_ctx *fix_ctx_cross(const struct tls_ca *issuer,
			      const struct tls_ca *trust, const char *ns,
			      const char *sa);
struct spiffe_id fix_id(const char *td, const char *ns, const char *sa);

/* One end of a handshake: an infermesh connection, or a plain OpenSSL
 * SSL for peers that are not (a TLS 1.2 client, one without a cert). */
struct fix_end {
	struct tls_conn *t;
	SSL *raw;
	int state;	/* 0 running, 1 done, -1 failed */
};

/* A non-blocking socketpair; both fds closed by fix_close(). */
void fix_pair(int fd[2]);
/* Steps both ends until each is done or failed (bounded). */
void fix_pump(struct fix_end *a, struct fix_end *b);
/* Sends <msg> from <from> and reads it at <to>; returns whether it
 * arrived intact. */
bool fix_echo(SSL *from, SSL *to, const char *msg);
void fix_end_free(struct fix_end *e);
void fix_close(int fd[2]);

/* The serial of <x> as a hex string (static buffer of the caller). */
void fix_serial(X509 *x, char *buf, size_t n);

#endif
