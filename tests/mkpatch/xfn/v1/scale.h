/* An extern inline (gnu_inline) body: callers at -O2 inline it; util.c has the
 * out-of-line definition of its own (as a library would). */
extern inline __attribute__((gnu_inline)) int scale(int x)
{
	return x * 3;
}
