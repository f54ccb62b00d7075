/*
 * patchsites.lds.h: placement of the call-site table that patchsites-kbuild writes into
 * vmlinux.o, with its bounds __start_<id> / __stop_<id> (docs/kbuild.md).
 *
 * Copy it to include/asm-generic/ and apply vmlinux.lds.h.patch, or include it from an
 * arch's vmlinux.lds.S. Preprocessed by cpp like the rest of vmlinux.lds.S.
 *
 * The table's name must match `section =` in patchsites.conf. Define PATCHSITES_SECTION_NAME
 * and PATCHSITES_SECTION_ID before including this file for another table; the default is the
 * kernel's own .static_call_sites, bracketed by __start_static_call_sites/__stop_static_call_sites
 * as include/asm-generic/vmlinux.lds.h's STATIC_CALL_DATA does.
 */
#ifndef PATCHSITES_LDS_H
#define PATCHSITES_LDS_H

#ifndef PATCHSITES_SECTION_NAME
#define PATCHSITES_SECTION_NAME .static_call_sites
#define PATCHSITES_SECTION_ID static_call_sites
#define PATCHSITES_IS_STATIC_CALL_SITES
#endif

#ifndef LOAD_OFFSET
#define LOAD_OFFSET 0
#endif

/* The table's input sections between its bounds (the arguments are expanded before ##). */
#define __PATCHSITES_BOUNDS(sec, id)					\
	. = ALIGN(8);							\
	__start_##id = .;						\
	KEEP(*(sec))							\
	__stop_##id = .;
#define PATCHSITES_BOUNDS(sec, id) __PATCHSITES_BOUNDS(sec, id)

/*
 * PATCHSITES_DATA: inside an output section, next to STATIC_CALL_DATA in RO_AFTER_INIT_DATA:
 * writable while the kernel boots (it sorts the table and marks init sites), read-only after
 * mark_rodata_ro(). Empty where STATIC_CALL_DATA already places .static_call_sites (x86 with
 * CONFIG_HAVE_STATIC_CALL_INLINE): a second __start_static_call_sites would move the bound.
 */
#if defined(PATCHSITES_IS_STATIC_CALL_SITES) && defined(CONFIG_HAVE_STATIC_CALL_INLINE)
#define PATCHSITES_DATA
#else
#define PATCHSITES_DATA PATCHSITES_BOUNDS(PATCHSITES_SECTION_NAME, PATCHSITES_SECTION_ID)
#endif

/*
 * PATCHSITES_SECTION: an output section of its own, for an arch whose vmlinux.lds.S does not
 * use the generic RO_AFTER_INIT_DATA, or where the table should stand apart (without
 * CONFIG_HAVE_STATIC_CALL_INLINE nothing else places it: it would be an orphan section).
 * Place it among the arch's data output sections, e.g. right after RO_DATA(...).
 */
#define __PATCHSITES_OUTPUT_SECTION(sec, id)				\
	. = ALIGN(8);							\
	sec : AT(ADDR(sec) - LOAD_OFFSET) {				\
		__start_##id = .;					\
		KEEP(*(sec))						\
		__stop_##id = .;					\
	}
#define PATCHSITES_OUTPUT_SECTION(sec, id) __PATCHSITES_OUTPUT_SECTION(sec, id)
#define PATCHSITES_SECTION PATCHSITES_OUTPUT_SECTION(PATCHSITES_SECTION_NAME, PATCHSITES_SECTION_ID)

#endif /* PATCHSITES_LDS_H */
