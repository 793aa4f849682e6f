/*
 * polus-sign — seal, sign and verify polus patches (common/seal.h).
 *
 *   polus-sign --keygen NAME                 NAME.key (private, 0600) and NAME.pub
 *   polus-sign --key NAME.key PATCH.so...    add a signature (the digest must match)
 *   polus-sign --verify [--keys DIR] PATCH.so...
 *                                            the digest, and with DIR a signature by
 *                                            one of its *.pub keys
 *   polus-sign --seal PATCH.so...            write the digest (drops signatures): for a
 *                                            patch made by hand; polus-mkpatch seals its own
 * Exit codes (common/exitcodes.h): 0, 1 (usage, a corrupt or unsigned patch, a bad key),
 * 4 (libcrypto failed).
 */
#include "cli.h"
#include "exitcodes.h"
#include "seal.h"
#include "version.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define TOOL "polus-sign"

static void usage(FILE *f)
{
	fputs("usage: polus-sign --keygen NAME\n"
	      "       polus-sign --key NAME.key PATCH.so...\n"
	      "       polus-sign --verify [--keys DIR] PATCH.so...\n"
	      "       polus-sign --seal PATCH.so...\n"
	      "       polus-sign --version\n"
	      "Seals and signs polus patches (Ed25519, OpenSSL). polus-mkpatch seals every patch\n"
	      "(a SHA-256 of all its bytes); polus-apply checks the seal, and with\n"
	      "--require-signature DIR a signature by a key of DIR.\n"
	      "  --keygen NAME   create the key pair NAME.key (private) and NAME.pub (public)\n"
	      "  --key FILE      sign each patch with the private key FILE\n"
	      "  --verify        check each patch's digest (and with --keys DIR its signature)\n"
	      "  --keys DIR      the trusted public keys (*.pub) for --verify\n"
	      "  --seal          (re)write each patch's digest; its signatures are "
	      "dropped\n" PX_HELP_TEXT,
	      f);
}

static int each(int argc, char **argv, int (*fn)(const char *, const char *), const char *arg)
{
	int rc = 0;
	if (optind >= argc)
		return cli_fail(TOOL, 0, PX_INPUT, "no patch given (see --help)");
	for (int i = optind; i < argc; i++) {
		int r = fn(argv[i], arg);
		rc = rc ? rc : r;
	}
	return rc;
}

static int do_sign(const char *path, const char *key)
{
	char err[1024];
	int rc = seal_sign(path, key, err, sizeof(err));
	if (rc)
		return cli_fail(TOOL, 0, rc, "%s", err);
	printf("signed %s\n", path);
	return 0;
}

static int do_verify(const char *path, const char *keys)
{
	char err[1024];
	struct seal_info si;
	int rc = seal_check_file(path, keys, &si, err, sizeof(err));
	if (rc)
		return cli_fail(TOOL, 0, rc, "%s", err);
	printf("%s: sha256 %s ok, %zu signature%s%s%s\n", path, si.digest, si.nsigs,
	       si.nsigs == 1 ? "" : "s", si.ntrusted ? ", trusted: " : "", si.signer);
	return 0;
}

static int do_seal(const char *path, const char *unused)
{
	char err[1024];
	(void)unused;
	int rc = seal_write_digest(path, err, sizeof(err));
	return rc ? cli_fail(TOOL, 0, rc, "%s", err) : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"keygen", required_argument, 0, 'g'}, {"key", required_argument, 0, 'k'},
	    {"verify", no_argument, 0, 'v'},	   {"keys", required_argument, 0, 'K'},
	    {"seal", no_argument, 0, 's'},	   {"help", no_argument, 0, 'h'},
	    {"version", no_argument, 0, 'V'},	   {0, 0, 0, 0}};
	const char *keygen = NULL, *key = NULL, *keys = NULL;
	int c, verify = 0, seal = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			keygen = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'v':
			verify = 1;
			break;
		case 'K':
			keys = optarg;
			break;
		case 's':
			seal = 1;
			break;
		case 'h':
			usage(stdout);
			return PX_OK;
		case 'V':
			px_version_print(stdout, TOOL);
			return PX_OK;
		default:
			return cli_fail(TOOL, 0, PX_INPUT,
					"unknown option or missing argument %s (see --help)",
					argv[optind - 1]);
		}
	}
	if (!!keygen + !!key + verify + seal != 1 || (keys && !verify))
		return cli_fail(TOOL, 0, PX_INPUT,
				"give one of --keygen, --key, --verify, --seal (see --help)");
	if (keygen) {
		char err[1024], id[17];
		if (optind != argc)
			return cli_fail(TOOL, 0, PX_INPUT, "--keygen takes only NAME");
		int rc = seal_keygen(keygen, id, sizeof(id), err, sizeof(err));
		if (rc)
			return cli_fail(TOOL, 0, rc, "%s", err);
		printf("key %s: %s.key (private: keep it secret), %s.pub (public: give it to "
		       "polus-apply --require-signature DIR)\n",
		       id, keygen, keygen);
		return 0;
	}
	if (key)
		return each(argc, argv, do_sign, key);
	if (verify)
		return each(argc, argv, do_verify, keys);
	return each(argc, argv, do_seal, NULL);
}
