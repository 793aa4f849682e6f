#include "polus-common.h"
#include "polus.h"
int polus_patch_load_plan(const char *, char *err, size_t errlen)
{
	snprintf(err, errlen, "patch mode is not implemented yet");
	return -1;
}
void polus_patch_register(const char *) {}
