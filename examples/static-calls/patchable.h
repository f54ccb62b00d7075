/*
 * Lutomirski-style patchable calls. Code calls the wrapper symbol __SCT__<name>; nothing
 * defines it in C. The final link aliases it to <name>_default (a linker-script PROVIDE or an
 * assembly trampoline written by `patchsites stubs`), and `patchsites emit` records every
 * call site so a runtime can re-target them in place.
 */
#ifndef PATCHABLE_H
#define PATCHABLE_H

#define DECLARE_PATCHABLE(name, ret, args) \
	extern ret __SCT__##name args;      \
	ret name##_default args

/* Calls the current implementation of a patchable function. */
#define patchable(name) __SCT__##name

#endif
