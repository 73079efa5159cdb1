// SPDX-License-Identifier: Apache-2.0
#include "analyze.h"
#include "common.h"

#include <string.h>

/* Names as Istio's analyzers report them (istioctl analyze's tests), so
 * `--analyzer` takes what Istio users know. */
const struct analyzer analyzers[] = {
	{ "authz.AuthorizationPoliciesAnalyzer", analyze_authz_policies },
	{ "destinationrule.CaCertificateAnalyzer", analyze_dr_ca_certificates },
	{ "destinationrule.PodNotSelectedAnalyzer", analyze_dr_pods },
	{ "serviceentry.ProtocolAddressesAnalyzer", analyze_se_addresses },
	{ "serviceentry.ConflictingServiceEntryProtocolAnalyzer",
	  analyze_se_conflicting_protocol },
	{ "telemetry.ProviderAnalyzer", analyze_telemetry_providers },
	{ "telemetry.SelectorAnalyzer", analyze_telemetry_selectors },
	{ "telemetry.DefaultSelectorAnalyzer",
	  analyze_telemetry_default_selectors },
	{ "telemetry.LightstepAnalyzer", analyze_telemetry_lightstep },
	{ "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
	  analyze_vs_conflicting_mesh_hosts },
	{ "virtualservice.DestinationHostAnalyzer", analyze_vs_destination_hosts },
	{ "virtualservice.DestinationRuleAnalyzer", analyze_vs_destination_rules },
	{ "virtualservice.JWTClaimRouteAnalyzer", analyze_vs_jwt_claim_route },
	{ "infermesh.Pitfalls", analyze_pitfalls },
};
const size_t n_analyzers = sizeof(analyzers) / sizeof(analyzers[0]);

void analyze_all(struct config *c)
{
	size_t i;

	for (i = 0; i < n_analyzers; i++)
		analyzers[i].run(c);
}

int analyze_one(struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < n_analyzers; i++) {
		if (!strcmp(analyzers[i].name, name)) {
			analyzers[i].run(c);
			return 0;
		}
	}
	return -1;
}
