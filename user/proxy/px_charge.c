// SPDX-License-Identifier: Apache-2.0
/* Captured calls' outcomes into the kernel's outlier state (px_charge.h). */
#include "px_charge.h"
#include "../dataplane/dataplane.h"
#include "px_int.h"

uint32_t px_charge_result(int status)
{
	if (status == 200)
		return IM_OUTCOME_SUCCESS;
	if (status == 401 || status == 403)
		return 0;
	return IM_OUTCOME_FAILURE;
}

void px_charge_arm(struct px_charge *c, const struct im_capture *cap)
{
	*c = (struct px_charge){ .slot = cap->slot, .epoch = cap->epoch,
				 .armed = !!(cap->flags & IM_CAP_BALANCED) };
}

void px_charge_settle(struct px_worker *w, struct px_charge *c, int status)
{
	uint32_t result = px_charge_result(status);
	int fd = w->e->conf.outcome_fd, ret;

	if (!c->armed)
		return;
	c->armed = false;
	if (!result || fd <= 0)
		return;
	ret = dp_outcome(fd, c->slot, c->epoch, result);
	if (ret < 0)
		w->cnt.charge_errors++;
	else if (ret == IM_OUTCOME_STALE)
		w->cnt.charge_stale++;
	else if (result == IM_OUTCOME_SUCCESS)
		w->cnt.charged_ok++;
	else
		w->cnt.charged_fail++;
	if (ret == IM_OUTCOME_EJECTED)
		w->cnt.ejections++;
}
