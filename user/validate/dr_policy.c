// SPDX-License-Identifier: Apache-2.0
/* DestinationRule traffic policies, after Istio's validateTrafficPolicy,
 * validateOutlierDetection, validateConnectionPool,
 * validatePortTrafficPolicies, validateTunnelSettings and agent.ValidateTLS.
 * Load balancing is in dr_lb.c. */
#include "networking.h"

#include <stdio.h>
#include <string.h>

static void outlier(const struct vctx *x, const struct outlier_detection *od,
		    const char *path)
{
	char p[VP_LEN];

	if (!od->at)
		return;
	v_duration(x, od->at, "baseEjectionTime", &od->base_ejection_time,
		   vp(p, "%s.baseEjectionTime", path));
	if (od->consecutive_errors.set && od->consecutive_errors.v)
		v_warn(x->c, x->o, vnode(od->at, "consecutiveErrors"),
		       vp(p, "%s.consecutiveErrors", path),
		       "Use consecutive5xxErrors or consecutiveGatewayErrors.",
		       "outlier detection consecutive errors is deprecated, use "
		       "consecutiveGatewayErrors or consecutive5xxErrors instead");
	if (!od->split_external_local_origin_errors.v &&
	    od->consecutive_local_origin_failures.v > 0)
		v_error(x->c, x->o, vnode(od->at, "consecutiveLocalOriginFailures"),
			vp(p, "%s.consecutiveLocalOriginFailures", path),
			"Set splitExternalLocalOriginErrors: true, or remove "
			"consecutiveLocalOriginFailures.",
			"outlier detection consecutive local origin failures is "
			"specified, but split external local origin errors is "
			"set to false");
	v_duration(x, od->at, "interval", &od->interval,
		   vp(p, "%s.interval", path));
	v_percent_int(x, od->at, "maxEjectionPercent", &od->max_ejection_percent,
		      vp(p, "%s.maxEjectionPercent", path));
	v_percent_int(x, od->at, "minHealthPercent", &od->min_health_percent,
		      vp(p, "%s.minHealthPercent", path));
}

/* int32 fields that must not be negative: "<what> must be non-negative" */
static void non_negative(const struct vctx *x, const struct ynode *parent,
			 const char *key, const struct opt_i64 *v,
			 const char *what, const char *path)
{
	char p[VP_LEN];

	vp(p, "%s.%s", path, key);
	if (!v_int32(x, parent, key, v, p))
		return;
	if (v->set && v->v < 0)
		v_error(x->c, x->o, vnode(parent, key), p, "Use 0 or more.",
			"%s must be non-negative", what);
}

static void http_pool(const struct vctx *x, const struct http_pool *h,
		      const char *path)
{
	char p[VP_LEN];

	non_negative(x, h->at, "http1MaxPendingRequests",
		     &h->http1_max_pending_requests, "http1 max pending requests",
		     path);
	non_negative(x, h->at, "http2MaxRequests", &h->http2_max_requests,
		     "http2 max requests", path);
	non_negative(x, h->at, "maxRequestsPerConnection",
		     &h->max_requests_per_connection,
		     "max requests per connection", path);
	non_negative(x, h->at, "maxRetries", &h->max_retries, "max retries",
		     path);
	v_duration(x, h->at, "idleTimeout", &h->idle_timeout,
		   vp(p, "%s.idleTimeout", path));
	if (h->h2_upgrade_policy.set && h->h2_upgrade_policy.v == H2_UPGRADE &&
	    h->use_client_protocol.v)
		v_error(x->c, x->o, vnode(h->at, "useClientProtocol"),
			vp(p, "%s.useClientProtocol", path),
			"Drop useClientProtocol, or h2UpgradePolicy: UPGRADE.",
			"use client protocol must not be true when "
			"H2UpgradePolicy is UPGRADE");
	non_negative(x, h->at, "maxConcurrentStreams",
		     &h->max_concurrent_streams, "max concurrent streams", path);
}

static void tcp_pool(const struct vctx *x, const struct tcp_pool *t,
		     const char *path)
{
	const struct tcp_keepalive *ka = &t->tcp_keepalive;
	char p[VP_LEN];

	non_negative(x, t->at, "maxConnections", &t->max_connections,
		     "max connections", path);
	v_duration(x, t->at, "connectTimeout", &t->connect_timeout,
		   vp(p, "%s.connectTimeout", path));
	v_duration(x, t->at, "maxConnectionDuration",
		   &t->max_connection_duration,
		   vp(p, "%s.maxConnectionDuration", path));
	/* idleTimeout 0s turns the timeout off: allowed */
	if (t->idle_timeout.ns >= 1000000)
		v_duration(x, t->at, "idleTimeout", &t->idle_timeout,
			   vp(p, "%s.idleTimeout", path));
	v_duration(x, ka->at, "time", &ka->time,
		   vp(p, "%s.tcpKeepalive.time", path));
	v_duration(x, ka->at, "interval", &ka->interval,
		   vp(p, "%s.tcpKeepalive.interval", path));
}

static void pool(const struct vctx *x, const struct connection_pool *cp,
		 const char *path)
{
	char p[VP_LEN];

	if (!cp->at)
		return;
	if (!cp->http.at && !cp->tcp.at) {
		v_error(x->c, x->o, cp->at, path, "Add tcp or http settings, or "
			"remove connectionPool.",
			"connection pool must have at least one field");
		return;
	}
	if (cp->http.at)
		http_pool(x, &cp->http, vp(p, "%s.http", path));
	if (cp->tcp.at)
		tcp_pool(x, &cp->tcp, vp(p, "%s.tcp", path));
}

/* ISTIO_MUTUAL uses the mesh certificates: Istio documents the other
 * fields as "must be empty" but does not reject them; they are ignored. */
static void istio_mutual(const struct vctx *x, const struct client_tls *t,
			 const char *path)
{
	const char *f = t->client_certificate ? "clientCertificate" :
			t->private_key ? "privateKey" :
			t->ca_certificates ? "caCertificates" :
			t->credential_name ? "credentialName" :
			t->ca_crl ? "caCrl" : NULL;

	if (f)
		diag_add(&x->c->diag, "IM1351", SEV_WARNING, x->o,
			 vnode(t->at, f), path, "Remove the certificate fields, "
			 "or use mode MUTUAL to present your own certificate.",
			 "tls mode ISTIO_MUTUAL uses the mesh certificates; %s "
			 "is ignored", f);
}

static void client_tls(const struct vctx *x, const struct client_tls *t,
		       const char *path)
{
	int mode = t->mode.v;
	bool cred = t->credential_name && *t->credential_name;

	if (!t->at)
		return;
	if (mode == TLS_ISTIO_MUTUAL)
		istio_mutual(x, t, path);
	if (t->insecure_skip_verify.v && mode == TLS_SIMPLE &&
	    ((t->ca_certificates && *t->ca_certificates) || cred ||
	     t->subject_alt_names.at))
		v_error(x->c, x->o, t->at, path, "Drop insecureSkipVerify, or "
			"the verification settings.", "cannot specify "
			"CaCertificates or CredentialName or SubjectAltNames when "
			"InsecureSkipVerify is set true");
	if (t->insecure_skip_verify.v && mode == TLS_MUTUAL &&
	    ((t->ca_certificates && *t->ca_certificates) ||
	     t->subject_alt_names.at))
		v_error(x->c, x->o, t->at, path, "Drop insecureSkipVerify, or "
			"the verification settings.", "cannot specify "
			"CaCertificates or SubjectAltNames when InsecureSkipVerify "
			"is set true");
	if ((mode == TLS_SIMPLE || mode == TLS_MUTUAL) && cred) {
		if ((t->client_certificate && *t->client_certificate) ||
		    (t->ca_certificates && *t->ca_certificates) ||
		    (t->private_key && *t->private_key) ||
		    (t->ca_crl && *t->ca_crl))
			v_error(x->c, x->o, t->at, path, "Use credentialName or "
				"the file paths, not both.", "cannot specify "
				"client certificates or CA certificate or CA CRL "
				"If credentialName is set");
		return;
	}
	if (mode == TLS_MUTUAL && (!t->client_certificate || !*t->client_certificate))
		v_error(x->c, x->o, t->at, path, "Set clientCertificate and "
			"privateKey, or credentialName.",
			"client certificate required for mutual tls");
	if (mode == TLS_MUTUAL && (!t->private_key || !*t->private_key))
		v_error(x->c, x->o, t->at, path, "Set clientCertificate and "
			"privateKey, or credentialName.",
			"private key required for mutual tls");
}

static void port_policies(const struct vctx *x, const struct traffic_policy *tp,
			  const char *path)
{
	char p[VP_LEN], q[VP_LEN];
	size_t i;

	for (i = 0; i < tp->port_level_settings.n; i++) {
		const struct port_traffic_policy *t = &tp->port_level_settings.v[i];

		vp(p, "%s.portLevelSettings[%zu]", path, i);
		if (!t->port.at)
			v_error(x->c, x->o, t->at, p, "Add port: {number: N}.",
				"portTrafficPolicy must have valid port");
		if (!t->outlier_detection.at && !t->connection_pool.at &&
		    !t->load_balancer.at && !t->tls.at) {
			v_error(x->c, x->o, t->at, p, "Add loadBalancer, "
				"connectionPool, outlierDetection or tls.",
				"port traffic policy must have at least one field");
			continue;
		}
		outlier(x, &t->outlier_detection, vp(q, "%s.outlierDetection", p));
		pool(x, &t->connection_pool, vp(q, "%s.connectionPool", p));
		dr_load_balancer(x, &t->load_balancer, &t->outlier_detection,
				 vp(q, "%s.loadBalancer", p));
		client_tls(x, &t->tls, vp(q, "%s.tls", p));
	}
}

static void tunnel(const struct vctx *x, const struct tunnel *t,
		   const char *path)
{
	const char *host = t->target_host ? t->target_host : "";
	char p[VP_LEN], why[512];
	const char *err;

	if (!t->at)
		return;
	if (t->protocol && *t->protocol && strcmp(t->protocol, "CONNECT") &&
	    strcmp(t->protocol, "POST"))
		v_error(x->c, x->o, vnode(t->at, "protocol"),
			vp(p, "%s.protocol", path), "Use CONNECT or POST.",
			"tunnel protocol must be \"CONNECT\" or \"POST\"");
	if ((err = v_fqdn(host, why, sizeof(why))) && !v_ip(host))
		v_error(x->c, x->o, vnode(t->at, "targetHost"),
			vp(p, "%s.targetHost", path), "Use an FQDN or an IP.",
			"tunnel target host must be valid FQDN or IP address: "
			"%s; %s is not a valid IP", err, host);
	if (!v_port_ok(t->target_port.v))
		v_error(x->c, x->o, vnode(t->at, "targetPort"),
			vp(p, "%s.targetPort", path),
			"Use a port number from 1 to 65535.", "tunnel target "
			"port is invalid: port number %lld must be in the range "
			"1..65535", (long long)t->target_port.v);
}

void dr_traffic_policy(const struct vctx *x, const struct traffic_policy *tp,
		       const char *path)
{
	char p[VP_LEN];

	if (!tp->at)
		return;
	if (!tp->outlier_detection.at && !tp->connection_pool.at &&
	    !tp->load_balancer.at && !tp->tls.at && !tp->port_level_settings.v &&
	    !tp->tunnel.at && !tp->proxy_protocol.at && !tp->retry_budget.at) {
		v_error(x->c, x->o, tp->at, path, "Add a policy, or remove "
			"trafficPolicy.", "traffic policy must have at least one "
			"field");
		return;
	}
	if (tp->tunnel.at && tp->proxy_protocol.at) {
		v_error(x->c, x->o, tp->at, path, "Keep tunnel or proxyProtocol.",
			"tunnel and proxyProtocol must not be set together");
		return;
	}
	outlier(x, &tp->outlier_detection, vp(p, "%s.outlierDetection", path));
	pool(x, &tp->connection_pool, vp(p, "%s.connectionPool", path));
	dr_load_balancer(x, &tp->load_balancer, &tp->outlier_detection,
			 vp(p, "%s.loadBalancer", path));
	client_tls(x, &tp->tls, vp(p, "%s.tls", path));
	port_policies(x, tp, path);
	tunnel(x, &tp->tunnel, vp(p, "%s.tunnel", path));
}
