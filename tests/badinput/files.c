// SPDX-License-Identifier: Apache-2.0
/* Temporary files and the CLI runner for the hostile-input tests. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze/analyze.h"
#include "files.h"

const char *tmp_new(void)
{
	static char dirs[8][4096];
	static unsigned next;
	const char *base = getenv("TMPDIR");
	char *d = dirs[next++ % 8];

	snprintf(d, sizeof(dirs[0]), "%s/im-badinput-XXXXXX",
		 base && *base ? base : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(d));
	return d;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	/* restore permissions a test took away, so removal works */
	if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return remove(path);
}

void tmp_rm(const char *dir)
{
	chmod(dir, 0700);
	CU_ASSERT_EQUAL(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

const char *tmp_write(const char *dir, const char *name, const void *buf,
		      size_t len)
{
	static char paths[8][4096];
	static unsigned next;
	char *p = paths[next++ % 8];
	FILE *f;

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	f = fopen(p, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
	CU_ASSERT_EQUAL(fclose(f), 0);
	return p;
}

const char *tmp_puts(const char *dir, const char *name, const char *text)
{
	return tmp_write(dir, name, text, strlen(text));
}

char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * n + tl + 1), *p = s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memcpy(p, head, hl);
	p += hl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

void junk_bytes(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed ? seed : 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)(x >> 24);
	}
}

struct config *load_file_cli(const char *path, int *rc)
{
	struct config *c = malloc(sizeof(*c));

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	config_init(c);
	*rc = config_load_path(c, path);
	config_validate(c);
	analyze_all(c);
	return c;
}

const struct finding *expect_code(const struct config *c, const char *code,
				  unsigned line, unsigned col)
{
	const struct finding *f = NULL;
	size_t i;

	/* the first one at the wanted place, or the first one at all */
	for (i = 0; i < c->diag.n && !f; i++)
		if (!strcmp(c->diag.v[i].code, code) &&
		    (!line || c->diag.v[i].line == line) &&
		    (!col || c->diag.v[i].col == col))
			f = &c->diag.v[i];
	if (!f) {
		fprintf(stderr, "\nwanted %s at %u:%u; got:\n", code, line, col);
		unit_dump(c);
		CU_FAIL_FATAL("expected finding missing");
	}
	CU_ASSERT_PTR_NOT_NULL(f->file);
	CU_ASSERT(f->line >= 1);
	CU_ASSERT(f->col >= 1);
	CU_ASSERT_PTR_NOT_NULL(f->msg);
	return f;
}

/* $(OUT)/infermesh-san: this program is $(OUT)/tests/badinput */
static int cli_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 32);
	char *slash;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	strcpy(slash, "/infermesh-san");
	return access(buf, X_OK);
}

int run_cli(const char *dir, const char *const *args)
{
	char bin[4096], out[4096];
	const char *argv[16] = { "infermesh-san", "analyze" };
	int st, fd, i;
	pid_t pid;

	if (cli_path(bin, sizeof(bin))) {
		fprintf(stderr, "\n*** %s missing: build it first ***\n", bin);
		return -1;
	}
	for (i = 0; args[i] && i < 13; i++)
		argv[i + 2] = args[i];
	snprintf(out, sizeof(out), "%s/cli.out", dir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int cli_output_has(const char *dir, const char *s)
{
	char path[4096], *buf;
	FILE *f;
	long n;
	int found;

	snprintf(path, sizeof(path), "%s/cli.out", dir);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	found = buf && fread(buf, 1, (size_t)n, f) == (size_t)n && strstr(buf, s);
	fclose(f);
	free(buf);
	return found;
}
