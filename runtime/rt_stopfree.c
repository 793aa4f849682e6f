/*
 * rt_stopfree — the stop-free commit of a patch (rt_abi.h): the switch of every site
 * (rt_switch) and the record's publication, in one call on the runtime's agent.
 *
 * Freestanding like rt_commit.c: raw system calls, no libc state, no allocation.
 */
#include "rt_abi.h"
#include "rt_switch.h"

#include <errno.h>

__attribute__((visibility("default"))) long
polus_rt_commit_stopfree(const struct polus_rt_sf_journal *j)
{
	volatile uint8_t *pub = (volatile uint8_t *)j->publish;
	int rc;
	if (j->size != sizeof(*j) || *pub != 0)
		return -EILSEQ;
	if ((rc = polus_rt_switch_init()) || (rc = polus_rt_switch(j->sites, j->nsites, 0)))
		return rc;
	/* every site is new: the record says so from this store on */
	__atomic_store_n(pub, j->publish_byte, __ATOMIC_RELEASE);
	return 0;
}
