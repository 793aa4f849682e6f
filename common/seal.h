/*
 * seal — a patch's integrity and who vouches for it (docs/patch-format.md, "The seal").
 *
 * Every patch carries a non-allocated section POLUS_SEAL_SECTION of SEAL_SIZE bytes:
 *   polus-seal<TAB>1
 *   sha256<TAB><64 hex digits>
 *   ed25519<TAB><key id, 16 hex digits><TAB><signature, 128 hex digits>   (0 or more)
 * then NUL bytes. The digest is SHA-256 over the whole file with the section's own bytes
 * counted as zeros, so a change to any other byte (headers, code, relocations, the
 * version file, padding) no longer matches. A signature is Ed25519 (OpenSSL's libcrypto)
 * over "polus-patch-sha256:" + the digest in hex; a key id is the first 8 bytes of the
 * SHA-256 of the raw 32-byte public key. Signing fills the section in place, so it keeps
 * the digest. Keys are PEM files (openssl genpkey -algorithm ed25519; *.pub: the public
 * key). Functions return 0 or a PX_* code with one line in err; nothing prints.
 */
#ifndef POLUS_SEAL_H
#define POLUS_SEAL_H
#include <stddef.h>
#include <stdint.h>

#define SEAL_FORMAT 1
#define SEAL_SIZE 4096
#define SEAL_MAX_SIGS 16

struct seal_info {
	char digest[65];   /* hex */
	size_t nsigs;	   /* signatures present */
	char signer[4096]; /* the trusted key files that verified, comma-separated */
	size_t ntrusted;   /* signatures made by a trusted key and valid */
};

/* The seal of the patch in buf: the digest must match (PX_INPUT otherwise); with keydir,
 * at least one signature by a key in keydir (*.pub) must verify (PX_INPUT otherwise). */
int seal_check_buf(const uint8_t *buf, size_t len, const char *keydir, struct seal_info *si,
		   char *err, size_t errlen);

/* The same for the file at path (read whole). */
int seal_check_file(const char *path, const char *keydir, struct seal_info *si, char *err,
		    size_t errlen);

/* Writes the digest into the file's (present, all-zero or stale) seal; drops signatures. */
int seal_write_digest(const char *path, char *err, size_t errlen);

/* Adds a signature by the private key in keyfile (the digest checked first). */
int seal_sign(const char *path, const char *keyfile, char *err, size_t errlen);

/* Creates NAME.key (private, mode 0600) and NAME.pub; prints nothing. */
int seal_keygen(const char *name, char *keyid, size_t keyidlen, char *err, size_t errlen);

#endif
