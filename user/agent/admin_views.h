/* SPDX-License-Identifier: Apache-2.0 */
/* What the admin socket answers (admin_views*.c), as JSON. */
#ifndef IM_AGENT_ADMIN_VIEWS_H
#define IM_AGENT_ADMIN_VIEWS_H

#include <jansson.h>
#include <openssl/x509.h>

#include "admin.h"

struct agent;

/* The answer to the request line of <len> bytes at <req> (without its
 * '\n'; NULL: one longer than ADMIN_REQ_MAX): the view, or {"error": ...}
 * for a line that is not a request (counted in <n>). NULL without
 * memory. */
json_t *admin_answer(struct agent *a, const char *req, size_t len,
		     struct admin_counters *n);

/* The views (admin_views.c, admin_secrets.c). */
json_t *admin_view_status(struct agent *a);
json_t *admin_view_secrets(struct agent *a);
json_t *admin_view_tunnels(struct agent *a);
json_t *admin_view_refusals(struct agent *a);

/* The mTLS proxy (admin_proxy.c): on or off and why; its tunnels, one
 * object each (direction, addresses, identities, streams, bytes, crypto
 * path and why); its refusal counters as refusal rows; its traffic. */
struct px_tunnel;
struct px_counters;
json_t *admin_mtls(struct agent *a);
json_t *admin_tunnel(const struct px_tunnel *t);
json_t *admin_tunnels(struct agent *a);
void admin_px_refusals(json_t *rows, const struct px_counters *c);
json_t *admin_px_traffic(const struct px_counters *c);

/* The CA's trust anchors (admin_secrets.c). */
struct tls_ca;
json_t *admin_roots(const struct tls_ca *ca);

/* Certificates as the views show them (admin_cert.c): subject, issuer,
 * serial (hex, as `openssl x509 -serial`), validity (RFC 3339 UTC and
 * Unix seconds). */
json_t *admin_cert(X509 *x);
/* Its subject alternative names: "URI:spiffe://...", "DNS:...". */
json_t *admin_cert_sans(X509 *x);
/* <t> as "2026-12-03T13:14:54Z"; <buf> of 24 bytes at least. */
void admin_time(time_t t, char *buf, size_t n);

#endif
