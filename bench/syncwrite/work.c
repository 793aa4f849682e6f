/* bench/sync-cost.sh: stores to a struct in coexistence. work(n) does n stores of a field;
 * built plain (the baseline) and in patch mode with the struct in coexistence, where each
 * store is followed by the call to its sync (polus_sync_st_store). */
struct st {
	long hits;
	long misses;
	long errors;
};
struct st st;

__attribute__((noinline)) void work(long n)
{
	for (long i = 0; i < n; i++)
		st.hits = st.hits + i;
}
