/*
 * A small static-call runtime over the table `patchsites emit` wrote: decode the entries,
 * name them, and re-target call sites by rewriting their branch in place. The kernel does the
 * same in arch/x86/kernel/static_call.c (with text_poke_bp, because other CPUs may be
 * executing the code; here a single thread patches, so mprotect + store is enough). The
 * instruction forms are in branch.c, one section per architecture; this file is the same on
 * all of them.
 */
#define _GNU_SOURCE
#include "runtime.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

size_t sites_count(void)
{
	return (size_t)(__stop_static_call_sites - __start_static_call_sites);
}

uintptr_t site_address(const struct static_call_site *s)
{
	return (uintptr_t)&s->addr + (intptr_t)s->addr;
}

static uintptr_t key_word(const struct static_call_site *s)
{
	return (uintptr_t)&s->key + (intptr_t)s->key;
}

const void *site_key(const struct static_call_site *s)
{
	return (const void *)(key_word(s) & ~STATIC_CALL_SITE_FLAGS);
}

int site_is_tail(const struct static_call_site *s)
{
	return (key_word(s) & STATIC_CALL_SITE_TAIL) != 0;
}

const void *site_destination(const struct static_call_site *s)
{
	struct branch b;
	if (branch_decode(site_address(s), &b) < 0)
		return NULL;
	return (const void *)b.destination;
}

/* ---- symbol names from our own .symtab (ELF32 or ELF64, our own byte order) ---- */

#if UINTPTR_MAX > 0xffffffffu
typedef Elf64_Ehdr Ehdr;
typedef Elf64_Shdr Shdr;
typedef Elf64_Sym Sym;
#define ELF_CLASS ELFCLASS64
#define SYM_TYPE(i) ELF64_ST_TYPE(i)
#else
typedef Elf32_Ehdr Ehdr;
typedef Elf32_Shdr Shdr;
typedef Elf32_Sym Sym;
#define ELF_CLASS ELFCLASS32
#define SYM_TYPE(i) ELF32_ST_TYPE(i)
#endif

static const Sym *symtab;
static size_t nsyms;
static const char *strtab;
static uintptr_t load_bias;
static unsigned opd_index; /* ppc64 ELFv1: function symbols are descriptors in .opd */
static int symtab_loaded;

static void load_symtab(void)
{
	symtab_loaded = 1;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < (off_t)sizeof(Ehdr)) {
		close(fd);
		return;
	}
	size_t size = (size_t)end;
	const uint8_t *f = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return;
	const Ehdr *eh = (const Ehdr *)f;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELF_CLASS ||
	    eh->e_shentsize != sizeof(Shdr) || eh->e_shoff > size ||
	    eh->e_shnum > (size - eh->e_shoff) / sizeof(Shdr))
		return;
	const Shdr *sh = (const Shdr *)(f + eh->e_shoff);
	if (eh->e_shstrndx < eh->e_shnum && sh[eh->e_shstrndx].sh_offset < size) {
		const Shdr *names = &sh[eh->e_shstrndx];
		for (unsigned i = 0; i < eh->e_shnum; i++)
			if (sh[i].sh_name + 5 <= names->sh_size && names->sh_offset + sh[i].sh_name + 5 <= size &&
			    memcmp(f + names->sh_offset + sh[i].sh_name, ".opd", 5) == 0)
				opd_index = i;
	}
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Shdr *str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
		    str->sh_offset > size || str->sh_size > size - str->sh_offset || str->sh_size == 0 ||
		    f[str->sh_offset + str->sh_size - 1] != 0)
			return;
		symtab = (const Sym *)(f + sh[i].sh_offset);
		nsyms = sh[i].sh_size / sizeof(Sym);
		strtab = (const char *)(f + str->sh_offset);
		break;
	}
	/* A PIE is loaded at a bias: find it from a symbol we know the address of. */
	for (size_t i = 0; eh->e_type == ET_DYN && i < nsyms; i++) {
		if (strcmp(strtab + symtab[i].st_name, "sites_count") == 0) {
			load_bias = (uintptr_t)sites_count - symtab[i].st_value; /* descriptor, Thumb bit: as st_value */
			break;
		}
	}
}

/*
 * The code address a symbol stands for: a function's code on ppc64 ELFv1 (its value is the
 * descriptor, whose first word is the entry), without the Thumb bit on arm.
 */
static uintptr_t symbol_address(const Sym *s)
{
	uintptr_t v = s->st_value + load_bias;
	if (SYM_TYPE(s->st_info) != STT_FUNC)
		return v;
	if (opd_index != 0 && s->st_shndx == opd_index)
		return *(const uintptr_t *)v;
#if defined(__arm__)
	v &= ~(uintptr_t)1;
#endif
	return v;
}

const char *symbol_name(uintptr_t addr, char *buf, size_t len)
{
	if (!symtab_loaded)
		load_symtab();
	/* A symbol whose extent holds addr wins over a sizeless one at addr: the linker's
	 * PROVIDEd __SCT__filter sits, without a size, at filter_default. */
	const Sym *best = NULL;
	for (size_t i = 1; i < nsyms; i++) {
		const Sym *s = &symtab[i];
		int type = SYM_TYPE(s->st_info);
		if ((type != STT_FUNC && type != STT_OBJECT) || s->st_shndx == SHN_UNDEF)
			continue;
		uintptr_t v = symbol_address(s);
		if (opd_index != 0 && s->st_shndx == opd_index && addr == s->st_value + load_bias) {
			best = s; /* a function pointer on ppc64 ELFv1: the descriptor */
			v = addr;
			break;
		}
		if (addr >= v && addr < v + s->st_size) {
			best = s;
			break;
		}
		if (best == NULL && s->st_size == 0 && addr == v)
			best = s;
	}
	if (best == NULL) {
		snprintf(buf, len, "%#lx", (unsigned long)addr);
	} else {
		uintptr_t off = addr - symbol_address(best);
		if (opd_index != 0 && best->st_shndx == opd_index && addr == best->st_value + load_bias)
			off = 0;
		if (off)
			snprintf(buf, len, "%s+%#lx", strtab + best->st_name, (unsigned long)off);
		else
			snprintf(buf, len, "%s", strtab + best->st_name);
	}
	return buf;
}

char code_state_at(uintptr_t addr)
{
	/* ARM mapping symbols: $a, $t, $d (optionally $a.<any>), the last one at or before addr. */
	if (!symtab_loaded)
		load_symtab();
	uintptr_t best_at = 0;
	char state = 0;
	for (size_t i = 1; i < nsyms; i++) {
		const char *n = strtab + symtab[i].st_name;
		uintptr_t v = symtab[i].st_value + load_bias;
		if (n[0] != '$' || (n[1] != 'a' && n[1] != 't' && n[1] != 'd') || (n[2] != 0 && n[2] != '.'))
			continue;
		if (v <= addr && (state == 0 || v >= best_at)) {
			best_at = v;
			state = n[1];
		}
	}
	return state;
}

int function_st_other(uintptr_t entry)
{
	if (!symtab_loaded)
		load_symtab();
	for (size_t i = 1; i < nsyms; i++)
		if (SYM_TYPE(symtab[i].st_info) == STT_FUNC && symtab[i].st_shndx != SHN_UNDEF &&
		    symtab[i].st_value + load_bias == entry)
			return symtab[i].st_other;
	return -1;
}

void table_print(const struct site_table *t, FILE *out)
{
	char fn[64], dest[64], key[64];
	fprintf(out, "%s: %zu entries at %p..%p\n", t->name, (size_t)(t->end - t->begin), (const void *)t->begin,
		(const void *)t->end);
	fprintf(out, "  %-10s %-24s %-6s %-20s %-16s %s\n", "site", "function+offset", "insn",
		"destination", "key", "tail");
	for (const struct static_call_site *s = t->begin; s < t->end; s++) {
		uintptr_t at = site_address(s);
		struct branch b;
		int ok = branch_decode(at, &b) == 0;
		fprintf(out, "  %#-10lx %-24s %-6s %-20s %-16s %s\n", (unsigned long)at,
			symbol_name(at, fn, sizeof fn), ok ? b.mnemonic : "?",
			ok ? symbol_name(b.destination, dest, sizeof dest) : "(not a branch)",
			symbol_name((uintptr_t)site_key(s), key, sizeof key), site_is_tail(s) ? "yes" : "-");
	}
}

static const struct site_table static_calls = {".static_call_sites", __start_static_call_sites,
					       __stop_static_call_sites};

void sites_print(FILE *out)
{
	table_print(&static_calls, out);
}

/* ---- patching ---- */

/* The protection the mapping containing addr has now, from /proc/self/maps; -1 if unknown. */
int current_protection(uintptr_t addr)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[512];
	int prot = -1;
	if (maps == NULL)
		return -1;
	while (fgets(line, sizeof line, maps)) {
		/* "lo-hi perms ...", addresses in hex */
		char *p;
		unsigned long lo = strtoul(line, &p, 16), hi;
		if (*p != '-')
			continue;
		hi = strtoul(p + 1, &p, 16);
		if (*p != ' ' || addr < lo || addr >= hi)
			continue;
		prot = (p[1] == 'r' ? PROT_READ : 0) | (p[2] == 'w' ? PROT_WRITE : 0) | (p[3] == 'x' ? PROT_EXEC : 0);
		break;
	}
	fclose(maps);
	return prot;
}

/* Why s cannot be pointed at func, or NULL if it can; the new bytes go to out. */
static const char *check(const struct static_call_site *s, const void *func, struct branch *b, uint8_t *out)
{
	uintptr_t p = site_address(s);
	if (branch_decode(p, b) < 0)
		return "not a direct call or jump";
	if (b->tail != site_is_tail(s))
		return site_is_tail(s) ? "the entry says tail call, the instruction is a call"
				       : "the entry says call, the instruction is a jump";
	return branch_encode(p, b, branch_target(func), out);
}

static int patch(uintptr_t field, int n, const uint8_t *bytes)
{
	long pagesize = sysconf(_SC_PAGESIZE);
	/* The bytes may straddle two pages (and mappings): handle each page on its own. */
	uintptr_t first = field & ~(uintptr_t)(pagesize - 1);
	uintptr_t last = (field + n - 1) & ~(uintptr_t)(pagesize - 1);
	int prot[2], pages = 0, rc = 0;
	for (uintptr_t pg = first; pg <= last; pg += pagesize) {
		prot[pages] = current_protection(pg);
		if (prot[pages] < 0) {
			fprintf(stderr, "runtime: no mapping for %#lx\n", (unsigned long)pg);
			rc = -1;
			break;
		}
		/* Keep PROT_EXEC: this very code may sit on the page being patched. */
		if (mprotect((void *)pg, pagesize, prot[pages] | PROT_READ | PROT_WRITE | PROT_EXEC) < 0) {
			perror("runtime: mprotect");
			rc = -1;
			break;
		}
		/* The page holds a call site, so it is code and was executable: a maps line without
		 * 'x' is the emulator's misreport (qemu-i386 7.2 shows a freshly loaded program's
		 * text as r--p until its first mprotect) and must not make the restore below take
		 * execution away. */
		prot[pages] |= PROT_EXEC;
		pages++;
	}
	if (rc == 0) {
		memcpy((void *)field, bytes, n);
		branch_sync(field, n);
	}
	/* Give back what each page had, also after a failure half-way. */
	for (int i = 0; i < pages; i++) {
		if (mprotect((void *)(first + (uintptr_t)i * pagesize), pagesize, prot[i]) < 0) {
			perror("runtime: mprotect (restore)");
			rc = -1;
		}
	}
	return rc;
}

int site_retarget(const struct static_call_site *s, const void *func)
{
	struct branch b;
	uint8_t bytes[16];
	const char *why = check(s, func, &b, bytes);
	if (why != NULL) {
		char at[64];
		fprintf(stderr, "runtime: refusing to patch %s: %s\n",
			symbol_name(site_address(s), at, sizeof at), why);
		return -1;
	}
	return patch(site_address(s) + b.patch_offset, b.patch_length, bytes);
}

int table_retarget(const struct site_table *t, const void *key, const void *func)
{
	int n = 0;
	for (const struct static_call_site *s = t->begin; s < t->end; s++) {
		struct branch b;
		uint8_t bytes[16];
		const char *why;
		if (site_key(s) != key)
			continue;
		if ((why = check(s, func, &b, bytes)) != NULL) {
			char at[64];
			fprintf(stderr, "runtime: refusing to patch %s: %s; nothing patched\n",
				symbol_name(site_address(s), at, sizeof at), why);
			return -1;
		}
	}
	for (const struct static_call_site *s = t->begin; s < t->end; s++) {
		if (site_key(s) != key)
			continue;
		if (site_retarget(s, func) < 0)
			return -1;
		n++;
	}
	return n;
}

int sites_retarget(const void *key, const void *func)
{
	return table_retarget(&static_calls, key, func);
}

int pointer_set(const struct site_table *t, void **slot, void *func)
{
	int n = table_retarget(t, slot, func);
	if (n >= 0)
		*slot = func;
	return n;
}
