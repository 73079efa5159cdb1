// SPDX-License-Identifier: Apache-2.0
/* Hostile files and paths: sizes, emptiness, directories that loop, paths
 * that cannot be read, and the exit status `infermesh analyze` gives them. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files.h"

#define POD(name) "apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: n}\n"

/* A 100 MiB file is refused from its size alone: it is never read, so the
 * test stays fast (the file is sparse), and the message says why. */
static void huge_file_refused(void)
{
	const char *dir = tmp_new();
	const char *p = tmp_puts(dir, "huge.yaml", POD("a"));
	const char *args[] = { p, NULL };
	const struct finding *f;
	struct config *c;
	int rc;

	CU_ASSERT_EQUAL_FATAL(truncate(p, 100 << 20), 0);
	c = load_file_cli(p, &rc);
	f = expect_code(c, "IM0009", 1, 1);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(c->n, 0);
	CU_ASSERT_STRING_EQUAL(f->file, p);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "100.0 MiB"));
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "limit is 32 MiB"));
	unit_free(c);
	CU_ASSERT_EQUAL(run_cli(dir, args), 2);
	CU_ASSERT(cli_output_has(dir, "IM0009"));
	tmp_rm(dir);
}

/* Files with no object: a warning, not an error, as for istioctl. */
static void nothing_in_file(void)
{
	static const char *const texts[] = {
		"", "\n\n\n", "# only a comment\n# and another\n", "---\n",
		"---\n---\n...\n", "~\n", "--- # comment\n",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *dir = tmp_new();
		const char *args[] = { tmp_puts(dir, "e.yaml", texts[i]), NULL };
		struct config *c;
		int rc;

		c = load_file_cli(args[0], &rc);
		expect_code(c, "IM0010", 1, 1);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(c->n, 0);
		CU_ASSERT_EQUAL(c->diag.n_err, 0);
		unit_free(c);
		CU_ASSERT_EQUAL(run_cli(dir, args), 0);
		tmp_rm(dir);
	}
}

/* --mesh-config with an empty, a broken and a missing file. */
static void bad_mesh_config_file(void)
{
	const char *dir = tmp_new();
	struct config c;
	char p[4300];

	config_init(&c);
	CU_ASSERT_EQUAL(config_load_mesh_file(&c, tmp_puts(dir, "m.yaml", "# none\n")), 0);
	CU_ASSERT_EQUAL(expect_code(&c, "IM0010", 1, 1)->sev, SEV_WARNING);
	CU_ASSERT_EQUAL(config_load_mesh_file(&c, tmp_puts(dir, "b.yaml",
							   "rootNamespace: [x\n")), -1);
	expect_code(&c, "IM0002", 2, 1);
	snprintf(p, sizeof(p), "%s/missing.yaml", dir);
	CU_ASSERT_EQUAL(config_load_mesh_file(&c, p), -1);
	expect_code(&c, "IM0009", 1, 1);
	CU_ASSERT_STRING_EQUAL(c.root_ns, "istio-system");
	config_free(&c);
	tmp_rm(dir);
}

/* A document that is YAML but not an object. */
static void not_an_object(void)
{
	struct config *c = unit_load("- a\n- b\n---\njust a string\n---\n"
				     "kind: Pod\nmetadata: {name: x}\n---\n"
				     "apiVersion: v1\nkind:\n---\n"
				     "apiVersion: v1\nkind: \"\"\n");

	CU_ASSERT_EQUAL(unit_count_code(c, "IM0103"), 5);
	/* a null or empty kind is a missing kind */
	CU_ASSERT_PTR_NOT_NULL(strstr(expect_code(c, "IM0103", 9, 1)->msg, "no kind"));
	CU_ASSERT_PTR_NOT_NULL(strstr(expect_code(c, "IM0103", 12, 1)->msg, "no kind"));
	CU_ASSERT_EQUAL(unit_count_code(c, "IM0102"), 0);
	expect_code(c, "IM0103", 1, 1);
	expect_code(c, "IM0103", 4, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(expect_code(c, "IM0103", 6, 1)->msg,
				      "apiVersion"));
	CU_ASSERT_EQUAL(c->n, 0);
	unit_free(c);
}

static void long_scalar(void)
{
	char *name = repeat("", "a", 1 << 20, "");
	char *text = malloc((1 << 20) + 256);
	struct config *c;
	struct object *o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	sprintf(text, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\n"
		"spec: {serviceAccountName: %s}\n", name);
	c = unit_load(text);
	o = unit_obj(c, K_POD, "p");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(strlen(obj_pod(o)->service_account_name), 1 << 20);
	unit_free(c);
	free(text);
	free(name);
}

static void many_list_items(void)
{
	char *text = repeat("apiVersion: v1\nkind: Service\n"
			    "metadata: {name: s, namespace: n}\nspec:\n  ports:\n",
			    "  - {port: 80}\n", 100000, "");
	struct config *c = unit_load(text);
	struct object *o = unit_obj(c, K_SERVICE, "s");

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(obj_svc(o)->ports.n, 100000);
	CU_ASSERT_EQUAL(obj_svc(o)->ports.v[99999].port.v, 80);
	CU_ASSERT_EQUAL(obj_svc(o)->ports.v[99999].at->line, 100005);
	unit_free(c);
	free(text);
}

/* Millions of findings took minutes and gigabytes to print: a file stops
 * being read after 10,000, and schema errors stop being reported (still
 * counted) after 100,000 in all. */
static void findings_are_bounded(void)
{
	char *text = repeat("", "a\n---\n", 30000, "");
	struct config *c = unit_load(text);
	const struct finding *f;

	free(text);
	f = expect_code(c, "IM0013", 20003, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "remaining 19999 documents"));
	CU_ASSERT_EQUAL(unit_count_code(c, "IM0103"), 10001);
	unit_free(c);
	text = repeat("apiVersion: v1\nkind: Service\n"
		      "metadata: {name: s, namespace: n}\nspec:\n  clusterIPs: [",
		      "1,", 150000, "1]\n");
	c = unit_load(text);
	free(text);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 100000);
	CU_ASSERT_TRUE(unit_obj(c, K_SERVICE, "s")->invalid);
	unit_free(c);
}

/* Two links back to the top used to make the walk visit 2^16 directories,
 * loading every file each time; a link to itself was skipped silently; a
 * directory reached twice was read twice. */
static void symlink_loops(void)
{
	const char *dir = tmp_new();
	char sub[4200], link[4300];
	struct config *c;
	int rc;

	tmp_puts(dir, "a.yaml", POD("a"));
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
	tmp_puts(sub, "b.yaml", POD("b"));
	snprintf(link, sizeof(link), "%s/up1", sub);
	CU_ASSERT_EQUAL(symlink("..", link), 0);
	snprintf(link, sizeof(link), "%s/up2", sub);
	CU_ASSERT_EQUAL(symlink("..", link), 0);
	/* the same directory twice, without a loop */
	snprintf(link, sizeof(link), "%s/also-sub", dir);
	CU_ASSERT_EQUAL(symlink("sub", link), 0);
	snprintf(link, sizeof(link), "%s/self.yaml", dir);
	CU_ASSERT_EQUAL(symlink("self.yaml", link), 0);
	snprintf(link, sizeof(link), "%s/dangling.yaml", dir);
	CU_ASSERT_EQUAL(symlink("nowhere.yaml", link), 0);

	c = load_file_cli(dir, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(c->n, 2); /* a and b, once each */
	CU_ASSERT_PTR_NOT_NULL(unit_obj(c, K_POD, "a"));
	CU_ASSERT_PTR_NOT_NULL(unit_obj(c, K_POD, "b"));
	/* self.yaml, dangling.yaml, up1, up2 and sub (read as also-sub) */
	CU_ASSERT_EQUAL(unit_count_code(c, "IM0012"), 5);
	CU_ASSERT_EQUAL(expect_code(c, "IM0012", 1, 1)->sev, SEV_WARNING);
	CU_ASSERT_EQUAL(c->diag.n_err, 0);
	unit_free(c);
	tmp_rm(dir);
}

static void check_unreadable(const char *path, const char *why)
{
	struct config *c;
	const struct finding *f;
	int rc;

	c = load_file_cli(path, &rc);
	f = expect_code(c, "IM0009", 1, 1);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_STRING_EQUAL(f->file, path);
	if (!strstr(f->msg, why))
		fprintf(stderr, "\n%s: \"%s\" lacks \"%s\"\n", path, f->msg, why);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, why));
	unit_free(c);
}

/* Loads <path> as user nobody in a child (root reads mode 000 files);
 * returns 0 if that gave IM0009 "Permission denied". */
static int unreadable_as_nobody(const char *path)
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		struct config c;
		const struct finding *f;
		int rc;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		config_init(&c);
		rc = config_load_path(&c, path);
		f = unit_find_code(&c, "IM0009");
		_exit(rc == -1 && f && f->line == 1 &&
		      strstr(f->msg, "Permission denied") ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void unreadable_paths(void)
{
	const char *dir = tmp_new();
	const char *file = tmp_puts(dir, "a.yaml", POD("a"));
	char p[4300];
	const char *args[] = { p, NULL };

	snprintf(p, sizeof(p), "%s/missing.yaml", dir);
	check_unreadable(p, "No such file");
	CU_ASSERT_EQUAL(run_cli(dir, args), 2);
	CU_ASSERT(cli_output_has(dir, "IM0009"));
	snprintf(p, sizeof(p), "%s/x.yaml", file); /* under a regular file */
	check_unreadable(p, "Not a directory");
	/* a FIFO must not block the open waiting for a writer */
	snprintf(p, sizeof(p), "%s/fifo.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(p, 0600), 0);
	check_unreadable(p, "not a regular file");
	check_unreadable("/dev/null", "not a regular file");
	/* mode 000: a file, then the directory holding it */
	CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
	CU_ASSERT_EQUAL(chmod(file, 0), 0);
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(unreadable_as_nobody(file), 0);
	} else {
		check_unreadable(file, "Permission denied");
	}
	CU_ASSERT_EQUAL(chmod(dir, 0), 0);
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(unreadable_as_nobody(dir), 0);
	} else {
		check_unreadable(dir, "Permission denied");
	}
	tmp_rm(dir);
}

static void json_file(void)
{
	const char *dir = tmp_new();
	struct config *c;
	int rc;

	tmp_puts(dir, "se.json",
		 "{\"apiVersion\": \"networking.istio.io/v1\", \"kind\": "
		 "\"ServiceEntry\", \"metadata\": {\"name\": \"j\", \"namespace\""
		 ": \"n\"}, \"spec\": {\"hosts\": [\"a.example.com\"], \"ports\": "
		 "[{\"number\": 443, \"name\": \"tls\", \"protocol\": \"TLS\"}], "
		 "\"resolution\": \"DNS\"}}\n");
	tmp_puts(dir, "list.json", "[{\"apiVersion\": \"v1\"}]\n");
	tmp_puts(dir, "broken.json", "{\"apiVersion\": \"v1\",\n \"kind\" \"Pod\"}\n");
	c = load_file_cli(dir, &rc);
	CU_ASSERT_EQUAL(rc, -1); /* broken.json could not be read */
	CU_ASSERT_PTR_NOT_NULL_FATAL(unit_obj(c, K_SERVICE_ENTRY, "j"));
	CU_ASSERT_EQUAL(obj_se(unit_obj(c, K_SERVICE_ENTRY, "j"))->ports.v[0].number.v, 443);
	CU_ASSERT_EQUAL(obj_se(unit_obj(c, K_SERVICE_ENTRY, "j"))->resolution.v, RES_DNS);
	CU_ASSERT_STRING_EQUAL(expect_code(c, "IM0002", 2, 9)->file + strlen(dir),
			       "/broken.json");
	CU_ASSERT_PTR_NOT_NULL(strstr(expect_code(c, "IM0103", 1, 1)->file, "list.json"));
	unit_free(c);
	tmp_rm(dir);
}

/* `infermesh analyze` exits 2 when nothing could be used, 1 when a file
 * that was read holds errors. */
static void cli_exit_codes(void)
{
	const char *dir = tmp_new();
	const char *junk = tmp_write(dir, "junk.yaml", "\x01\x02\x03", 3);
	const char *syntax = tmp_puts(dir, "syntax.yaml", "a: [\n");
	const char *mixed = tmp_puts(dir, "mixed.yaml",
				     POD("ok") "---\nkind: [\n");
	const char *a1[] = { junk, NULL }, *a2[] = { syntax, NULL };
	const char *a3[] = { mixed, NULL }, *a4[] = { "-o", "json", junk, NULL };

	CU_ASSERT_EQUAL(run_cli(dir, a1), 2);
	CU_ASSERT(cli_output_has(dir, "IM0011"));
	CU_ASSERT_EQUAL(run_cli(dir, a2), 2);
	CU_ASSERT(cli_output_has(dir, "syntax.yaml:2:1"));
	CU_ASSERT_EQUAL(run_cli(dir, a3), 1);
	CU_ASSERT(cli_output_has(dir, "IM0002"));
	CU_ASSERT_EQUAL(run_cli(dir, a4), 2);
	CU_ASSERT(cli_output_has(dir, "\"code\": \"IM0011\""));
	tmp_rm(dir);
}

UNIT_SUITE(badinput_files)
{
	UNIT_TEST(s, huge_file_refused);
	UNIT_TEST(s, nothing_in_file);
	UNIT_TEST(s, bad_mesh_config_file);
	UNIT_TEST(s, not_an_object);
	UNIT_TEST(s, long_scalar);
	UNIT_TEST(s, many_list_items);
	UNIT_TEST(s, findings_are_bounded);
	UNIT_TEST(s, symlink_loops);
	UNIT_TEST(s, unreadable_paths);
	UNIT_TEST(s, json_file);
	UNIT_TEST(s, cli_exit_codes);
}
