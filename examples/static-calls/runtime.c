/*
 * A small static-call runtime over the table `patchsites emit` wrote: decode the entries,
 * name them, and re-target call sites by rewriting the rel32 of their call/jmp in place. The
 * kernel does the same in arch/x86/kernel/static_call.c (with text_poke_bp, because other CPUs
 * may be executing the code; here a single thread patches, so mprotect + store is enough).
 */
#define _GNU_SOURCE
#include "runtime.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* A direct branch with a rel32: call (E8), jmp (E9), jcc (0F 80..8F). */
struct branch {
	int length;   /* of the whole instruction */
	int rel;      /* offset of the rel32 in it */
	int tail;     /* a jump: the callee returns to our caller */
	const char *mnemonic;
};

static int decode(const uint8_t *p, struct branch *b)
{
	static const char *const jcc[16] = {"jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja",
					    "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg"};
	if (p[0] == 0xe8 || p[0] == 0xe9) {
		*b = (struct branch){5, 1, p[0] == 0xe9, p[0] == 0xe8 ? "call" : "jmp"};
		return 0;
	}
	if (p[0] == 0x0f && (p[1] & 0xf0) == 0x80) {
		*b = (struct branch){6, 2, 1, jcc[p[1] & 0x0f]};
		return 0;
	}
	return -1;
}

const void *site_destination(const struct static_call_site *s)
{
	const uint8_t *p = (const uint8_t *)site_address(s);
	struct branch b;
	int32_t rel;
	if (decode(p, &b) < 0)
		return NULL;
	memcpy(&rel, p + b.rel, 4);
	return p + b.length + rel;
}

/* ---- symbol names from our own .symtab ---- */

static const Elf64_Sym *symtab;
static size_t nsyms;
static const char *strtab;
static uintptr_t load_bias;
static int symtab_loaded;

static void load_symtab(void)
{
	symtab_loaded = 1;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	const uint8_t *f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	size_t size = (size_t)st.st_size;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > size ||
	    eh->e_shnum > (size - eh->e_shoff) / sizeof(Elf64_Shdr))
		return;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
		    str->sh_offset > size || str->sh_size > size - str->sh_offset || str->sh_size == 0 ||
		    f[str->sh_offset + str->sh_size - 1] != 0)
			return;
		symtab = (const Elf64_Sym *)(f + sh[i].sh_offset);
		nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
		strtab = (const char *)(f + str->sh_offset);
		break;
	}
	/* A PIE is loaded at a bias: find it from a symbol we know the address of. */
	for (size_t i = 0; eh->e_type == ET_DYN && i < nsyms; i++) {
		if (strcmp(strtab + symtab[i].st_name, "sites_count") == 0) {
			load_bias = (uintptr_t)&sites_count - symtab[i].st_value;
			break;
		}
	}
}

const char *symbol_name(uintptr_t addr, char *buf, size_t len)
{
	if (!symtab_loaded)
		load_symtab();
	/* A symbol whose extent holds addr wins over a sizeless one at addr: the linker's
	 * PROVIDEd __SCT__filter sits, without a size, at filter_default. */
	const Elf64_Sym *best = NULL;
	for (size_t i = 1; i < nsyms; i++) {
		const Elf64_Sym *s = &symtab[i];
		int type = ELF64_ST_TYPE(s->st_info);
		if ((type != STT_FUNC && type != STT_OBJECT) || s->st_shndx == SHN_UNDEF)
			continue;
		uintptr_t v = s->st_value + load_bias;
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
		uintptr_t off = addr - (best->st_value + load_bias);
		if (off)
			snprintf(buf, len, "%s+%#lx", strtab + best->st_name, (unsigned long)off);
		else
			snprintf(buf, len, "%s", strtab + best->st_name);
	}
	return buf;
}

void sites_print(FILE *out)
{
	char fn[64], dest[64], key[64];
	fprintf(out, ".static_call_sites: %zu entries at %p..%p\n", sites_count(),
		(void *)__start_static_call_sites, (void *)__stop_static_call_sites);
	fprintf(out, "  %-10s %-24s %-5s %-20s %-16s %s\n", "site", "function+offset", "insn",
		"destination", "key", "tail");
	for (struct static_call_site *s = __start_static_call_sites; s < __stop_static_call_sites; s++) {
		uintptr_t at = site_address(s);
		struct branch b;
		const void *d = site_destination(s);
		fprintf(out, "  %#-10lx %-24s %-5s %-20s %-16s %s\n", (unsigned long)at,
			symbol_name(at, fn, sizeof fn),
			decode((const uint8_t *)at, &b) == 0 ? b.mnemonic : "?",
			d ? symbol_name((uintptr_t)d, dest, sizeof dest) : "(not a branch)",
			symbol_name((uintptr_t)site_key(s), key, sizeof key), site_is_tail(s) ? "yes" : "-");
	}
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
		unsigned long lo, hi;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || addr < lo || addr >= hi)
			continue;
		prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		       (perms[2] == 'x' ? PROT_EXEC : 0);
		break;
	}
	fclose(maps);
	return prot;
}

/* Why s cannot be pointed at func, or NULL if it can. */
static const char *check(const struct static_call_site *s, const void *func, struct branch *b, int32_t *rel)
{
	const uint8_t *p = (const uint8_t *)site_address(s);
	if (decode(p, b) < 0)
		return "not a call, jmp or jcc with a rel32";
	if (b->tail != site_is_tail(s))
		return site_is_tail(s) ? "the entry says tail call, the instruction is a call"
				       : "the entry says call, the instruction is a jump";
	intptr_t d = (intptr_t)func - (intptr_t)(p + b->length);
	if (d < INT32_MIN || d > INT32_MAX)
		return "the new target is out of rel32 reach";
	*rel = (int32_t)d;
	return NULL;
}

static int patch(const struct static_call_site *s, const struct branch *b, int32_t rel)
{
	long pagesize = sysconf(_SC_PAGESIZE);
	uint8_t *field = (uint8_t *)site_address(s) + b->rel;
	/* The rel32 may straddle two pages (and mappings): handle each page on its own. */
	uintptr_t first = (uintptr_t)field & ~(uintptr_t)(pagesize - 1);
	uintptr_t last = ((uintptr_t)field + 3) & ~(uintptr_t)(pagesize - 1);
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
		pages++;
	}
	if (rc == 0)
		memcpy(field, &rel, 4);
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
	int32_t rel;
	const char *why = check(s, func, &b, &rel);
	if (why != NULL) {
		char at[64];
		fprintf(stderr, "runtime: refusing to patch %s: %s\n",
			symbol_name(site_address(s), at, sizeof at), why);
		return -1;
	}
	return patch(s, &b, rel);
}

int sites_retarget(const void *key, const void *func)
{
	int n = 0;
	for (const struct static_call_site *s = __start_static_call_sites; s < __stop_static_call_sites; s++) {
		struct branch b;
		int32_t rel;
		const char *why;
		if (site_key(s) != key)
			continue;
		if ((why = check(s, func, &b, &rel)) != NULL) {
			char at[64];
			fprintf(stderr, "runtime: refusing to patch %s: %s; nothing patched\n",
				symbol_name(site_address(s), at, sizeof at), why);
			return -1;
		}
	}
	for (const struct static_call_site *s = __start_static_call_sites; s < __stop_static_call_sites; s++) {
		if (site_key(s) != key)
			continue;
		if (site_retarget(s, func) < 0)
			return -1;
		n++;
	}
	return n;
}
