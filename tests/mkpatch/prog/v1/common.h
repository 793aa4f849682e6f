extern int counter;
int helper(int x);
