/* An LD_PRELOAD library that imports strstr and __memcpy_chk (linked -z now: its GOT
 * holds libc's choices from the start) and calls neither: polus-apply's case (b). */
#include <string.h>
char use_buf[16];
int use_it(const char *s)
{
	memcpy(use_buf, s, strlen(s) + 1);
	return strstr(use_buf, "zz") != NULL;
}
