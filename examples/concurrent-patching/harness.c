/*
 * Concurrent patching harness: re-targets the call sites of .static_call_sites (written by
 * `patchsites emit`) while worker threads execute them, with the protocol the runtime model
 * gave each site (`patchsites plan`, read from a verdict file), and counts every fault and
 * every wrong answer with its site.
 *
 *   atomic        one naturally aligned 4-byte store of the new rel32
 *   breakpoint    text_poke_bp in user space: INT3 on the first byte, the rest, the first byte,
 *                 each followed by membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE), the
 *                 user-space form of the kernel's IPI + sync_core(); a SIGTRAP handler emulates
 *                 the instruction for a thread that hits the INT3 (int3_emulate_call/jmp/jcc)
 *   stop-machine  park every worker at a barrier, store, sync, release
 *   plain         (negative control) one unaligned 4-byte store, no protocol
 *   bytewise      (negative control) the four rel32 bytes one at a time, no protocol
 *
 * usage: harness --plan=FILE [--protocol=P] [--select=S] [--sites=N] [--batch=B]
 *                [--seconds=S] [--max-patches=N] [--workers=T] [--plant=K] [--plant-trap=K] [--paced] [--serve]
 * See docs/harness.md. Exit status: 0 no fault and no wrong answer, 1 some, 2 bad input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime.h"
#include "targets.h"

enum verdict { V_ATOMIC, V_BREAKPOINT, V_STOP };
static const char *const verdict_name[] = {"atomic", "breakpoint", "stop-machine"};

enum protocol { P_NONE, P_MODEL, P_ATOMIC, P_BREAKPOINT, P_STOP, P_PLAIN, P_BYTEWISE };
static const char *const protocol_name[] = {"none", "model", "atomic", "breakpoint", "stop-machine", "plain",
					    "bytewise"};

/* What a worker saw go wrong. */
enum failure { F_WRONG, F_TORN, F_SEGV, F_ILL, F_BUS, F_TRAP, F_STALE, N_FAILURES };
static const char *const failure_name[] = {"wrong", "torn", "segv", "ill", "bus", "trap-unexpected", "stale"};

struct site {
	uintptr_t addr;      /* first byte of the call/jmp/jcc */
	int len, field;      /* instruction length, offset of rel32 */
	int key;             /* index into implementations[] */
	enum verdict verdict;
	int boundary;        /* 0: rel32 4-byte aligned; else the widest boundary it crosses: 4, 8, 64 */
	int cur;             /* which of target[] the code holds now */
	uintptr_t target[2]; /* the two destinations a patch alternates between */
	int value[2];        /* what each answers */
	int (*entry)(int);
};

static struct site *S;
static long n_sites;

/* ---------------------------------------------------------------- failures, per site */

#define MAX_SHOWN 40
static _Atomic unsigned *site_failures; /* per site, all kinds */
static _Atomic unsigned long failures[N_FAILURES];
static struct {
	long site;
	int kind, got;
	uintptr_t pc;
} shown[MAX_SHOWN];
static _Atomic int n_shown;

/* Counts a failure; the first one of each site is kept to be shown with its site. */
static void record(long site, enum failure kind, int got, uintptr_t pc)
{
	atomic_fetch_add(&failures[kind], 1);
	if (site >= 0 && atomic_fetch_add(&site_failures[site], 1) != 0)
		return;
	int k = atomic_fetch_add(&n_shown, 1);
	if (k < MAX_SHOWN)
		shown[k].site = site, shown[k].kind = kind, shown[k].got = got, shown[k].pc = pc;
}

/* ---------------------------------------------------------------- workers */

struct worker {
	pthread_t thread;
	int cpu;
	sigjmp_buf recover;
	_Alignas(64) unsigned long calls, passes;
	long next; /* index into call_order of the call under way */
	unsigned long emulated, late; /* SIGTRAPs handled as the protocol expects */
};

static struct worker *W;
static int n_workers;
static __thread struct worker *self;
static __thread volatile long current_site = -1;

static const long *call_order; /* the sites workers call, in order */
static long call_n;

static atomic_int stop_request, parked, quit;

static void cpu_relax(unsigned *spins)
{
	__builtin_ia32_pause();
	if ((++*spins & 63) == 0)
		sched_yield(); /* 2 CPUs, more threads: let the one we wait for run */
}

static void futex_wait(atomic_int *word, int value)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void futex_wake(atomic_int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* A worker waits here while the patcher has the machine stopped: it sleeps rather than spins
 * (two CPUs: a spinning worker would take the patcher's CPU). */
static void park(void)
{
	if (atomic_fetch_add(&parked, 1) + 1 == n_workers)
		futex_wake(&parked);
	while (atomic_load(&stop_request))
		futex_wait(&stop_request, 1);
	if (atomic_fetch_sub(&parked, 1) == 1)
		futex_wake(&parked);
}

static int classify(const struct site *s, int r)
{
	if (r == s->value[0] || r == s->value[1])
		return -1;
	/* a control site's torn-fetch landing stub answers its site with state 2 or 3 */
	if ((r & 0x40000000) && ((r >> 2) & 0x0fffffff) == (s - S) && (r & 2))
		return F_TORN;
	return F_WRONG;
}

static void *worker_main(void *arg)
{
	self = arg;
	if (self->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(self->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	}
	if (sigsetjmp(self->recover, 1)) /* a fault lands here, counted: go on with the next site */
		self->next++;
	current_site = -1;
	while (!atomic_load_explicit(&quit, memory_order_relaxed)) {
		for (; self->next < call_n; self->next++) {
			if (atomic_load_explicit(&stop_request, memory_order_relaxed))
				park();
			long i = call_order[self->next];
			current_site = i;
			int r = S[i].entry(1);
			current_site = -1;
			int bad = classify(&S[i], r);
			if (bad >= 0)
				record(i, bad, r, 0);
			__atomic_store_n(&self->calls, self->calls + 1, __ATOMIC_RELAXED);
		}
		self->next = 0;
		__atomic_store_n(&self->passes, self->passes + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static unsigned long total_calls(void)
{
	unsigned long c = 0;
	for (int w = 0; w < n_workers; w++)
		c += __atomic_load_n(&W[w].calls, __ATOMIC_RELAXED);
	return c;
}

/* Stops every worker between two calls (stop_machine's rendezvous) ... */
static void stop_workers(void)
{
	atomic_store(&stop_request, 1);
	for (int p; (p = atomic_load(&parked)) < n_workers;)
		futex_wait(&parked, p);
}

/* ... and lets them go again. */
static void release_workers(void)
{
	atomic_store(&stop_request, 0);
	futex_wake(&stop_request);
	for (int p; (p = atomic_load(&parked)) > 0;)
		futex_wait(&parked, p);
}

/* ---------------------------------------------------------------- sync rounds */

static int have_membarrier;
static unsigned long sync_rounds;

/* Every thread of this process executes a core-serializing instruction before it next runs
 * user code: the user-space IPI + sync_core() of text_poke_bp. */
static void sync_round(void)
{
	sync_rounds++;
	if (have_membarrier) {
		if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) != 0) {
			perror("harness: membarrier");
			exit(2);
		}
		return;
	}
	/* Fallback without membarrier: an mprotect that shoots down the TLB of every CPU running
	 * this mm (an IPI whose return to user space is serializing). */
	static char *page;
	if (!page)
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page[0] = 1;
	mprotect(page, 4096, PROT_READ);
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

static void setup_membarrier(void)
{
	long q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	have_membarrier = q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) &&
			  syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0;
}

/* ---------------------------------------------------------------- the breakpoint protocol */

#define TP_VEC_MAX 256 /* the kernel's text_poke_bp_batch vector */

struct bp_desc {
	atomic_int refs;
	int n;
	struct {
		uintptr_t addr, target;
		int len, tail, cc; /* cc: condition of a jcc, -1 otherwise */
	} e[TP_VEC_MAX];   /* sorted by address */
};
static struct bp_desc desc;
static struct bp_desc *_Atomic bp_desc;

static struct bp_desc *get_desc(void)
{
	struct bp_desc *d = atomic_load(&bp_desc);
	if (!d)
		return NULL;
	int r = atomic_load(&d->refs);
	do {
		if (r == 0)
			return NULL;
	} while (!atomic_compare_exchange_weak(&d->refs, &r, r + 1));
	return d;
}

static int cond_holds(int cc, unsigned long fl)
{
	int cf = fl & 1, pf = (fl >> 2) & 1, zf = (fl >> 6) & 1, sf = (fl >> 7) & 1, of = (fl >> 11) & 1;
	int v;
	switch (cc >> 1) {
	case 0: v = of; break;
	case 1: v = cf; break;
	case 2: v = zf; break;
	case 3: v = cf || zf; break;
	case 4: v = sf; break;
	case 5: v = pf; break;
	case 6: v = sf != of; break;
	default: v = zf || sf != of; break;
	}
	return (cc & 1) ? !v : v;
}

static long site_at(uintptr_t a)
{
	long lo = 0, hi = n_sites - 1;
	while (lo <= hi) {
		long m = (lo + hi) / 2;
		if (S[m].addr == a)
			return m;
		if (S[m].addr < a)
			lo = m + 1;
		else
			hi = m - 1;
	}
	return -1;
}

/* Emulates the instruction being patched at the trap address (int3_emulate_call/jmp/jcc);
 * 1 if the address is in the descriptor. */
static int emulate(struct bp_desc *d, uintptr_t a, greg_t *g)
{
	int lo = 0, hi = d->n - 1;
	while (lo <= hi) {
		int m = (lo + hi) / 2;
		if (d->e[m].addr == a) {
			uintptr_t next = a + d->e[m].len;
			if (!d->e[m].tail) {
				g[REG_RSP] -= 8;
				*(uintptr_t *)g[REG_RSP] = next; /* below the interrupted RSP: the red zone
								  * the kernel left above the signal frame */
				g[REG_RIP] = d->e[m].target;
			} else if (d->e[m].cc < 0 || cond_holds(d->e[m].cc, g[REG_EFL])) {
				g[REG_RIP] = d->e[m].target;
			} else {
				g[REG_RIP] = next;
			}
			return 1;
		}
		if (d->e[m].addr < a)
			lo = m + 1;
		else
			hi = m - 1;
	}
	return 0;
}

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	(void)sig, (void)si;
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t a = g[REG_RIP] - 1;
	for (long spin = 0; spin < 1000000; spin++) {
		struct bp_desc *d = get_desc();
		if (d) {
			int ok = emulate(d, a, g);
			atomic_fetch_sub(&d->refs, 1);
			if (ok) {
				if (self)
					self->emulated++;
				return;
			}
		}
		/* Trapped while the INT3 was there, but the patcher has finished since (a signal
		 * is delivered later than the kernel's int3 exception runs): run the new bytes. */
		if (site_at(a) >= 0 && *(volatile uint8_t *)a != 0xcc) {
			g[REG_RIP] = a;
			if (self)
				self->late++;
			return;
		}
		if (site_at(a) < 0)
			break;
	}
	record(self ? current_site : -1, F_TRAP, 0, a);
	if (!self)
		abort();
	siglongjmp(self->recover, 1);
}

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	(void)si;
	if (!self) { /* the patcher itself: a harness bug, not a finding */
		signal(sig, SIG_DFL);
		return;
	}
	record(current_site, sig == SIGSEGV ? F_SEGV : sig == SIGILL ? F_ILL : F_BUS, 0,
	       uc->uc_mcontext.gregs[REG_RIP]);
	siglongjmp(self->recover, 1);
}

/* ---------------------------------------------------------------- patching */

typedef uint32_t __attribute__((aligned(1), may_alias)) unaligned_u32;

static int32_t new_rel(const struct site *s, int which)
{
	/* the branch as recorded at load time: mid-protocol its first byte may be an INT3 */
	struct branch b = {.length = s->len, .patch_offset = s->field, .patch_length = 4};
	uint8_t out[4];
	int32_t rel;
	const char *why = branch_encode(s->addr, &b, s->target[which], out);
	if (why) {
		fprintf(stderr, "harness: site %#lx: %s\n", (unsigned long)s->addr, why);
		exit(2);
	}
	memcpy(&rel, out, 4);
	return rel;
}

static unsigned long patched_by[7];

static void patch_atomic(struct site *s)
{
	int32_t rel = new_rel(s, !s->cur);
	__atomic_store_n((uint32_t *)(s->addr + s->field), (uint32_t)rel, __ATOMIC_RELEASE);
	s->cur = !s->cur;
}

static void patch_plain(struct site *s)
{
	*(volatile unaligned_u32 *)(s->addr + s->field) = (uint32_t)new_rel(s, !s->cur);
	s->cur = !s->cur;
}

static void patch_bytewise(struct site *s)
{
	int32_t rel = new_rel(s, !s->cur);
	volatile uint8_t *p = (volatile uint8_t *)(s->addr + s->field);
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(rel >> (8 * i));
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* mfence: each byte visible before the next */
	}
	s->cur = !s->cur;
}

/* text_poke_bp_batch: the sites go in address order (the handler searches them). */
static void patch_breakpoint(struct site **v, int n)
{
	uint8_t first[TP_VEC_MAX];
	int32_t rel[TP_VEC_MAX];
	desc.n = n;
	for (int k = 0; k < n; k++) {
		struct site *s = v[k];
		uint8_t *c = (uint8_t *)s->addr;
		rel[k] = new_rel(s, !s->cur);
		first[k] = c[0];
		desc.e[k].addr = s->addr;
		desc.e[k].target = s->target[!s->cur];
		desc.e[k].len = s->len;
		desc.e[k].tail = c[0] != 0xe8;
		desc.e[k].cc = c[0] == 0x0f ? (c[1] & 0x0f) : -1;
	}
	atomic_store(&desc.refs, 1);
	atomic_store(&bp_desc, &desc);
	for (int k = 0; k < n; k++)
		*(volatile uint8_t *)v[k]->addr = 0xcc;
	sync_round();
	for (int k = 0; k < n; k++)
		memcpy((void *)(v[k]->addr + v[k]->field), &rel[k], 4);
	sync_round();
	for (int k = 0; k < n; k++)
		*(volatile uint8_t *)v[k]->addr = first[k];
	sync_round();
	atomic_store(&bp_desc, NULL);
	unsigned spins = 0;
	if (atomic_fetch_sub(&desc.refs, 1) != 1)
		while (atomic_load(&desc.refs) != 0)
			cpu_relax(&spins);
	for (int k = 0; k < n; k++)
		v[k]->cur = !v[k]->cur;
}

static void patch_stopped(struct site **v, int n)
{
	stop_workers();
	for (int k = 0; k < n; k++) {
		int32_t rel = new_rel(v[k], !v[k]->cur);
		memcpy((void *)(v[k]->addr + v[k]->field), &rel, 4);
		v[k]->cur = !v[k]->cur;
	}
	sync_round(); /* the released workers must not run stale prefetched bytes */
	release_workers();
}

/* Sites waiting for a batched protocol. */
static struct site *pending_bp[TP_VEC_MAX], *pending_stop[TP_VEC_MAX];
static int n_bp, n_stop;

static void flush(void)
{
	if (n_bp)
		patch_breakpoint(pending_bp, n_bp), patched_by[P_BREAKPOINT] += n_bp, n_bp = 0;
	if (n_stop)
		patch_stopped(pending_stop, n_stop), patched_by[P_STOP] += n_stop, n_stop = 0;
}

/* Re-targets one site to its other target by protocol p (batch: how many sites a breakpoint
 * or stop-machine round takes at most). */
static void patch(struct site *s, enum protocol p, int batch)
{
	if (p == P_MODEL)
		p = s->verdict == V_ATOMIC ? P_ATOMIC : s->verdict == V_BREAKPOINT ? P_BREAKPOINT : P_STOP;
	switch (p) {
	case P_ATOMIC:
		patch_atomic(s);
		patched_by[P_ATOMIC]++;
		break;
	case P_PLAIN:
		patch_plain(s);
		patched_by[P_PLAIN]++;
		break;
	case P_BYTEWISE:
		patch_bytewise(s);
		patched_by[P_BYTEWISE]++;
		break;
	case P_BREAKPOINT:
		pending_bp[n_bp++] = s;
		if (n_bp >= batch)
			flush();
		break;
	case P_STOP:
		pending_stop[n_stop++] = s;
		if (n_stop >= batch)
			flush();
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- landing stubs (controls) */

/* A control site alternates between two stubs A and B whose rel32 differ in the two bytes on
 * either side of the boundary its field crosses; the two mixes a torn fetch can produce
 * (low bytes of one, high bytes of the other) land on two more stubs, which answer "torn".
 * Every stub: mov $value,%eax; ret, in a 16-byte slot of INT3s, on pages mapped at run time. */
#define STUB_BASE 0x30000000UL
static uintptr_t stub_pages[4096];
static int n_stub_pages;
static uintptr_t stub_slots[4096];
static int n_stub_slots;

static int stub_page_ready(uintptr_t page)
{
	for (int k = 0; k < n_stub_pages; k++)
		if (stub_pages[k] == page)
			return 1;
	if (n_stub_pages == (int)(sizeof stub_pages / sizeof stub_pages[0]))
		return 0;
	void *p = mmap((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)page) {
		if (p != MAP_FAILED)
			munmap(p, 4096);
		return 0;
	}
	memset(p, 0xcc, 4096);
	stub_pages[n_stub_pages++] = page;
	return 1;
}

static int stub_free(uintptr_t a)
{
	for (int k = 0; k < n_stub_slots; k++)
		if (stub_slots[k] == a)
			return 0;
	return stub_page_ready(a & ~4095UL);
}

static void stub_put(uintptr_t a, int value)
{
	uint8_t *c = (uint8_t *)a;
	c[0] = 0xb8;
	memcpy(c + 1, &value, 4);
	c[5] = 0xc3;
	stub_slots[n_stub_slots++] = a;
}

/* Which byte of the rel32 starts the far side of the boundary the field crosses (1..3). */
static int tear_byte(const struct site *s)
{
	uintptr_t f = s->addr + s->field;
	int unit = s->boundary ? s->boundary : 4;
	int j = (int)((unit - f % unit) % unit);
	return j >= 1 && j <= 3 ? j : 2; /* aligned: bytewise splits anywhere; take the middle */
}

static void make_control(long i, int c)
{
	struct site *s = &S[i];
	uintptr_t end = s->addr + s->len;
	int j = tear_byte(s);
	uint32_t dlo = 0x10u << (8 * (j - 1)), dhi = 1u << (8 * j);
	for (int attempt = 0; attempt < 1000; attempt++) {
		uintptr_t a = STUB_BASE + (uintptr_t)c * 0x20040 + (uintptr_t)attempt * 0x1040;
		int32_t rel = (int32_t)(a - end);
		uintptr_t at[4] = {a, end + (int32_t)(rel ^ dlo ^ dhi), end + (int32_t)(rel ^ dlo),
				   end + (int32_t)(rel ^ dhi)};
		int ok = 1;
		for (int k = 0; k < 4 && ok; k++)
			ok = stub_free(at[k]) && stub_free(at[k] + 15);
		if (!ok)
			continue;
		for (int k = 0; k < 4; k++)
			stub_put(at[k], 0x40000000 | (int)(i << 2) | k);
		s->target[0] = at[0], s->target[1] = at[1];
		s->value[0] = 0x40000000 | (int)(i << 2), s->value[1] = s->value[0] | 1;
		s->cur = 1; /* patch_plain writes target[!cur]: point the site at A (no worker runs yet) */
		patch_plain(s);
		return;
	}
	fprintf(stderr, "harness: no room for the landing stubs of site %#lx\n", (unsigned long)s->addr);
	exit(2);
}

/* ---------------------------------------------------------------- setup */

static int cmp_site(const void *a, const void *b)
{
	uintptr_t x = ((const struct site *)a)->addr, y = ((const struct site *)b)->addr;
	return (x > y) - (x < y);
}

static void load_sites(const char *plan)
{
	n_sites = (long)sites_count();
	if (n_sites != entries_count) {
		fprintf(stderr, "harness: the table has %ld entries, the generator wrote %ld sites\n", n_sites,
			entries_count);
		exit(2);
	}
	S = calloc(n_sites, sizeof *S);
	site_failures = calloc(n_sites, sizeof *site_failures);
	for (long i = 0; i < n_sites; i++) {
		const struct static_call_site *t = &__start_static_call_sites[i];
		struct branch b;
		struct site *s = &S[i];
		s->addr = site_address(t);
		if (branch_decode(s->addr, &b) < 0 || b.tail != site_is_tail(t)) {
			fprintf(stderr, "harness: entry %ld (%#lx) is not the branch its table entry says\n", i,
				(unsigned long)s->addr);
			exit(2);
		}
		s->len = b.length, s->field = b.patch_offset;
		s->key = -1;
		for (int k = 0; k < N_KEYS; k++)
			if (site_key(t) == implementations[k].key)
				s->key = k;
		if (s->key < 0 || b.destination != branch_target((const void *)implementations[s->key].fn[0])) {
			fprintf(stderr, "harness: site %#lx: unknown key or not the default target\n", (unsigned long)s->addr);
			exit(2);
		}
		for (int w = 0; w < 2; w++)
			s->target[w] = branch_target((const void *)implementations[s->key].fn[w]),
			s->value[w] = implementations[s->key].value[w];
		uintptr_t f = s->addr + s->field;
		s->boundary = f % 4 == 0 ? 0 : f / 64 != (f + 3) / 64 ? 64 : f / 8 != (f + 3) / 8 ? 8 : 4;
		s->verdict = (enum verdict)-1;
	}
	qsort(S, n_sites, sizeof *S, cmp_site);
	/* each entry reaches its own site: the first site at or after it, within 64 bytes */
	for (long e = 0; e < n_sites; e++) {
		uintptr_t a = (uintptr_t)entries[e];
		long lo = 0, hi = n_sites;
		while (lo < hi) {
			long m = (lo + hi) / 2;
			if (S[m].addr < a)
				lo = m + 1;
			else
				hi = m;
		}
		if (lo == n_sites || S[lo].addr - a >= 64 || S[lo].entry) {
			fprintf(stderr, "harness: entry %ld at %#lx has no site of its own\n", e, (unsigned long)a);
			exit(2);
		}
		S[lo].entry = entries[e];
	}
	FILE *f = fopen(plan, "r");
	if (!f) {
		fprintf(stderr, "harness: %s: error: %s\n", plan, strerror(errno));
		exit(2);
	}
	char line[512], v[64];
	unsigned long a;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx %63s", &a, v) != 2)
			continue;
		long i = site_at(a);
		int k;
		for (k = 0; k < 3 && strcmp(v, verdict_name[k]) != 0; k++)
			;
		if (i < 0 || k == 3) {
			fprintf(stderr, "harness: %s: error: '%s' is no site of the table with a verdict\n", plan, line);
			exit(2);
		}
		S[i].verdict = (enum verdict)k;
	}
	fclose(f);
	for (long i = 0; i < n_sites; i++)
		if ((int)S[i].verdict < 0) {
			fprintf(stderr, "harness: %s: error: no verdict for site %#lx\n", plan, (unsigned long)S[i].addr);
			exit(2);
		}
	/* the code stays writable for the run, as the kernel's poking_mm alias of the text is */
	uintptr_t lo = S[0].addr & ~4095UL, hi = (S[n_sites - 1].addr + 16 + 4095) & ~4095UL;
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
		perror("harness: mprotect");
		exit(2);
	}
}

static int selected(const struct site *s, const char *sel)
{
	if (!strcmp(sel, "all"))
		return 1;
	if (!strcmp(sel, "atomic") || !strcmp(sel, "breakpoint"))
		return !strcmp(verdict_name[s->verdict], sel);
	if (!strcmp(sel, "cross4") || !strcmp(sel, "cross8") || !strcmp(sel, "cross64"))
		return s->boundary == atoi(sel + 5);
	if (!strcmp(sel, "misaligned"))
		return s->boundary != 0;
	fprintf(stderr, "harness: unknown site selection '%s' (all atomic breakpoint cross4 cross8 cross64 misaligned)\n",
		sel);
	exit(2);
}

static enum protocol parse_protocol(const char *p)
{
	for (int k = 0; k < 7; k++)
		if (!strcmp(p, protocol_name[k]))
			return (enum protocol)k;
	fprintf(stderr, "harness: unknown protocol '%s'\n", p);
	exit(2);
}

/* ---------------------------------------------------------------- runs */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static long *patch_set;
static long n_patch;

/* Picks up to `want` sites of the selection (0: all) for the patcher. */
static void choose(const char *sel, enum protocol p, long want)
{
	static char last_sel[32];
	static enum protocol last_p;
	static long last_want = -1;
	if (want == last_want && p == last_p && !strcmp(sel, last_sel))
		return; /* serve: the same windows again */
	snprintf(last_sel, sizeof last_sel, "%s", sel), last_p = p, last_want = want;
	free(patch_set);
	patch_set = malloc(n_sites * sizeof *patch_set);
	n_patch = 0;
	for (long i = 0; i < n_sites && (want <= 0 || n_patch < want); i++)
		if (selected(&S[i], sel)) {
			if (p == P_ATOMIC && S[i].verdict != V_ATOMIC) {
				fprintf(stderr, "harness: site %#lx is not atomic; select 'atomic' for the atomic protocol\n",
					(unsigned long)S[i].addr);
				exit(2);
			}
			patch_set[n_patch++] = i;
		}
}

struct run {
	double seconds;
	unsigned long patches, calls, rounds, emulated, late, fail[N_FAILURES];
	double slice_min, slice_median, slice_max; /* patches/s per 100 ms slice */
};

static void snapshot(struct run *r)
{
	r->calls = total_calls();
	r->rounds = sync_rounds;
	r->emulated = r->late = 0;
	for (int w = 0; w < n_workers; w++)
		r->emulated += W[w].emulated, r->late += W[w].late;
	for (int k = 0; k < N_FAILURES; k++)
		r->fail[k] = atomic_load(&failures[k]);
	r->patches = 0;
	for (int k = 0; k < 7; k++)
		r->patches += patched_by[k];
}

static int paced;

/* --paced: after each round over the chosen sites, wait until every worker has made one whole
 * pass over every site that began after the previous mark. A worker may be mid-pass when the
 * mark is taken, so the first pass it completes may be mostly older: wait for two. */
static void pace(unsigned long *mark)
{
	for (int w = 0; w < n_workers; w++) {
		while (__atomic_load_n(&W[w].passes, __ATOMIC_RELAXED) < mark[w] + 2)
			usleep(100);
		mark[w] = __atomic_load_n(&W[w].passes, __ATOMIC_RELAXED);
	}
}

/* Patches the chosen sites round after round for `seconds` or `max` patches. */
static struct run window(enum protocol p, int batch, double seconds, unsigned long max)
{
	unsigned long mark[n_workers];
	for (int w = 0; w < n_workers; w++)
		mark[w] = __atomic_load_n(&W[w].passes, __ATOMIC_RELAXED);
	struct run a, b;
	static double slices[100000];
	int n_slices = 0;
	snapshot(&a);
	double t0 = now(), slice_t = t0, end = t0 + seconds;
	unsigned long slice_p = a.patches, done = 0;
	int cheap = p == P_ATOMIC || p == P_PLAIN || p == P_BYTEWISE;
	if (p == P_NONE || n_patch == 0) {
		struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
		nanosleep(&ts, NULL);
	} else {
		for (long k = 0;; k = (k + 1) % n_patch) {
			if (paced && k == 0 && done > 0)
				flush(), pace(mark);
			patch(&S[patch_set[k]], p, batch);
			/* the clock every 64 cheap stores; after every patch of the slow protocols */
			if ((++done & 63) == 0 || done == max || !cheap) {
				double t = now();
				if (t - slice_t >= 0.1 && n_slices < 100000) {
					unsigned long pp = a.patches + done;
					slices[n_slices++] = (pp - slice_p) / (t - slice_t);
					slice_p = pp, slice_t = t;
				}
				if (t >= end || (max && done >= max))
					break;
			}
		}
		flush();
	}
	snapshot(&b);
	struct run r = {.seconds = now() - t0, .patches = b.patches - a.patches, .calls = b.calls - a.calls,
			.rounds = b.rounds - a.rounds, .emulated = b.emulated - a.emulated, .late = b.late - a.late};
	for (int k = 0; k < N_FAILURES; k++)
		r.fail[k] = b.fail[k] - a.fail[k];
	if (n_slices) {
		qsort(slices, n_slices, sizeof slices[0], cmp_double);
		r.slice_min = slices[0], r.slice_median = slices[n_slices / 2], r.slice_max = slices[n_slices - 1];
	}
	return r;
}

/* With the workers stopped, every chosen site must answer what the harness last wrote. */
static unsigned long verify(void)
{
	static struct worker verifier; /* a fault here is counted like a worker's */
	volatile long i;
	unsigned long stale = 0;
	stop_workers();
	self = &verifier;
	for (i = 0; i < n_sites; i++) {
		if (sigsetjmp(verifier.recover, 1))
			continue;
		current_site = i;
		int r = S[i].entry(1);
		current_site = -1;
		if (r != S[i].value[S[i].cur]) {
			record(i, F_STALE, r, 0);
			stale++;
		}
	}
	self = NULL;
	current_site = -1;
	release_workers();
	return stale;
}

static void print_run(const char *what, enum protocol p, const char *sel, int batch, const struct run *r)
{
	printf("run: %s protocol=%s select=%s sites=%ld batch=%d workers=%d seconds=%.3f patches=%lu "
	       "patches/s=%.0f slice-min=%.0f slice-median=%.0f slice-max=%.0f sync-rounds=%lu calls=%lu calls/s=%.0f "
	       "trap-emulated=%lu trap-late=%lu",
	       what, protocol_name[p], sel, n_patch, batch, n_workers, r->seconds, r->patches, r->patches / r->seconds,
	       r->slice_min, r->slice_median, r->slice_max, r->rounds, r->calls, r->calls / r->seconds, r->emulated,
	       r->late);
	for (int k = 0; k < N_FAILURES; k++)
		printf(" %s=%lu", failure_name[k], r->fail[k]);
	printf("\n");
}

static void print_failures(void)
{
	char name[128];
	int n = atomic_load(&n_shown);
	for (int k = 0; k < n && k < MAX_SHOWN; k++) {
		long i = shown[k].site;
		if (i >= 0)
			printf("FAIL %s x%u site %#lx %s (%s, rel32 %s) got %#x, expected %#x or %#x\n",
			       failure_name[shown[k].kind], atomic_load(&site_failures[i]), (unsigned long)S[i].addr,
			       symbol_name(S[i].addr, name, sizeof name), verdict_name[S[i].verdict],
			       S[i].boundary ? (S[i].boundary == 64 ? "crosses a 64-byte line"
					       : S[i].boundary == 8 ? "crosses an 8-byte boundary" : "crosses a 4-byte boundary")
					     : "aligned",
			       shown[k].got, S[i].value[0], S[i].value[1]);
		else
			printf("FAIL %s at pc %#lx, no site\n", failure_name[shown[k].kind], (unsigned long)shown[k].pc);
	}
	if (n > MAX_SHOWN)
		printf("FAIL ... %d more sites\n", n - MAX_SHOWN);
	long sites_hit = 0;
	for (long i = 0; i < n_sites; i++)
		sites_hit += atomic_load(&site_failures[i]) != 0;
	printf("failing sites: %ld\n", sites_hit);
}

static void print_machine(void)
{
	char model[256] = "?", line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "model name", 10)) {
			snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	struct utsname u;
	uname(&u);
	double load[3] = {0};
	getloadavg(load, 3);
	long atomic = 0, bp = 0, stop = 0;
	long bound[65] = {0};
	for (long i = 0; i < n_sites; i++) {
		atomic += S[i].verdict == V_ATOMIC, bp += S[i].verdict == V_BREAKPOINT, stop += S[i].verdict == V_STOP;
		bound[S[i].boundary]++;
	}
	printf("machine: cpu=\"%s\" cpus=%ld kernel=%s load=%.2f,%.2f,%.2f membarrier-sync-core=%s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), u.release, load[0], load[1], load[2], have_membarrier ? "yes" : "no (mprotect fallback)");
	printf("table: sites=%ld atomic=%ld breakpoint=%ld stop-machine=%ld rel32-aligned=%ld cross4=%ld cross8=%ld "
	       "cross64=%ld\n",
	       n_sites, atomic, bp, stop, bound[0], bound[4], bound[8], bound[64]);
}

static void start_workers(int n)
{
	n_workers = n;
	W = calloc(n, sizeof *W);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (int w = 0; w < n; w++) {
		W[w].cpu = (int)(w % cpus);
		if (pthread_create(&W[w].thread, NULL, worker_main, &W[w]) != 0) {
			perror("harness: pthread_create");
			exit(2);
		}
	}
	/* warm-up: patching starts once every worker has called every site once */
	for (int w = 0; w < n; w++)
		while (__atomic_load_n(&W[w].calls, __ATOMIC_RELAXED) < (unsigned long)call_n)
			usleep(1000);
}

static void set_call_order(const long *order, long n)
{
	call_order = order, call_n = n;
}

static void serve(int batch_default)
{
	char line[256], proto[32], sel[32];
	long n;
	int batch;
	double ms;
	while (fgets(line, sizeof line, stdin)) {
		if (sscanf(line, "window %31s %31s %ld %d %lf", proto, sel, &n, &batch, &ms) == 5) {
			enum protocol p = parse_protocol(proto);
			choose(sel, p, n);
			struct run r = window(p, batch > 0 ? batch : batch_default, ms / 1000, 0);
			print_run("window", p, sel, batch, &r);
		} else if (!strncmp(line, "verify", 6)) {
			printf("verify: stale=%lu\n", verify());
		} else if (!strncmp(line, "quit", 4)) {
			break;
		} else {
			printf("error: unknown command %s", line);
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	const char *plan = NULL, *sel = "all";
	enum protocol p = P_MODEL;
	long want = 0, plant = 0, plant_trap = 0;
	int batch = 1, workers = (int)sysconf(_SC_NPROCESSORS_ONLN), server = 0, control = 0;
	double seconds = 2;
	unsigned long max = 0;
	for (int k = 1; k < argc; k++) {
		char *a = argv[k], *v = strchr(a, '=');
		v = v ? v + 1 : "";
		if (!strncmp(a, "--plan=", 7)) plan = v;
		else if (!strncmp(a, "--protocol=", 11)) p = parse_protocol(v);
		else if (!strncmp(a, "--select=", 9)) sel = v;
		else if (!strncmp(a, "--sites=", 8)) want = atol(v);
		else if (!strncmp(a, "--batch=", 8)) batch = atoi(v);
		else if (!strncmp(a, "--seconds=", 10)) seconds = atof(v);
		else if (!strncmp(a, "--max-patches=", 14)) max = strtoul(v, NULL, 0);
		else if (!strncmp(a, "--workers=", 10)) workers = atoi(v);
		else if (!strncmp(a, "--plant=", 8)) plant = atol(v);
		else if (!strncmp(a, "--plant-trap=", 13)) plant_trap = atol(v);
		else if (!strcmp(a, "--serve")) server = 1;
		else if (!strcmp(a, "--paced")) paced = 1;
		else {
			fprintf(stderr, "harness: unknown argument '%s'\n", a);
			return 2;
		}
	}
	if (!plan || batch < 1 || batch > TP_VEC_MAX || workers < 1) {
		fprintf(stderr, "usage: harness --plan=FILE [--protocol=P] [--select=S] [--sites=N] [--batch=1..256] "
				"[--seconds=S] [--max-patches=N] [--workers=T] [--plant=K] [--plant-trap=K] [--paced] [--serve]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_flags = SA_SIGINFO | SA_NODEFER};
	sa.sa_sigaction = on_trap;
	sigaction(SIGTRAP, &sa, NULL);
	sa.sa_sigaction = on_fault;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	setup_membarrier();
	load_sites(plan);
	print_machine();

	static long *all;
	all = malloc(n_sites * sizeof *all);
	for (long i = 0; i < n_sites; i++)
		all[i] = i;
	choose(sel, p, want);
	control = p == P_PLAIN || p == P_BYTEWISE;
	if (control) /* workers call only the control sites, which land on stubs when torn */
		for (long c = 0; c < n_patch; c++)
			make_control(patch_set[c], (int)c);
	/* planted: some sites alternate with `rogue`, which the workers' expectations do not know */
	for (long k = 0; k < plant && k < n_patch; k++) {
		struct site *s = &S[patch_set[k * n_patch / plant]];
		s->target[1] = branch_target((const void *)rogue);
		printf("planted: site %#lx alternates with rogue (answers %#x)\n", (unsigned long)s->addr, ROGUE_VALUE);
	}
	/* planted: an INT3 no protocol wrote, on sites the patcher then leaves alone (a fault each
	 * time a worker gets there) */
	for (long k = 0; k < plant_trap && k < n_patch; k++) {
		long at = (k * n_patch / plant_trap + n_patch / (2 * plant_trap)) % n_patch;
		struct site *s = &S[patch_set[at]];
		*(volatile uint8_t *)s->addr = 0xcc;
		patch_set[at] = -1;
		printf("planted: site %#lx holds an INT3 outside any protocol\n", (unsigned long)s->addr);
	}
	if (plant_trap) {
		long m = 0;
		for (long k = 0; k < n_patch; k++)
			if (patch_set[k] >= 0)
				patch_set[m++] = patch_set[k];
		n_patch = m;
	}
	set_call_order(control ? patch_set : all, control ? n_patch : n_sites);
	start_workers(workers);
	if (server) {
		printf("ready\n");
		fflush(stdout);
		serve(batch);
	} else {
		struct run r = window(p, batch, seconds, max);
		print_run("stress", p, sel, batch, &r);
		unsigned long stale = verify();
		printf("verify: stale=%lu\n", stale);
	}
	atomic_store(&quit, 1);
	for (int w = 0; w < n_workers; w++)
		pthread_join(W[w].thread, NULL);
	print_failures();
	unsigned long bad = 0;
	for (int k = 0; k < N_FAILURES; k++)
		bad += atomic_load(&failures[k]);
	printf("RESULT: %s\n", bad ? "FAILURES" : "no fault, no wrong answer");
	return bad ? 1 : 0;
}
