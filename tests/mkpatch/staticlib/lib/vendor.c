/* A vendored library (like memcached's liblua.a): built into the program from a static
 * archive, without the polus plugin; an executable exports none of its symbols. */
static int vendor_state = 100;

int vendor_scale(int x)
{
	return x * 10;
}

int vendor_bump(int x)
{
	vendor_state += x;
	return vendor_state;
}
