/* chain3 test program: the functions no release changes, included at the end of each
 * release's main.c (one unit). path_c2 and path_cp are OLD's code calling compute
 * directly and through a pointer. */
__attribute__((noinline)) long path_c2(long x)
{
	return compute(x) + 3;
}

__attribute__((noinline)) long path_cp(long x)
{
	return compute_ptr(x) + 4;
}

long (*const paths[NPATH])(long) = {path_a, path_a2, path_b, path_bp, path_c, path_c2, path_cp};

int main(void)
{
	return serve_requests();
}
