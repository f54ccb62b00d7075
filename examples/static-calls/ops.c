/* The ops structures with their static initializers, the defaults, and the callers (x86-64). */
#include "ops.h"
#include "filters.h"

long area_calls_default, area_calls_fast, perimeter_calls_default;

int area_default(int x)
{
	area_calls_default++;
	return x * x;
}

int area_fast(int x)
{
	area_calls_fast++;
	return x * x;
}

int perimeter_default(int x)
{
	perimeter_calls_default++;
	return 4 * x;
}

/* The defaults: what `patchsites devirtualize` reads from the data relocations at each slot. */
struct shape_ops shape_ops = {.area = area_default, .perimeter = perimeter_default, .op = op_default};
struct shape_ops plain_ops = {.area = area_default, .perimeter = perimeter_default, .op = op_default};

/* call *shape_ops(%rip) in a loop (reloaded every time: the call may change the pointer), and
 * call *shape_ops+0x8(%rip). */
long shapes(const int *v, int n)
{
	long s = 0;
	for (int i = 0; i < n; i++)
		s += shape_ops.area(v[i]);
	return s + shape_ops.perimeter(n);
}

/* jmp *shape_ops(%rip): a tail call through the pointer. */
int shape_tail(int x)
{
	return shape_ops.area(x + 1);
}

/* Two call sites of one slot in one function. */
int shape_twice(int x)
{
	return shape_ops.area(x) - shape_ops.area(x - 1);
}

/* call *shape_ops+0x10(%rip), devirtualized to a direct call and re-targeted to op_next. */
int bench_ops_devirt(long calls)
{
	int acc = 0;
	for (long i = 0; i < calls; i++)
		acc = shape_ops.op(acc);
	return acc;
}

/* call *plain_ops+0x10(%rip): a memory-indirect pointer call, left as it is. */
int bench_ops_pointer(long calls)
{
	int acc = 0;
	for (long i = 0; i < calls; i++)
		acc = plain_ops.op(acc);
	return acc;
}
