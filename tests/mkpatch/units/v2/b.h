extern int shared;
extern int newvar;
int helper(int x);
int newfn(int x);
