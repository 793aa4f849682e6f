extern long total;
void bump_total(int x);
