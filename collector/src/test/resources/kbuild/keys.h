/* Names the example's keys in every object, as the kernel's static_call() does with
 * __ADDRESSABLE(STATIC_CALL_KEY(name)): objtool looks the key up in the object it writes a
 * .static_call_sites entry for. (Included with -include by the fixture's Makefile.) */
#ifdef __ASSEMBLER__
	.pushsection .discard.addressable, "aw"
	.quad __SCK__filter, __SCK__account, __SCK__op
	.popsection
#else
#include "filters.h"
static void *const __patchsites_keys[] __attribute__((used, section(".discard.addressable"))) = {
	&__SCK__filter, &__SCK__account, &__SCK__op};
#endif
