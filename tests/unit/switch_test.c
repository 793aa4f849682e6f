/*
 * Unit test of injector/switch_method: the switch chosen for sites padded or not, ready
 * or not, and the facts that make a padded patch fall back (a tracer, a thread that
 * blocks SIGTRAP), read from this very process.
 */
#include "switch_method.h"
#include "rt_agent.h"
#include "unit_check.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void choices(void)
{
	struct ps_site s[2] = {{.name = "f", .padded = 1}, {.name = "g", .padded = 1}};
	struct sw_facts none = {0, 0, 0, 0}, traced = {1234, 0, 0, 0}, blocked = {0, 77, 0, 0};
	struct sw_facts data = {0, 0, 0, 1}, agent_sc = {0, 0, 55, 0}, all_sc = {0, 0, -1, 0};
	struct sw_choice c;
	sw_choose(s, 2, 1, &none, &c);
	CHECK(c.method == SW_STOP_FREE && !strcmp(sw_name(c.method), "stop-free"));
	sw_choose(s, 2, 0, &none, &c);
	CHECK(c.method == SW_STOP_WORLD && strstr(c.why, "cannot run the stop-free switch"));
	sw_choose(s, 2, 1, &traced, &c);
	CHECK(c.method == SW_STOP_WORLD && strstr(c.why, "process 1234 traces"));
	sw_choose(s, 2, 1, &blocked, &c);
	CHECK(c.method == SW_STOP_WORLD && strstr(c.why, "thread 77 blocks SIGTRAP"));
	sw_choose(s, 2, 1, &data, &c);
	CHECK(c.method == SW_STOP_WORLD && strstr(c.why, "changes variables"));
	sw_choose(s, 2, 1, &agent_sc, &c);
	CHECK(c.method == SW_STOP_WORLD &&
	      strstr(c.why, "the runtime's agent runs under a seccomp"));
	sw_choose(s, 2, 1, &all_sc, &c);
	CHECK(c.method == SW_STOP_WORLD && strstr(c.why, "every thread runs under a seccomp"));
	s[1].padded = 0;
	sw_choose(s, 2, 1, &none, &c);
	CHECK(c.method == SW_STOP_WORLD && strstr(c.why, "1 of 2 sites") && strstr(c.why, "g:"));
	s[0].padded = 0;
	sw_choose(s, 2, 1, &none, &c);
	CHECK(c.method == SW_STOP_WORLD && !strncmp(c.why, "entries not padded", 18));
	CHECK(!strcmp(sw_name(SW_STOP_WORLD), "stop-the-world"));
}

static pthread_barrier_t ready, done;
static volatile pid_t blocker;

/* A thread that blocks SIGTRAP; named as the runtime's agent when arg is non-NULL. */
static void *block_trap(void *arg)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGTRAP);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	if (arg)
		pthread_setname_np(pthread_self(), POLUS_RT_AGENT_NAME);
	blocker = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&done);
	return NULL;
}

static void facts(void)
{
	struct sw_facts f;
	pthread_t t;
	CHECK(sw_read_facts(getpid(), &f) == 0 && f.tracer == 0 && f.trap_blocked == 0);
	pthread_barrier_init(&ready, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	for (int agent = 0; agent < 2; agent++) {
		pthread_create(&t, NULL, block_trap, agent ? "agent" : NULL);
		pthread_barrier_wait(&ready);
		CHECK(sw_read_facts(getpid(), &f) == 0 &&
		      f.trap_blocked == (agent ? 0 : blocker)); /* the agent does not count */
		pthread_barrier_wait(&done);
		pthread_join(t, NULL);
	}
}

int main(void)
{
	choices();
	facts();
	return unit_result("switch-test");
}
