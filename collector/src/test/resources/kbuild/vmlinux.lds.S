/*
 * The fixture's "arch" linker script. A kernel's arch/<arch>/kernel/vmlinux.lds.S is a whole
 * script; this one augments gcc's default script (INSERT) since the program is a user-space
 * one. RO_AFTER_INIT_DATA as include/asm-generic/vmlinux.lds.h has it, with PATCHSITES_DATA
 * where vmlinux.lds.h.patch puts it, and the example's aliases (the kernel's trampolines come
 * from DEFINE_STATIC_CALL instead).
 */
#include <asm-generic/patchsites.lds.h>
#include "aliases.lds"

SECTIONS
{
	.data..ro_after_init : {
		. = ALIGN(8);
		__start_ro_after_init = .;
		*(.data..ro_after_init)
		PATCHSITES_DATA
		__end_ro_after_init = .;
	}
	/DISCARD/ : { *(.discard) *(.discard.*) }
}
INSERT AFTER .data;
