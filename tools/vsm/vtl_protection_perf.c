// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a VTL protection change costs.  Guest code in VTL1 issues
 * HvCallModifyVtlProtectionMask on VTL0 memory from a script the host
 * writes into guest memory, and the host times the script.  The same guest
 * code runs in four modes:
 *
 *  kernel   KVM handles the hypercall (this project).
 *  punt     the hypercall exits to userspace, which applies each run of
 *           consecutive GPNs with KVM_SET_VTL_PROTECTION (the 2024
 *           "companion VM" design: an exit plus an ioctl per run).
 *  memslot  the hypercall exits to userspace, which splits and rewrites
 *           memslots: a page without W is in a KVM_MEM_READONLY slot, a
 *           page without R in no slot (the 2023 design).  Memslots cannot
 *           express execute protection, so X is ignored in this mode.
 *  floor    the same calls with a partition id KVM rejects right after
 *           reading the input (HV_STATUS_INVALID_PARTITION_ID): the exit,
 *           the input read and the entry, and nothing else.
 *
 * Workloads (Documentation/virt/kvm/vsm.rst defines them exactly):
 *
 *  boot     -c page changes (200,000) in the pattern a secure kernel
 *           applies at boot, over a -m MiB (1 GiB) region of VTL0 memory.
 *  sweep    -s pages (8192) made read-only and then given back, in calls
 *           of 1, 8, 64 and 510 GPNs, contiguous and scattered.
 *  load     boot, while -v (2) VTL0 vCPUs write the pages between the
 *           protected ones.
 *
 * Each measurement is the median of -r (5) runs, with min and max.  Lines
 * starting "CSV," are the machine-readable results; the table follows.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hyperv_vsm.h"
#include "vtl_script.h"

#define REGION_SLOT		10
#define SCRIPT_SLOT		9
/* memslot mode: the region's slots get ids from here up. */
#define FIRST_DYN_SLOT		16

enum mode { M_KERNEL, M_PUNT, M_MEMSLOT, M_FLOOR, NR_MODES };
static const char *const mode_name[NR_MODES] = { "kernel", "punt", "memslot", "floor" };

enum { S_READY = 1, S_DONE };

/* Shared with the guest. */
static u64 stop_vtl1;
static u64 region_gva, writer_first, nr_writer_pages, stop_writers;
static u64 writes_done[2];

/* -------------------------------------------------------------------- */
/* Guest */

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	vtl1_enter(vp);
	if (vp->vtl1_entries == 1)
		return VTL_RETURN_FAST;

	vtl_set_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG,
		    HV_VSM_CONFIG_ENABLE_VTL_PROTECTION | HV_VSM_CONFIG_DEFAULT(RWX));
	for (;;) {
		GUEST_SYNC(S_READY);
		if (READ_ONCE(stop_vtl1))
			break;
		vtl_script_run();
		GUEST_SYNC(S_DONE);
	}
	return VTL_RETURN_FAST;
}

/*
 * VTL0 writers, over their share of the pool: each writes a word into an
 * even page, which the boot workload never protects, and reads the odd
 * page after it, which the workload protects (never against reads).  So
 * VTL0 has SPTEs where the protections change, and zaps and TLB flushes
 * hit it.  Each run of the workload is one GUEST_SYNC apart.
 */
static void writer_main(u64 id, u64 nr_writers)
{
	u64 i, n, sum = 0;
	u64 *p;

	for (;;) {
		n = 0;
		while (!READ_ONCE(stop_writers))
			for (i = id; i < nr_writer_pages && !READ_ONCE(stop_writers);
			     i += nr_writers, n++) {
				p = (u64 *)(region_gva + (writer_first + 2 * i) * PAGE_SIZE);
				WRITE_ONCE(*p, n);
				sum += READ_ONCE(p[PAGE_SIZE / 8]);
			}
		WRITE_ONCE(writes_done[id], n + (sum & 0));
		GUEST_SYNC(S_DONE);
	}
}

static void guest_main(struct vtl_vp *vp, u64 writer_id, u64 nr_writers)
{
	if (!vp)
		writer_main(writer_id, nr_writers);

	wrmsr(HV_X64_MSR_GUEST_OS_ID, VTL0_GUEST_OS_ID);
	vtl0_enable_vtl1(vp);
	vtl_call();		/* VTL1's first entry */
	vtl_call();		/* VTL1 runs scripts until told to stop */
	GUEST_DONE();
}

/* -------------------------------------------------------------------- */
/* memslot mode: the VMM's side of the 2023 design */

enum { ST_NONE, ST_RO, ST_RW };

struct slots {
	struct kvm_vm *vm;
	u8 *hva;
	u64 pages;
	u64 *start_bits;	/* bit p: a run starts at page p */
	u64 *summary;		/* bit w: word w of start_bits is not zero */
	u8 *state;		/* per run, at its start page */
	s32 *slot;		/* per run, at its start page; -1: none */
	s32 *free_ids;
	u32 nr_free;
	u64 ioctls;
};

static bool start_test(struct slots *m, u64 p)
{
	return m->start_bits[p / 64] & BIT_ULL(p % 64);
}

static void start_set(struct slots *m, u64 p, bool on)
{
	if (on)
		m->start_bits[p / 64] |= BIT_ULL(p % 64);
	else
		m->start_bits[p / 64] &= ~BIT_ULL(p % 64);
	if (m->start_bits[p / 64])
		m->summary[p / 4096] |= BIT_ULL(p / 64 % 64);
	else
		m->summary[p / 4096] &= ~BIT_ULL(p / 64 % 64);
}

/* The start of the run holding page @p: the last start bit at or below it. */
static u64 run_of(struct slots *m, u64 p)
{
	u64 w = p / 64, bits = m->start_bits[w] & GENMASK_ULL(p % 64, 0), s;

	if (bits)
		return w * 64 + 63 - __builtin_clzll(bits);
	for (s = w / 64 + 1; s--;) {
		u64 sb = m->summary[s];

		if (s == w / 64)
			sb &= w % 64 ? GENMASK_ULL(w % 64 - 1, 0) : 0;
		if (sb) {
			w = s * 64 + 63 - __builtin_clzll(sb);
			return w * 64 + 63 - __builtin_clzll(m->start_bits[w]);
		}
	}
	TEST_FAIL("no run holds page %lu", p);
	return 0;
}

/* The page after the run that starts at @p. */
static u64 run_end(struct slots *m, u64 p)
{
	for (p++; p < m->pages; p++) {
		if (!(p % 64) && !m->start_bits[p / 64]) {
			/* Skip whole empty words through the summary. */
			if (!(p % 4096) && !m->summary[p / 4096]) {
				p += 4095;
				continue;
			}
			p += 63;
			continue;
		}
		if (start_test(m, p))
			return p;
	}
	return m->pages;
}

static void slot_set(struct slots *m, u64 first, u64 end, u8 state)
{
	s32 id = -1;

	if (state != ST_NONE) {
		TEST_ASSERT(m->nr_free, "out of memslots");
		id = m->free_ids[--m->nr_free];
		vm_set_user_memory_region(m->vm, id, state == ST_RO ? KVM_MEM_READONLY : 0,
					  VTL_SCRIPT_REGION_GPA + first * PAGE_SIZE,
					  (end - first) * PAGE_SIZE,
					  m->hva + first * PAGE_SIZE);
		m->ioctls++;
	}
	start_set(m, first, true);
	m->state[first] = state;
	m->slot[first] = id;
}

static void slot_drop(struct slots *m, u64 first)
{
	s32 id = m->slot[first];

	if (id >= 0) {
		vm_set_user_memory_region(m->vm, id, 0, 0, 0, NULL);
		m->free_ids[m->nr_free++] = id;
		m->ioctls++;
	}
	start_set(m, first, false);
}

/*
 * Give pages [first, last] state @st: drop the slots of the runs they
 * touch and of equal neighbours, then create slots for the merged pieces.
 */
static void slots_apply(struct slots *m, u64 first, u64 last, u8 st)
{
	u64 a = run_of(m, first), b = run_of(m, last), end = run_end(m, b), p, q;
	u8 left = m->state[a], right = m->state[b];
	u64 lo = first, hi = last + 1;

	/* Already so: a VMM would not touch its memslots. */
	if (a == b && left == st)
		return;

	/* Merge with the run before, or the kept head of run a. */
	if (a < first && left == st)
		lo = a;
	else if (a == first && a && m->state[run_of(m, a - 1)] == st)
		lo = run_of(m, a - 1);
	if (end > last + 1 && right == st)
		hi = end;
	else if (end == last + 1 && end < m->pages && m->state[end] == st)
		hi = run_end(m, end);

	for (p = min(a, lo); p < max(end, hi); p = q) {
		q = run_end(m, p);
		slot_drop(m, p);
	}
	if (a < lo)
		slot_set(m, a, lo, left);
	slot_set(m, lo, hi, st);
	if (hi < end)
		slot_set(m, hi, end, right);
}

static void slots_init(struct slots *m, struct kvm_vm *vm, u8 *hva, u64 pages)
{
	u32 max = kvm_check_cap(KVM_CAP_NR_MEMSLOTS), id;

	m->vm = vm;
	m->hva = hva;
	m->pages = pages;
	m->start_bits = calloc(DIV_ROUND_UP(pages, 64), 8);
	m->summary = calloc(DIV_ROUND_UP(pages, 4096), 8);
	m->state = calloc(pages, 1);
	m->slot = calloc(pages, sizeof(s32));
	m->free_ids = calloc(max, sizeof(s32));
	TEST_ASSERT(m->start_bits && m->summary && m->state && m->slot && m->free_ids,
		    "calloc");
	m->nr_free = 0;
	for (id = max; id-- > FIRST_DYN_SLOT;)
		m->free_ids[m->nr_free++] = id;
	m->ioctls = 0;
	/* The region starts as one read-write slot, REGION_SLOT's. */
	vm_set_user_memory_region(vm, REGION_SLOT, 0, 0, 0, NULL);
	slot_set(m, 0, pages, ST_RW);
}

/* Back to one read-write slot. */
static void slots_reset(struct slots *m)
{
	u64 p, q;

	for (p = 0; p < m->pages; p = q) {
		q = run_end(m, p);
		slot_drop(m, p);
	}
	slot_set(m, 0, m->pages, ST_RW);
}

/* -------------------------------------------------------------------- */
/* Host */

/*
 * Under QEMU's TCG, a vCPU of a guest running several vCPUs in parallel
 * now and then triple-faults, protections or not (see the note of
 * vtl_concurrency_test); a writer is only load, so it starts over.
 */
struct writer {
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	u64 restarts;
};

struct bench {
	enum mode mode;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[3];
	struct writer writers[2];
	u64 region_pages;
	u8 *region_hva;
	struct slots slots;
	struct script script;
	u64 exits;
};

/* punt and memslot: the VMM's HvCallModifyVtlProtectionMask. */
static u64 vmm_protect(struct bench *b, u64 control, u64 ingpa)
{
	struct hv_modify_vtl_protection_mask *in = addr_gpa2hva(b->vm, ingpa);
	u64 region_gfn = VTL_SCRIPT_REGION_GPA >> 12, first, last;
	u32 nr = (control >> 32) & 0xfff, i, j;
	u8 prot;

	b->exits++;
	if (in->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	prot = in->map_flags;
	for (i = 0; i < nr; i = j) {
		first = in->gpn[i];
		for (j = i + 1; j < nr && in->gpn[j] == first + (j - i); j++)
			;
		last = in->gpn[j - 1];
		TEST_ASSERT(first >= region_gfn && last < region_gfn + b->region_pages,
			    "GPN outside the region");
		if (b->mode == M_MEMSLOT) {
			slots_apply(&b->slots, first - region_gfn, last - region_gfn,
				    !(prot & R) ? ST_NONE : (prot & KVM_VTL_PROT_WRITE) ?
				    ST_RW : ST_RO);
		} else {
			struct kvm_vtl_protection p = {
				.gfn = first, .npages = last - first + 1, .vtl = 1,
				.prot = prot,
			};

			vm_ioctl(b->vm, KVM_SET_VTL_PROTECTION, &p);
		}
	}
	return HV_HYPERCALL_REP_COUNT(nr);
}

/* Run vCPU 0 to its next sync, doing the VMM's part on the way. */
static u64 run_to_sync(struct bench *b)
{
	struct kvm_vcpu *vcpu = b->vcpus[0];
	struct kvm_run *run = vcpu->run;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_SHUTDOWN)
			vtl_report_shutdown(vcpu);
		if (run->exit_reason == KVM_EXIT_HYPERV) {
			TEST_ASSERT_EQ(run->hyperv.type, KVM_EXIT_HYPERV_HCALL);
			TEST_ASSERT_EQ(run->hyperv.u.hcall.input & 0xffff,
				       HVCALL_MODIFY_VTL_PROTECTION_MASK);
			run->hyperv.u.hcall.result =
				vmm_protect(b, run->hyperv.u.hcall.input,
					    run->hyperv.u.hcall.params[0]);
			continue;
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			return uc.args[1];
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		case UCALL_DONE:
			return 0;
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
}

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	struct kvm_vcpu *vcpu = w->vcpu;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		/* memslot mode: a page between two slot updates is MMIO. */
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO)
			continue;
		if (vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN) {
			vcpu_regs_set(vcpu, &w->regs);
			vcpu_sregs_set(vcpu, &w->sregs);
			w->restarts++;
			continue;
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		if (get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT_EQ(uc.cmd, UCALL_SYNC);
		return NULL;
	}
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct bench *bench_create(enum mode mode, u64 region_mib, u64 script_mib,
				  int nr_writers)
{
	struct bench *b = calloc(1, sizeof(*b));
	u64 script_pages = script_mib << 8, mapped;
	u8 *script_buf;
	int i;

	TEST_ASSERT(b, "calloc");
	b->mode = mode;
	b->region_pages = region_mib << 8;
	/* The guest maps the script, and the region if the writers need it. */
	mapped = (nr_writers ? b->region_pages : 0) + script_pages;
	b->vm = vtl_vm_create_extra(1 + nr_writers, mapped, guest_main, b->vcpus);
	b->region_hva = mmap(NULL, b->region_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(b->region_hva != MAP_FAILED, "mmap");
	vm_set_user_memory_region(b->vm, REGION_SLOT, 0, VTL_SCRIPT_REGION_GPA,
				  b->region_pages * PAGE_SIZE, b->region_hva);
	script_buf = vtl_script_map(b->vm, SCRIPT_SLOT, script_pages);
	if (nr_writers) {
		region_gva = vm_vaddr_unused_gap(b->vm, b->region_pages * PAGE_SIZE,
						 KVM_UTIL_MIN_VADDR);
		virt_map(b->vm, region_gva, VTL_SCRIPT_REGION_GPA, b->region_pages);
		writer_first = b->region_pages / 2;
		nr_writer_pages = b->region_pages / 4;
		sync_global_to_guest(b->vm, region_gva);
		sync_global_to_guest(b->vm, writer_first);
		sync_global_to_guest(b->vm, nr_writer_pages);
	}
	vtl_vp_setup(b->vcpus[0], vtl1_handler);
	for (i = 1; i <= nr_writers; i++) {
		struct writer *w = &b->writers[i - 1];

		vcpu_args_set(b->vcpus[i], 3, 0, i - 1, nr_writers);
		w->vcpu = b->vcpus[i];
		vcpu_regs_get(w->vcpu, &w->regs);
		vcpu_sregs_get(w->vcpu, &w->sregs);
	}

	if (mode == M_PUNT || mode == M_MEMSLOT) {
		vm_enable_cap(b->vm, KVM_CAP_HYPERV_VSM_EXITS,
			      KVM_HYPERV_VSM_EXIT_MODIFY_VTL_PROTECTION_MASK);
	}
	if (mode == M_MEMSLOT)
		slots_init(&b->slots, b->vm, b->region_hva, b->region_pages);
	script_init(&b->script, script_buf, script_pages * PAGE_SIZE, mode == M_FLOOR);

	/* VTL0 enables VTL1, VTL1 enables protection and waits for a script. */
	TEST_ASSERT_EQ(run_to_sync(b), S_READY);
	return b;
}

/* Everything back to read-write-execute, untimed. */
static void bench_reset(struct bench *b)
{
	struct kvm_vtl_protection p = {
		.gfn = VTL_SCRIPT_REGION_GPA >> 12, .npages = b->region_pages,
		.vtl = 1, .prot = RWX,
	};

	if (b->mode == M_MEMSLOT)
		slots_reset(&b->slots);
	else
		vm_ioctl(b->vm, KVM_SET_VTL_PROTECTION, &p);
}

static void bench_destroy(struct bench *b)
{
	stop_vtl1 = 1;
	sync_global_to_guest(b->vm, stop_vtl1);
	TEST_ASSERT_EQ(run_to_sync(b), 0);
	stop_vtl1 = 0;
	kvm_vm_free(b->vm);
	munmap(b->region_hva, b->region_pages * PAGE_SIZE);
	free(b);
}

struct sample {
	u64 ns, flushes, exits, writes, restarts;
};

/* Run the published script once; with writers, they run meanwhile. */
static struct sample bench_run(struct bench *b, int nr_writers)
{
	u64 flushes = vm_get_stat(b->vm, "remote_tlb_flush_requests");
	pthread_t th[2];
	struct sample smp;
	u64 t0;
	int i;

	b->exits = 0;
	if (nr_writers) {
		stop_writers = 0;
		sync_global_to_guest(b->vm, stop_writers);
		for (i = 0; i < nr_writers; i++)
			pthread_create(&th[i], NULL, writer_thread, &b->writers[i]);
	}
	t0 = now_ns();
	TEST_ASSERT_EQ(run_to_sync(b), S_DONE);
	smp.ns = now_ns() - t0;
	if (nr_writers) {
		stop_writers = 1;
		sync_global_to_guest(b->vm, stop_writers);
		for (i = 0; i < nr_writers; i++)
			pthread_join(th[i], NULL);
		sync_global_from_guest(b->vm, writes_done);
	}
	smp.writes = 0;
	smp.restarts = 0;
	for (i = 0; i < nr_writers; i++) {
		smp.writes += writes_done[i];
		smp.restarts += b->writers[i].restarts;
	}
	smp.flushes = vm_get_stat(b->vm, "remote_tlb_flush_requests") - flushes;
	smp.exits = b->exits;
	TEST_ASSERT_EQ(run_to_sync(b), S_READY);
	return smp;
}

/*
 * The protection store's memory, tree nodes included, which the
 * vtl_prot_bytes stat leaves out: what the slab caches holding its nodes
 * (maple_node) and its chunks (kmalloc-256) hold.  The machine runs
 * nothing else while this is measured.
 */
static u64 store_slab_bytes(void)
{
	unsigned long active, total, size;
	char line[512], name[64];
	FILE *f = fopen("/proc/slabinfo", "r");
	u64 bytes = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %lu %lu", name, &active, &total, &size) == 4 &&
		    (!strcmp(name, "maple_node") || !strcmp(name, "kmalloc-256")))
			bytes += (u64)active * size;
	fclose(f);
	return bytes;
}

/* Pages of the region whose VTL1 set is not RWX. */
static u64 protected_pages(struct bench *b)
{
	struct kvm_vtl_protection_range r[64];
	struct kvm_vtl_protections g = {
		.gfn = VTL_SCRIPT_REGION_GPA >> 12,
		.end = (VTL_SCRIPT_REGION_GPA >> 12) + b->region_pages,
		.vtl = 1, .ranges = (u64)r,
	};
	u64 n = 0, i;

	while (g.gfn < g.end) {
		g.nr_ranges = ARRAY_SIZE(r);
		vm_ioctl(b->vm, KVM_GET_VTL_PROTECTIONS, &g);
		for (i = 0; i < g.nr_ranges; i++)
			if (r[i].prot != RWX)
				n += r[i].npages;
		if (!g.nr_ranges)
			break;
	}
	return n;
}

/* -------------------------------------------------------------------- */
/* Results */

struct result {
	const char *workload;
	char config[32];
	enum mode mode;
	u64 pages, calls;
	double ns_page[3];	/* median, min, max */
	double ns_call, changes_per_s, flushes_per_call;
	bool valid;
};

#define MAX_RESULTS	64
static struct result results[MAX_RESULTS];
static int nr_results;

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void record(const char *workload, const char *config, enum mode mode,
		   struct script *s, struct sample *smp, int runs)
{
	struct result *r = &results[nr_results++];
	u64 ns[32];
	int i;

	TEST_ASSERT(nr_results <= MAX_RESULTS && runs <= 32, "too many results");
	for (i = 0; i < runs; i++)
		ns[i] = smp[i].ns;
	qsort(ns, runs, sizeof(u64), cmp_u64);
	r->workload = workload;
	snprintf(r->config, sizeof(r->config), "%s", config);
	r->mode = mode;
	r->pages = s->pages;
	r->calls = s->nr_calls;
	r->ns_page[0] = (double)ns[runs / 2] / s->pages;
	r->ns_page[1] = (double)ns[0] / s->pages;
	r->ns_page[2] = (double)ns[runs - 1] / s->pages;
	r->ns_call = (double)ns[runs / 2] / s->nr_calls;
	r->changes_per_s = s->pages * 1e9 / ns[runs / 2];
	r->flushes_per_call = (double)smp[0].flushes / s->nr_calls;
	r->valid = true;
	if (smp[0].writes)
		printf("# %s/%s: the writers made %.0f writes/s; %lu writer restarts\n",
		       workload, mode_name[mode], smp[0].writes * 1e9 / smp[0].ns,
		       smp[runs - 1].restarts);
	printf("CSV,%s,%s,%s,%lu,%lu,%.0f,%.0f,%.0f,%.0f,%.0f,%.3f\n", workload, config,
	       mode_name[mode], r->pages, r->calls, r->ns_page[0], r->ns_page[1],
	       r->ns_page[2], r->ns_call, r->changes_per_s, r->flushes_per_call);
	fflush(stdout);
}

static struct result *find(const char *workload, const char *config, enum mode mode)
{
	int i;

	for (i = 0; i < nr_results; i++)
		if (!strcmp(results[i].workload, workload) &&
		    !strcmp(results[i].config, config) && results[i].mode == mode)
			return &results[i];
	return NULL;
}

static void print_table(void)
{
	struct result *r, *k, *f;
	char rk[16], rf[16];
	int i;

	printf("\n%-6s %-16s %-8s %9s %7s %12s %12s %12s %12s %9s %7s %9s %8s\n",
	       "work", "config", "mode", "pages", "calls", "ns/page", "(min-max)", "",
	       "ns/call", "changes/s", "flush/c", "x kernel", "x floor");
	for (i = 0; i < nr_results; i++) {
		r = &results[i];
		k = find(r->workload, r->config, M_KERNEL);
		f = find(r->workload, r->config, M_FLOOR);
		snprintf(rk, sizeof(rk), "%.2f", k ? r->ns_page[0] / k->ns_page[0] : 0);
		snprintf(rf, sizeof(rf), "%.2f", f ? r->ns_page[0] / f->ns_page[0] : 0);
		printf("%-6s %-16s %-8s %9lu %7lu %12.0f %12.0f %12.0f %12.0f %9.0f %7.2f",
		       r->workload, r->config, mode_name[r->mode], r->pages, r->calls,
		       r->ns_page[0], r->ns_page[1], r->ns_page[2], r->ns_call,
		       r->changes_per_s, r->flushes_per_call);
		printf(" %9s %8s\n", k ? rk : "-", f ? rf : "-");
	}
}

/* -------------------------------------------------------------------- */

static void help(const char *name)
{
	printf("usage: %s [-m MiB] [-c changes] [-s pages] [-v writers] [-r runs]\n"
	       "          [-M modes] [-w workloads] [-b batches]\n"
	       " -m  VTL0 region size in MiB (1024)\n"
	       " -c  page changes of the boot workload (200000)\n"
	       " -s  pages per sweep configuration (8192)\n"
	       " -v  writer vCPUs of the load workload (2)\n"
	       " -r  runs per measurement, the median is reported (5)\n"
	       " -M  modes, comma-separated: kernel,punt,memslot,floor (all)\n"
	       " -w  workloads: boot,sweep,load (all)\n"
	       " -b  sweep batch sizes (1,8,64,510)\n"
	       " -C  boot page changes in memslot mode, if fewer (-c)\n", name);
}

static bool listed(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ',') && (!p[n] || p[n] == ','))
			return true;
	return false;
}

struct options {
	u64 region_mib, changes, sweep_pages, memslot_changes;
	const char *modes, *workloads;
	u32 batches[8];
	int nr_batches, runs, nr_writers;
};

static void report_store_memory(struct bench *b, u64 before)
{
	u64 bytes, pages = protected_pages(b);

	usleep(500000);
	bytes = store_slab_bytes() - before;
	printf("# boot/kernel: %lu protected pages, the store holds about %lu bytes\n",
	       pages, bytes);
	printf("# boot/kernel: %.2f bytes per protected page (maple_node + kmalloc-256)\n",
	       (double)bytes / pages);
}

/* Run the published script -r times, resetting in between, and record it. */
static void measure(struct bench *b, const struct options *o, const char *workload,
		    const char *config, int nr_writers)
{
	struct sample smp[32];
	u64 before;
	int i;

	for (i = 0; i < o->runs; i++) {
		before = store_slab_bytes();
		smp[i] = bench_run(b, nr_writers);
		if (!i && b->mode == M_KERNEL && !strcmp(workload, "boot"))
			report_store_memory(b, before);
		bench_reset(b);
	}
	record(workload, config, b->mode, &b->script, smp, o->runs);
}

static u64 boot_changes(const struct options *o, enum mode m)
{
	return m == M_MEMSLOT && o->memslot_changes ? o->memslot_changes : o->changes;
}

static void bench_boot_and_sweep(const struct options *o, enum mode m)
{
	struct bench *b = bench_create(m, o->region_mib, 32, 0);
	u64 sweep_pages = o->sweep_pages;
	char config[32];
	int i;

	if (listed(o->workloads, "boot")) {
		script_init(&b->script, b->script.buf, 32ull << 20, m == M_FLOOR);
		script_boot(&b->script, b->region_pages, boot_changes(o, m));
		vtl_script_publish(b->vm, &b->script);
		measure(b, o, "boot", "-", 0);
	}
	if (m == M_MEMSLOT && o->memslot_changes)
		sweep_pages = min(sweep_pages, o->memslot_changes / 2);
	for (i = 0; listed(o->workloads, "sweep") && i < 2 * o->nr_batches; i++) {
		bool scattered = i % 2;

		script_init(&b->script, b->script.buf, 32ull << 20, m == M_FLOOR);
		script_sweep(&b->script, b->region_pages, sweep_pages,
			     o->batches[i / 2], scattered);
		vtl_script_publish(b->vm, &b->script);
		snprintf(config, sizeof(config), "%s/%u",
			 scattered ? "scattered" : "contiguous", o->batches[i / 2]);
		measure(b, o, "sweep", config, 0);
	}
	bench_destroy(b);
}

static void bench_load(const struct options *o, enum mode m)
{
	struct bench *b = bench_create(m, o->region_mib, 32, o->nr_writers);

	script_boot(&b->script, b->region_pages, boot_changes(o, m));
	vtl_script_publish(b->vm, &b->script);
	measure(b, o, "load", "-", o->nr_writers);
	bench_destroy(b);
}

static void parse_options(int argc, char *argv[], struct options *o)
{
	const char *batches = "1,8,64,510";
	char *copy, *tok;
	int opt, i;

	*o = (struct options){
		.region_mib = 1024, .changes = 200000, .sweep_pages = 8192,
		.modes = "kernel,punt,memslot,floor", .workloads = "boot,sweep,load",
		.runs = 5, .nr_writers = 2,
	};
	while ((opt = getopt(argc, argv, "m:c:s:v:r:M:w:b:C:h")) != -1) {
		switch (opt) {
		case 'm':
			o->region_mib = atoll(optarg);
			break;
		case 'c':
			o->changes = atoll(optarg);
			break;
		case 's':
			o->sweep_pages = atoll(optarg);
			break;
		case 'v':
			o->nr_writers = atoi(optarg);
			break;
		case 'r':
			o->runs = atoi(optarg);
			break;
		case 'M':
			o->modes = optarg;
			break;
		case 'w':
			o->workloads = optarg;
			break;
		case 'b':
			batches = optarg;
			break;
		case 'C':
			o->memslot_changes = atoll(optarg);
			break;
		default:
			help(argv[0]);
			exit(opt == 'h' ? 0 : KSFT_FAIL);
		}
	}
	TEST_ASSERT(o->runs >= 1 && o->runs <= 32 && o->nr_writers >= 0 &&
		    o->nr_writers <= 2 && o->region_mib >= 16 &&
		    o->sweep_pages <= o->region_mib << 8, "bad arguments");
	copy = strdup(batches);
	for (tok = strtok(copy, ","); tok && o->nr_batches < 8; tok = strtok(NULL, ","))
		o->batches[o->nr_batches++] = atoi(tok);
	for (i = 0; i < o->nr_batches; i++)
		TEST_ASSERT(o->batches[i] >= 1 && o->batches[i] <= VTL_SCRIPT_MAX_BATCH,
			    "batch sizes are 1..510");
	free(copy);
}

int main(int argc, char *argv[])
{
	struct options o;
	int m;

	parse_options(argc, argv, &o);
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));

	printf("# vtl_protection_perf: region %lu MiB, boot %lu changes, sweep %lu pages\n",
	       o.region_mib, o.changes, o.sweep_pages);
	printf("# %d runs per measurement, %d writers; memslot mode: %lu changes at most\n",
	       o.runs, o.nr_writers, o.memslot_changes);
	printf("CSV,workload,config,mode,pages,calls,ns_page_median,ns_page_min,%s\n",
	       "ns_page_max,ns_call,changes_per_s,flushes_per_call");

	for (m = 0; m < NR_MODES; m++) {
		if (!listed(o.modes, mode_name[m]))
			continue;
		if (listed(o.workloads, "boot") || listed(o.workloads, "sweep"))
			bench_boot_and_sweep(&o, m);
		if (listed(o.workloads, "load") && o.nr_writers)
			bench_load(&o, m);
	}
	print_table();
	return 0;
}
