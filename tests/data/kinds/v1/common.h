extern int total;
void bump_total(int x);
