/*
 * An ops structure of function pointers with defaults (a static initializer), the shape of the
 * kernel's pv_ops and *_ops (x86-64 only). Its callers call through it as C does:
 * `shape_ops.area(x)` is `call *shape_ops(%rip)` at -O2, `jmp *shape_ops(%rip)` in a tail
 * position, and `mov shape_ops(%rip),%rax; call __x86_indirect_thunk_rax` when compiled with
 * -mindirect-branch=thunk-extern. `patchsites devirtualize --pointer=shape_ops` turns the first
 * two into direct calls and jumps to the defaults and records them in .pointer_call_sites; the
 * runtime's pointer_set() then re-targets them when a pointer changes (docs/example.md).
 */
#ifndef OPS_H
#define OPS_H

struct shape_ops {
	int (*area)(int);      /* re-targeted at run time through the table */
	int (*perimeter)(int); /* left alone: its sites must not move */
	int (*op)(int);        /* the call-cost benchmark's slot */
};

/* shape_ops is devirtualized; plain_ops, the same with the same defaults, is not (the
 * benchmark's memory-indirect pointer call). */
extern struct shape_ops shape_ops, plain_ops;

/* The defaults and the alternative; each counts its calls. */
int area_default(int x);
int area_fast(int x);
int perimeter_default(int x);
extern long area_calls_default, area_calls_fast, perimeter_calls_default;

/* The callers (ops.c): calls in a loop, a tail call, two calls in one function. */
long shapes(const int *v, int n);
int shape_tail(int x);
int shape_twice(int x);
/* Compiled with -mindirect-branch=thunk-extern (ops_retpoline.c): loads, then the thunk. */
long shapes_retpoline(const int *v, int n);

/* The call-cost loops: through shape_ops.op (devirtualized), plain_ops.op (call *mem), and
 * shape_ops.op retpolined. */
int bench_ops_devirt(long calls);
int bench_ops_pointer(long calls);
int bench_ops_retpoline(long calls);
#endif
