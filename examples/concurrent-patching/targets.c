/*
 * The four patchable functions the generated sites call (h0..h3, keys __SCK__h0..h3), the two
 * implementations each site alternates between, and `rogue`, which no table entry knows: a
 * test re-targets a site to it on purpose, and the workers must count every call it answers.
 * Each implementation returns its own value, so a worker knows which function answered.
 */
#include "targets.h"

DEFINE_PATCHABLE_KEY(h0);
DEFINE_PATCHABLE_KEY(h1);
DEFINE_PATCHABLE_KEY(h2);
DEFINE_PATCHABLE_KEY(h3);

#define IMPL(name, value) \
	__attribute__((noinline)) int name(int x) { (void)x; return value; }

IMPL(h0_a, 0x100) IMPL(h0_b, 0x101)
IMPL(h1_a, 0x110) IMPL(h1_b, 0x111)
IMPL(h2_a, 0x120) IMPL(h2_b, 0x121)
IMPL(h3_a, 0x130) IMPL(h3_b, 0x131)
IMPL(rogue, 0xbad)

const struct implementation implementations[N_KEYS] = {
	{&__SCK__h0, {h0_a, h0_b}, {0x100, 0x101}},
	{&__SCK__h1, {h1_a, h1_b}, {0x110, 0x111}},
	{&__SCK__h2, {h2_a, h2_b}, {0x120, 0x121}},
	{&__SCK__h3, {h3_a, h3_b}, {0x130, 0x131}},
};
