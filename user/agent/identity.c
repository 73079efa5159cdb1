// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>

#include "../tls/ktls.h"
#include "context.h"
#include "identity.h"

int agent_identity_open(struct agent *a)
{
	/* Where the kernel has kTLS the tunnels move to it after the
	 * handshake, and a session ticket sent then would land in the
	 * kernel's RX path (read() fails with EIO at it): no tickets there,
	 * resumption only where OpenSSL keeps the data path. */
	struct tls_ctx_opts o = {
		.resume = true,
		.no_tickets = ktls_kernel_has_tls(NULL, 0) == 1,
	};
	unsigned int ttl = a->o.svid_ttl ?: SVID_TTL_DEFAULT;
	char why[1024] = "";
	int err;

	err = a->o.ca_dir ? tls_ca_load(&a->ca, a->o.ca_dir, why, sizeof(why))
			  : tls_ca_builtin(&a->ca, a->paths.state_dir, why,
					   sizeof(why));
	if (err) {
		fprintf(stderr, "infermesh agent %s: CA: %s\n", a->o.node, why);
		return err;
	}
	a->ca_open = true;
	err = tls_idents_init(&a->idents, &a->ca, ttl, &o);
	if (err) {
		fprintf(stderr, "infermesh agent %s: --svid-ttl %u: at least "
			"%u seconds\n", a->o.node, ttl, SVID_TTL_MIN);
		return err;
	}
	a->idents_open = true;
	agent_log(a, "CA: %s%s; SVIDs live %u s, renewed at half-life",
		  a->o.ca_dir ? a->o.ca_dir : a->paths.state_dir,
		  a->o.ca_dir ? "" : "/" CA_BUILTIN_SUBDIR " (built-in)",
		  ttl);
	return 0;
}

void agent_identity_close(struct agent *a)
{
	if (a->idents_open)
		tls_idents_free(&a->idents);
	if (a->ca_open)
		tls_ca_free(&a->ca);
	a->idents_open = a->ca_open = false;
}
