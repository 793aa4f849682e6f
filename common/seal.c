/*
 * seal — the digest and signatures section of a patch (see seal.h). The ELF is read here
 * from its bytes, bounds checked, not through libelf: the seal must be found (or its
 * absence told) in any file, however corrupt, before anything else trusts it.
 */
#include "seal.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "formats.h"
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIG_PREFIX "polus-patch-sha256:"

struct seal_sig {
	char keyid[17];
	uint8_t sig[64];
};

struct seal_text {
	char digest[65];
	struct seal_sig sigs[SEAL_MAX_SIGS];
	size_t nsigs;
};

static int read_all(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return px_err(err, errlen, PX_INPUT, "%s: %s", path, strerror(e));
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	size_t got = 0;
	while (*buf && got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!*buf || got != *len) {
		free(*buf);
		*buf = NULL;
		return px_err(err, errlen, PX_INPUT, "%s: cannot read it", path);
	}
	return 0;
}

/* The file range of the seal section: 0, or PX_INPUT when the ELF has none (or is too
 * broken to find it). */
static int find_seal(const uint8_t *b, size_t len, size_t *off, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)b;
	if (len < sizeof(*eh) || memcmp(b, ELFMAG, SELFMAG) || b[EI_CLASS] != ELFCLASS64)
		return px_err(err, errlen, PX_INPUT, "not a 64-bit ELF file");
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum ||
	    eh->e_shoff > len || (len - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return px_err(err, errlen, PX_INPUT, "its section headers are corrupt");
	Elf64_Shdr sh[1], str[1];
	memcpy(str, b + eh->e_shoff + eh->e_shstrndx * sizeof(Elf64_Shdr), sizeof(str));
	if (str->sh_offset > len || str->sh_size > len - str->sh_offset)
		return px_err(err, errlen, PX_INPUT, "its section names are corrupt");
	const char *names = (const char *)b + str->sh_offset;
	size_t found = 0;
	for (size_t i = 0; i < eh->e_shnum; i++) {
		memcpy(sh, b + eh->e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
		const size_t want = sizeof(POLUS_SEAL_SECTION);
		if (sh->sh_name >= str->sh_size || str->sh_size - sh->sh_name < want ||
		    memcmp(names + sh->sh_name, POLUS_SEAL_SECTION, want))
			continue;
		if (found++ || sh->sh_type != SHT_PROGBITS || sh->sh_size != SEAL_SIZE ||
		    sh->sh_offset > len || len - sh->sh_offset < SEAL_SIZE)
			return px_err(err, errlen, PX_INPUT,
				      "its " POLUS_SEAL_SECTION " section is corrupt");
		*off = sh->sh_offset;
	}
	if (!found)
		return px_err(err, errlen, PX_INPUT,
			      "no " POLUS_SEAL_SECTION " section (not built by polus-mkpatch, or "
			      "by one older than the seal): rebuild it, or seal it with "
			      "polus-sign --seal");
	return 0;
}

static int sha256(const void *parts[], const size_t lens[], size_t n, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned olen = 0;
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(c, parts[i], lens[i]);
	ok = ok && EVP_DigestFinal_ex(c, out, &olen) && olen == 32;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

static void hex(const uint8_t *v, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", v[i]);
}

static int unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* The file's digest, its seal counted as zeros. */
static int file_digest(const uint8_t *b, size_t len, size_t off, char out[65])
{
	static const uint8_t zeros[SEAL_SIZE];
	const void *parts[] = {b, zeros, b + off + SEAL_SIZE};
	const size_t lens[] = {off, SEAL_SIZE, len - off - SEAL_SIZE};
	uint8_t d[32];
	if (sha256(parts, lens, 3, d))
		return -1;
	hex(d, 32, out);
	return 0;
}

static int is_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") == n && s[n] == 0;
}

/* Parses the seal's text; PX_INPUT when it is not one. */
static int parse_seal(const uint8_t *s, struct seal_text *t, char *err, size_t errlen)
{
	char text[SEAL_SIZE + 1], *save = NULL;
	memcpy(text, s, SEAL_SIZE);
	text[SEAL_SIZE] = 0;
	memset(t, 0, sizeof(*t));
	if (strncmp(text, "polus-seal\t1\n", 13) != 0)
		return px_err(err, errlen, PX_INPUT, "its seal is empty or not of format %d",
			      SEAL_FORMAT);
	/* the rest is NUL bytes: nothing in the seal goes unchecked */
	for (size_t i = strlen(text); i < SEAL_SIZE; i++)
		if (s[i])
			return px_err(err, errlen, PX_INPUT, "its seal has bytes after its text");
	for (char *l = strtok_r(text + 13, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f2 = strchr(l, '\t'), *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
		if (f2)
			*f2++ = 0;
		if (f3)
			*f3++ = 0;
		if (!strcmp(l, "sha256") && f2 && !f3 && is_hex(f2, 64) && !t->digest[0]) {
			memcpy(t->digest, f2, 65);
		} else if (!strcmp(l, "ed25519") && f3 && is_hex(f2, 16) && is_hex(f3, 128) &&
			   t->nsigs < SEAL_MAX_SIGS) {
			memcpy(t->sigs[t->nsigs].keyid, f2, 17);
			unhex(f3, 64, t->sigs[t->nsigs++].sig);
		} else {
			return px_err(err, errlen, PX_INPUT, "its seal has a bad line '%.40s'", l);
		}
	}
	if (!t->digest[0])
		return px_err(err, errlen, PX_INPUT, "its seal has no digest");
	return 0;
}

static void format_seal(const struct seal_text *t, uint8_t out[SEAL_SIZE])
{
	char *p = (char *)out;
	size_t o;
	memset(out, 0, SEAL_SIZE);
	o = (size_t)snprintf(p, SEAL_SIZE, "polus-seal\t%d\nsha256\t%s\n", SEAL_FORMAT, t->digest);
	for (size_t i = 0; i < t->nsigs; i++) {
		char sh[129];
		hex(t->sigs[i].sig, 64, sh);
		o += (size_t)snprintf(p + o, SEAL_SIZE - o, "ed25519\t%s\t%s\n", t->sigs[i].keyid,
				      sh);
	}
}

/* The key id of a public or private key: its raw public key's SHA-256, 8 bytes. */
static int key_id(EVP_PKEY *k, char id[17])
{
	uint8_t raw[32], d[32];
	size_t n = sizeof(raw);
	if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1 || n != 32)
		return -1;
	const void *parts[] = {raw};
	const size_t lens[] = {32};
	if (sha256(parts, lens, 1, d))
		return -1;
	hex(d, 8, id);
	return 0;
}

static int verify_one(EVP_PKEY *k, const struct seal_sig *s, const char *digest)
{
	char msg[sizeof(SIG_PREFIX) + 64];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	snprintf(msg, sizeof(msg), SIG_PREFIX "%s", digest);
	int ok = c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1 &&
		 EVP_DigestVerify(c, s->sig, 64, (const uint8_t *)msg, strlen(msg)) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

static EVP_PKEY *read_key(const char *path, int private)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = NULL;
	if (!f)
		return NULL;
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
		    : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k && EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

static void add_signer(struct seal_info *si, const char *name)
{
	size_t o = strlen(si->signer);
	snprintf(si->signer + o, sizeof(si->signer) - o, "%s%s", o ? "," : "", name);
	si->ntrusted++;
}

/* The signatures of t against each public key (*.pub) of keydir. A trusted key whose
 * signature is present but does not verify is an error of its own. */
static int check_sigs(const struct seal_text *t, const char *keydir, struct seal_info *si,
		      char *err, size_t errlen)
{
	DIR *d = opendir(keydir);
	struct dirent *e;
	size_t nkeys = 0;
	int rc = 0;
	if (!d)
		return px_err(err, errlen, PX_INPUT, "trusted keys %s: %s", keydir,
			      strerror(errno));
	while (!rc && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[4096], id[17];
		if (n < 5 || strcmp(e->d_name + n - 4, ".pub"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", keydir, e->d_name);
		EVP_PKEY *k = read_key(path, 0);
		if (!k || key_id(k, id)) {
			rc = px_err(err, errlen, PX_INPUT, "%s: not an Ed25519 public key (PEM)",
				    path);
		} else {
			nkeys++;
			for (size_t i = 0; i < t->nsigs && !rc; i++) {
				if (strcmp(t->sigs[i].keyid, id))
					continue;
				if (!verify_one(k, &t->sigs[i], t->digest))
					rc = px_err(err, errlen, PX_INPUT,
						    "its signature by key %s (%s) does not verify",
						    id, path);
				else
					add_signer(si, e->d_name);
			}
		}
		EVP_PKEY_free(k);
	}
	closedir(d);
	if (rc)
		return rc;
	if (!nkeys)
		return px_err(err, errlen, PX_INPUT, "no trusted key (*.pub) in %s", keydir);
	if (!t->nsigs)
		return px_err(err, errlen, PX_INPUT,
			      "not signed, and a signature by a key of %s is required", keydir);
	if (!si->ntrusted)
		return px_err(err, errlen, PX_INPUT,
			      "signed (%zu signature%s, first by key %s) by no key of %s", t->nsigs,
			      t->nsigs == 1 ? "" : "s", t->sigs[0].keyid, keydir);
	return 0;
}

int seal_check_buf(const uint8_t *buf, size_t len, const char *keydir, struct seal_info *si,
		   char *err, size_t errlen)
{
	struct seal_text t;
	size_t off;
	int rc;
	memset(si, 0, sizeof(*si));
	if ((rc = find_seal(buf, len, &off, err, errlen)) ||
	    (rc = parse_seal(buf + off, &t, err, errlen)))
		return rc;
	if (file_digest(buf, len, off, si->digest))
		return px_err(err, errlen, PX_INTERNAL, "SHA-256 failed (libcrypto)");
	if (strcmp(si->digest, t.digest))
		return px_err(
		    err, errlen, PX_INPUT,
		    "corrupt or modified: its SHA-256 is %.16s..., its seal says %.16s...",
		    si->digest, t.digest);
	si->nsigs = t.nsigs;
	return keydir ? check_sigs(&t, keydir, si, err, errlen) : 0;
}

/* seal_check_file's and the writers' common start: the file, and where its seal is. */
static int load(const char *path, uint8_t **buf, size_t *len, size_t *off, char *err, size_t errlen)
{
	char sub[512];
	int rc = read_all(path, buf, len, err, errlen);
	if (rc)
		return rc;
	if ((rc = find_seal(*buf, *len, off, sub, sizeof(sub)))) {
		free(*buf);
		*buf = NULL;
		return px_err(err, errlen, rc, "%s: %s", path, sub);
	}
	return 0;
}

int seal_check_file(const char *path, const char *keydir, struct seal_info *si, char *err,
		    size_t errlen)
{
	uint8_t *buf;
	size_t len;
	char sub[768];
	int rc = read_all(path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	rc = seal_check_buf(buf, len, keydir, si, sub, sizeof(sub));
	free(buf);
	return rc ? px_err(err, errlen, rc, "%s: %s", path, sub) : 0;
}

static int write_seal(const char *path, size_t off, const struct seal_text *t, char *err,
		      size_t errlen)
{
	uint8_t s[SEAL_SIZE];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	format_seal(t, s);
	int ok = fd >= 0 && pwrite(fd, s, SEAL_SIZE, (off_t)off) == SEAL_SIZE;
	ok = (fd >= 0 && close(fd) == 0) && ok;
	return ok ? 0
		  : px_err(err, errlen, PX_INPUT, "%s: cannot write: %s", path, strerror(errno));
}

int seal_write_digest(const char *path, char *err, size_t errlen)
{
	struct seal_text t = {0};
	uint8_t *buf;
	size_t len, off;
	int rc = load(path, &buf, &len, &off, err, errlen);
	if (rc)
		return rc;
	rc = file_digest(buf, len, off, t.digest)
		 ? px_err(err, errlen, PX_INTERNAL, "SHA-256 failed")
		 : write_seal(path, off, &t, err, errlen);
	free(buf);
	return rc;
}

int seal_sign(const char *path, const char *keyfile, char *err, size_t errlen)
{
	struct seal_text t;
	struct seal_info si;
	uint8_t *buf = NULL;
	size_t len, off, siglen = 64;
	char sub[512], msg[sizeof(SIG_PREFIX) + 64], id[17];
	EVP_PKEY *k = read_key(keyfile, 1);
	EVP_MD_CTX *c = NULL;
	int rc;
	if (!k || key_id(k, id)) {
		EVP_PKEY_free(k);
		return px_err(err, errlen, PX_INPUT, "%s: not an Ed25519 private key (PEM)",
			      keyfile);
	}
	if ((rc = load(path, &buf, &len, &off, err, errlen)))
		goto out;
	if ((rc = seal_check_buf(buf, len, NULL, &si, sub, sizeof(sub))) ||
	    (rc = parse_seal(buf + off, &t, sub, sizeof(sub)))) {
		px_err(err, errlen, rc, "%s: %s", path, sub);
		goto out;
	}
	size_t i = 0;
	while (i < t.nsigs && strcmp(t.sigs[i].keyid, id))
		i++;
	if (i == SEAL_MAX_SIGS) {
		rc =
		    px_err(err, errlen, PX_INPUT, "%s: already %d signatures", path, SEAL_MAX_SIGS);
		goto out;
	}
	snprintf(msg, sizeof(msg), SIG_PREFIX "%s", t.digest);
	c = EVP_MD_CTX_new();
	if (!c || EVP_DigestSignInit(c, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(c, t.sigs[i].sig, &siglen, (const uint8_t *)msg, strlen(msg)) != 1 ||
	    siglen != 64) {
		rc = px_err(err, errlen, PX_INTERNAL, "signing failed (libcrypto)");
		goto out;
	}
	memcpy(t.sigs[i].keyid, id, sizeof(id));
	t.nsigs += i == t.nsigs; /* a key signs once: its new signature replaces the old */
	rc = write_seal(path, off, &t, err, errlen);
out:
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	free(buf);
	return rc;
}

int seal_keygen(const char *name, char *keyid, size_t keyidlen, char *err, size_t errlen)
{
	char priv[4096], pub[4096], id[17];
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *fp = NULL, *fq = NULL;
	int fd, ok;
	snprintf(priv, sizeof(priv), "%s.key", name);
	snprintf(pub, sizeof(pub), "%s.pub", name);
	if (!k || key_id(k, id)) {
		EVP_PKEY_free(k);
		return px_err(err, errlen, PX_INTERNAL, "key generation failed (libcrypto)");
	}
	fd = open(priv, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	ok = fp && PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) == 1;
	ok = (fp ? fclose(fp) == 0 : 0) && ok;
	if (ok) {
		fq = fopen(pub, "wx");
		ok = fq && PEM_write_PUBKEY(fq, k) == 1;
		ok = (fq ? fclose(fq) == 0 : 0) && ok;
	}
	EVP_PKEY_free(k);
	if (!ok)
		return px_err(err, errlen, PX_INPUT, "cannot write %s or %s (they must not exist)",
			      priv, pub);
	snprintf(keyid, keyidlen, "%s", id);
	return 0;
}
