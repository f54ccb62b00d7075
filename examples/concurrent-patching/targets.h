/* The patchable functions of the concurrent-patching harness (targets.c). */
#ifndef TARGETS_H
#define TARGETS_H
#include "patchable.h"

#define N_KEYS 4

DECLARE_PATCHABLE(h0, int, (int x));
DECLARE_PATCHABLE(h1, int, (int x));
DECLARE_PATCHABLE(h2, int, (int x));
DECLARE_PATCHABLE(h3, int, (int x));

/* Per key: the two implementations a site alternates between, and what each returns. */
struct implementation {
	const struct patchable_key *key;
	int (*fn[2])(int);
	int value[2];
};
extern const struct implementation implementations[N_KEYS];

/* Answers 0xbad: a target no table entry expects (the planted wrong target). */
int rogue(int x);
#define ROGUE_VALUE 0xbad

/* The generated sites (gen-sites.py): entries[i] reaches site i. */
extern const long entries_count;
extern int (*const entries[])(int);

#endif
