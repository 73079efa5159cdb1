/* SPDX-License-Identifier: Apache-2.0 */
/* What the TLS benchmarks (tls_handshake.c, hbone_stream.c) set up the
 * same way: a CA and SVIDs in memory, made by user/tls as the agent makes
 * them, and a loopback listener. */
#ifndef IM_BENCH_PKI_H
#define IM_BENCH_PKI_H

#include <netinet/in.h>

#include "tls/ca.h"
#include "tls/ctx.h"

/* A self-signed P-256 CA valid for two hours. 0 or -1. */
int bench_ca_make(struct tls_ca *ca);
/* The mesh's context for a fresh SVID spiffe://cluster.local/ns/bench/sa/
 * <sa>, with options <o>. NULL on error. */
struct tls_ctx *bench_ctx(const struct tls_ca *ca, const char *sa,
			  const struct tls_ctx_opts *o);
/* A listening socket on 127.0.0.1, an ephemeral port, written to *addr.
 * The fd, or -1. */
int bench_listen_lo(struct sockaddr_in *addr, int backlog);

#endif
