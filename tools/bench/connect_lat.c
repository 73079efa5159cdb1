// SPDX-License-Identifier: Apache-2.0
/*
 * connect_lat: the cost of a TCP connect(), for tools/bench-l4.sh.
 *
 * usage: connect_lat IP PORT N [WARMUP]
 *
 * Does WARMUP (default N / 10) untimed, then N timed rounds of socket(),
 * connect(), close(); only connect() is timed (CLOCK_MONOTONIC), since
 * that is where the cgroup/connect4 hook runs. Each socket closes with
 * SO_LINGER 0 (a reset) so that tens of thousands of rounds leave no
 * TIME_WAIT behind to run out of ports. Prints one line:
 *   n N min_us X p50_us X p90_us X p99_us X mean_us X
 * Exits 1 on the first failed connect(): a benchmark of failures is void.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 1000000L

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* One round; returns the connect() time in µs, or -1 (errno set). */
static double one_connect(const struct sockaddr_in *sa)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	double t0, t1;
	int fd, rc, saved;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	t0 = now_us();
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	t1 = now_us();
	saved = errno;
	close(fd);
	errno = saved;
	return rc ? -1 : t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted <v>. */
static double pct(const double *v, long n, double p)
{
	long k = (long)(p / 100.0 * n + 0.999999);

	if (k < 1)
		k = 1;
	return v[(k > n ? n : k) - 1];
}

static void report(double *v, long n)
{
	double sum = 0;
	long i;

	for (i = 0; i < n; i++)
		sum += v[i];
	qsort(v, n, sizeof(*v), cmp_double);
	printf("n %ld min_us %.2f p50_us %.2f p90_us %.2f p99_us %.2f "
	       "mean_us %.2f\n", n, v[0], pct(v, n, 50), pct(v, n, 90),
	       pct(v, n, 99), sum / n);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long n, warm, i;
	double *v, t;

	if (argc < 4 || argc > 5 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: connect_lat IP PORT N [WARMUP]\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	n = atol(argv[3]);
	warm = argc == 5 ? atol(argv[4]) : n / 10;
	if (n < 1 || n > MAX_ROUNDS || warm < 0 || warm > MAX_ROUNDS)
		return 2;
	v = calloc(n, sizeof(*v));
	if (!v)
		return 1;
	for (i = -warm; i < n; i++) {
		t = one_connect(&sa);
		if (t < 0) {
			fprintf(stderr, "connect_lat: connect %s:%s: %s\n",
				argv[1], argv[2], strerror(errno));
			return 1;
		}
		if (i >= 0)
			v[i] = t;
	}
	report(v, n);
	free(v);
	return 0;
}
