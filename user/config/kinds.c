// SPDX-License-Identifier: Apache-2.0
#include "kinds.h"

#include <string.h>

static const char *const v_security[] = { "v1", "v1beta1", NULL };
static const char *const v_networking[] = { "v1", "v1beta1", "v1alpha3", NULL };
static const char *const v_telemetry[] = { "v1", "v1alpha1", NULL };
static const char *const v_core[] = { "v1", NULL };
static const char *const v_operator[] = { "v1alpha1", NULL };

#define SEC "security.istio.io"
#define NET "networking.istio.io"

static const struct kind_info kinds[] = {
	{ K_PEER_AUTHENTICATION, SEC, "PeerAuthentication", v_security,
	  &schema_pa_spec, validate_pa },
	{ K_AUTHORIZATION_POLICY, SEC, "AuthorizationPolicy", v_security,
	  &schema_ap_spec, validate_ap },
	{ K_REQUEST_AUTHENTICATION, SEC, "RequestAuthentication", v_security,
	  &schema_ra_spec, NULL },
	{ K_VIRTUAL_SERVICE, NET, "VirtualService", v_networking,
	  &schema_vs_spec, validate_vs },
	{ K_DESTINATION_RULE, NET, "DestinationRule", v_networking,
	  &schema_dr_spec, validate_dr },
	{ K_SERVICE_ENTRY, NET, "ServiceEntry", v_networking,
	  &schema_se_spec, validate_se },
	{ K_WORKLOAD_ENTRY, NET, "WorkloadEntry", v_networking,
	  &schema_we_spec, validate_we },
	{ K_TELEMETRY, "telemetry.istio.io", "Telemetry", v_telemetry,
	  &schema_telemetry_spec, validate_telemetry },
	{ K_SERVICE, "", "Service", v_core, &schema_k8s_service_spec, NULL },
	{ K_POD, "", "Pod", v_core, &schema_pod_spec, NULL },
	{ K_NAMESPACE, "", "Namespace", v_core, NULL, NULL },
	{ K_NODE, "", "Node", v_core, NULL, NULL },
	{ K_MESH_CONFIG, "install.istio.io", "IstioOperator", v_operator, NULL, NULL },
};

const struct kind_info *kind_lookup(const char *group, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].group, group) && !strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

const struct kind_info *kind_info_of(enum kind k)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == k)
			return &kinds[i];
	return NULL;
}
