// SPDX-License-Identifier: Apache-2.0
/* infermesh ca init|check DIR: the mesh CA in Istio's cacerts layout
 * (user/tls/ca.h). `init` makes one for nodes to share (each agent given
 * --ca-dir DIR); `check` says whether the agent could use a directory.
 * Exit status: 0 done/usable, 1 refused (the reason names the file and
 * the fix), 2 bad usage. */
#include <jansson.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "../tls/ca.h"
#include "cli.h"

static const char usage_text[] =
	"usage: infermesh ca init DIR [-o json]\n"
	"       infermesh ca check DIR [-o json]\n"
	"  init   create DIR (0700) with a new self-signed ECDSA P-256 root in\n"
	"         Istio's cacerts layout: ca-key.pem (0600), ca-cert.pem,\n"
	"         cert-chain.pem, root-cert.pem; an existing CA is never\n"
	"         replaced. Give DIR to every node's agent as --ca-dir DIR.\n"
	"  check  load DIR as the agent would and report what it found\n";

/* "Dec  3 10:00:00 2036 GMT" of <t>, for humans and JSON alike. */
static void asn1_time(const ASN1_TIME *t, char *buf, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	int l = b && ASN1_TIME_print(b, t) ? BIO_read(b, buf, (int)n - 1) : 0;

	buf[l > 0 ? l : 0] = 0;
	BIO_free(b);
}

static void report(const struct tls_ca *ca, const char *dir,
		   const struct cli_opts *o)
{
	char subj[256], until[64];

	X509_NAME_oneline(X509_get_subject_name(ca->cert), subj, sizeof(subj));
	asn1_time(X509_get0_notAfter(ca->cert), until, sizeof(until));
	if (o->out == OUT_JSON) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:i}", "dir", dir,
				      "issuer", subj, "not_after", until,
				      "intermediates", sk_X509_num(ca->chain));

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
		return;
	}
	printf("CA in %s: issuer %s, valid until %s, %d intermediate(s) sent "
	       "with each SVID\n", dir, subj, until, sk_X509_num(ca->chain));
}

static int run(const char *verb, const char *dir, const struct cli_opts *o)
{
	char why[1024] = "";
	struct tls_ca ca;

	if (!strcmp(verb, "init") && tls_ca_init(dir, why, sizeof(why))) {
		cli_error(o, "ca init: %s", why);
		return 1;
	}
	if (tls_ca_load(&ca, dir, why, sizeof(why))) {
		cli_error(o, "ca %s: %s", verb, why);
		return 1;
	}
	report(&ca, dir, o);
	tls_ca_free(&ca);
	return 0;
}

int cmd_ca(int argc, char **argv, struct cli_opts *o)
{
	const char *verb = NULL, *dir = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc &&
			   parse_output(argv[i + 1], o)) {
			i++;
		} else if (!verb && (is_prefix(argv[i], "init") ||
				     is_prefix(argv[i], "check"))) {
			verb = argv[i][0] == 'i' ? "init" : "check";
		} else if (verb && !dir && argv[i][0] != '-') {
			dir = argv[i];
		} else {
			break;
		}
	}
	if (i < argc || !verb || !dir) {
		fputs(usage_text, stderr);
		return 2;
	}
	return run(verb, dir, o);
}
