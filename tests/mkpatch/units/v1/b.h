extern int shared;
int helper(int x);
