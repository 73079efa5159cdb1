// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * im_outcome: the agent's proxy charges a captured call's outcome to the
 * host connect4 chose for it (struct im_outcome, dataplane.h), run by the
 * agent with BPF_PROG_TEST_RUN (user/dataplane/outcome.c). In the kernel,
 * not in the agent, because the state is sockops': its counts change by
 * atomic operations while sockets come and go, which a userspace
 * read-modify-write of the map value would undo; and so that one
 * implementation (lib/outlier.h) decides ejections for both paths.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lib/config.h"
#include "lib/maps.h"
#include "lib/outlier.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Returns enum im_outcome_ret. */
SEC("syscall")
int im_outcome(struct im_outcome *o)
{
	struct im_ep_state *st;

	if (o->result == IM_OUTCOME_FAILURE)
		return im_outlier_fail(o->slot, o->epoch);
	if (o->result != IM_OUTCOME_SUCCESS)
		return IM_OUTCOME_STALE;
	st = im_slot_state(o->slot);
	if (!st || st->epoch != o->epoch)
		return IM_OUTCOME_STALE;
	im_outlier_success(st);
	return IM_OUTCOME_COUNTED;
}
