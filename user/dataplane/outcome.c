// SPDX-License-Identifier: Apache-2.0
/* A captured call's outcome into the kernel's outlier state (dataplane.h,
 * bpf/outcome.bpf.c). */
#include <bpf/bpf.h>
#include <errno.h>

#include "dataplane.h"

int dp_outcome(int prog_fd, uint32_t slot, uint32_t epoch, uint32_t result)
{
	struct im_outcome o = { .slot = slot, .epoch = epoch,
				.result = result };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &o,
		    .ctx_size_in = sizeof(o));

	if (prog_fd < 0)
		return -EBADF;
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return (int)opts.retval;
}
