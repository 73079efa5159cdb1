/* SPDX-License-Identifier: Apache-2.0 */
/* The service registry a mesh sees: services (Kubernetes Services and
 * ServiceEntry hosts) and workloads (Pods, WorkloadEntries and ServiceEntry
 * inline endpoints), with hosts resolved the way Istio resolves them. */
#ifndef IM_REGISTRY_H
#define IM_REGISTRY_H

#include "../config/object.h"
#include "../util/hmap.h"

struct svc_port_info {
	uint32_t port;        /* service port */
	uint32_t target_port; /* workload port (0: same as port, or named) */
	const char *name;     /* may be NULL */
	const char *protocol; /* Istio protocol from name/appProtocol/protocol:
			       * "HTTP", "HTTP2", "GRPC", "TCP", "TLS", ... */
};

struct service {
	const char *host;     /* FQDN: name.ns.svc.<domain>, or the SE host */
	const char *name;     /* short name (Service) or host (SE) */
	const char *ns;
	const struct object *obj; /* the Service or ServiceEntry */
	struct svc_port_info *ports;
	size_t n_ports;
	const char *vip;      /* cluster IP or first SE address; may be NULL */
	bool external;        /* ServiceEntry MESH_EXTERNAL */
	const struct kvs *selector; /* Service selector / SE workloadSelector */
	/* SE exportTo, or a Service's networking.istio.io/exportTo
	 * annotation split at commas; NULL or empty: everywhere */
	const struct strs *export_to;
	const struct se_spec *se;     /* the ServiceEntry, NULL for a Service */
	/* the workloads registry_selects picks for it, in registry order
	 * (elements are const struct workload *), found once at build */
	struct hlist endpoints;
};

struct workload {
	const struct object *obj; /* Pod, WorkloadEntry, or the SE (inline) */
	const char *name, *ns;
	const struct kvs *labels;
	const char *service_account; /* "default" when unset */
	const char *address;
	const char *locality;        /* region/zone/subzone, may be NULL */
	const char *node;            /* annotation infermesh.io/node, Pod nodeName */
	const char *cgroup;          /* annotation infermesh.io/cgroup */
	uint32_t weight;
	const struct we_spec *we;    /* WorkloadEntry or inline endpoint */
	const struct kvs *node_labels; /* labels of the Node it runs on */
	const char *hostname;          /* Pod spec.nodeName (not annotated) */
};

struct registry {
	struct service *svcs;
	size_t n_svcs;
	struct workload *wls;
	size_t n_wls;
	const char *domain; /* cluster domain suffix: "cluster.local" */
	/* indexes, built with the registry (lookups without a scan) */
	struct hmap by_host;  /* host -> services, registry order */
	struct hmap by_fqdn;  /* host resolved in its namespace -> services */
	struct hlist wild_ses; /* ServiceEntry services of a wildcard host */
	struct hmap svc_ns;   /* namespace -> services, registry order */
	struct hmap wl_ns;    /* namespace -> workloads, registry order */
	struct hmap wl_label; /* (ns, label key, value) -> workloads */
};

/* Builds the registry from the valid objects of <c> (arena-allocated). */
void registry_build(struct registry *r, struct config *c);
/* Same from every object that decoded, valid or not: istioctl's analyzers
 * see what the user wrote, including objects the webhook would reject. */
void registry_build_all(struct registry *r, struct config *c);
/* Istio's host resolution: "reviews" in ns "default" ->
 * "reviews.default.svc.cluster.local"; FQDNs and wildcards unchanged. */
const char *registry_fqdn(struct arena *a, const struct registry *r,
			  const char *host, const char *ns);
/* Exact FQDN lookup (first match; Services before ServiceEntries). */
const struct service *registry_service(const struct registry *r,
				       const char *fqdn);
/* Every service filed under exactly <host>, in registry order (Services
 * before ServiceEntries); elements are const struct service *. */
void *const *registry_host_services(const struct registry *r,
				    const char *host, size_t *n);
/* Every service whose host resolves to <fqdn> in the service's namespace
 * (a ServiceEntry may write a short name), in registry order. */
void *const *registry_fqdn_services(const struct registry *r,
				    const char *fqdn, size_t *n);
/* The services of namespace <ns>, in registry order. */
void *const *registry_ns_services(const struct registry *r, const char *ns,
				  size_t *n);
/* The workloads of namespace <ns>, in registry order (elements are const
 * struct workload *): every endpoint registry_selects can give a service
 * of <ns> is among them, so endpoint scans need look nowhere else. */
void *const *registry_ns_workloads(const struct registry *r, const char *ns,
				   size_t *n);
/* Workloads of namespace <ns>, in registry order, among which are all
 * those whose own labels match <sel> (labels_match), ServiceEntry inline
 * endpoints aside: with a selector, the ones carrying its rarest label
 * pair; without, the whole namespace. Callers still test each one. */
void *const *registry_selector_candidates(const struct registry *r,
					  const char *ns,
					  const struct kvs *sel, size_t *n);
/* Whether workload <w> is an endpoint of service <s>. */
bool registry_selects(const struct service *s, const struct workload *w);
/* A workload label as istiod sees it: its own labels, then the
 * topology.kubernetes.io/{region,zone} and topology.istio.io/subzone labels
 * of its Node and kubernetes.io/hostname (istiod adds them to endpoints). */
const char *registry_label(const struct workload *w, const char *key);
/* Every key/value of <sel> is a label of <w> (registry_label). */
bool registry_labels_match(const struct kvs *sel, const struct workload *w);
/* Istio protocol ("HTTP", "GRPC", ...) of a port from its appProtocol, its
 * name prefix ("http-web") or its declared protocol; "UNSUPPORTED" when
 * none says (Istio then sniffs the protocol at runtime). */
const char *registry_port_protocol(const char *app_protocol, const char *name,
				   const char *protocol);
/* Whether the namespace <ns> can see something exported to <export_to>
 * from <owner_ns> (empty list or "*": everywhere, ".": its own ns). */
bool registry_exported_to(const struct strs *export_to, const char *owner_ns,
			  const char *ns);

#endif
