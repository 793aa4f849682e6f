/* table.h — the server's key/value table: a fixed-size hash table behind one mutex.
 * Keys are 1..TABLE_KEY_MAX bytes, values 0..TABLE_VAL_MAX bytes, neither may hold
 * spaces or newlines (the protocol splits on them). Functions return 0 or a length on
 * success and a negative errno on failure. */
#ifndef EX_TABLE_H
#define EX_TABLE_H
#include <stddef.h>

#define TABLE_KEY_MAX 32
#define TABLE_VAL_MAX 64

/* -EINVAL: bad key or value length. */
int table_set(const char *key, size_t klen, const char *val, size_t vlen);
/* Copies the value (NUL-terminated) into out; returns its length, or -ENOENT. */
int table_get(const char *key, size_t klen, char *out, size_t outsz);
/* Adds 1 to the integer value of key (absent = 0); -EINVAL if the value is no integer,
 * -ERANGE if it would overflow. */
int table_incr(const char *key, size_t klen, long long *result);
unsigned long table_count(void);

#endif
