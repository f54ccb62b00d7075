/* Calls through shape_ops compiled with -mindirect-branch=thunk-extern (build.sh): each call
 * loads the pointer and calls __x86_indirect_thunk_<reg> (retpoline.S). devirtualize does not
 * rewrite this loaded shape; these calls follow the pointer because they read it every time. */
#include "ops.h"

long shapes_retpoline(const int *v, int n)
{
	long s = 0;
	for (int i = 0; i < n; i++)
		s += shape_ops.area(v[i]);
	return s;
}

int bench_ops_retpoline(long calls)
{
	int acc = 0;
	for (long i = 0; i < calls; i++)
		acc = shape_ops.op(acc);
	return acc;
}
