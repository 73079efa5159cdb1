// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "lane_util.h"

int lane_passed, lane_failed;

int lane_report(const char *name, const char *why)
{
	if (why) {
		printf("LANE case %s FAIL %s\n", name, why);
		lane_failed++;
	} else {
		printf("LANE case %s ok\n", name);
		lane_passed++;
	}
	fflush(stdout);
	return why ? -1 : 0;
}

long long lane_tls_stat(const char *name)
{
	FILE *f = fopen("/proc/net/tls_stat", "r");
	char key[64];
	long long v, found = -1;

	while (f && fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	if (f)
		fclose(f);
	return found;
}

int lane_result(void)
{
	printf("LANE RESULT passed=%d failed=%d\n", lane_passed, lane_failed);
	return lane_failed ? 1 : 0;
}
