// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sub-page (128-byte) write masks.  VTL1 makes a data page read-only for
 * VTL0; the host gives the page a write mask with KVM_SET_VTL_WRITE_MASK.
 * For 32 mask patterns, VTL0 stores 1, 2, 4, 8 and 16 bytes at the start
 * of every sub-page and across every boundary between two: a store that
 * touches only granted sub-pages must land without VTL1 hearing of it, any
 * other must enter VTL1 with a GPA intercept (write) and not land; VTL1
 * steps VTL0 over it.  Then: rep movsb across sub-pages, locked
 * read-modify-writes, the mask surviving protection changes, dirty
 * logging of the writes a mask allows, the ioctls' bad input, and VTL1
 * setting masks itself with KVM's hypercall once the VMM enables it.
 *
 * KVM checks the masks in hardware where it can (Intel SPP, kvm_intel.spp),
 * else in software; the VM stat vtl_subpage_hw says which.  The test checks
 * that the expected path is in use and that granted stores are emulated on
 * the software path only, and prints a digest of everything the guest saw:
 * runs on either path must print the same one.  Prints what a granted write
 * and an intercepted one cost on the path in use.
 */
#include "vtl_lib.h"

#define DATA_GPA	(4ull << 30)
#define DATA_SLOT	10
#define SP		KVM_VTL_SUBPAGE_SIZE
#define NR_PATTERNS	32

#define R	KVM_VTL_PROT_READ
#define RW	(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE)
#define RWX	KVM_VTL_PROT_RWX

enum {
	S_SET_MASK = 1, S_SET_PROT, S_FILL, S_DIRTY_RESET, S_DIRTY_CHECK, S_BENCH,
	S_ENABLE_GUEST_MASKS, S_CHECK_GUEST_MASK, S_BENCH_START, S_OBSERVED,
	S_EXIT,
};

#define NR_GRANTED_BENCH	200

/* What VTL0 asks VTL1 to do with KVM's write-mask hypercall. */
enum { CMD_NONE, CMD_DISABLED, CMD_CALLS, CMD_NARROW };

static struct vtl_vp *the_vp;
static u64 data_gva;
static u32 patterns[NR_PATTERNS];
static u8 movs_src[512];

/* Set by VTL1. */
static struct hv_message last_msg;
static u64 nr_msgs;
static bool vtl1_set_up;
/* FNV-1a over every store's outcome: the bytes and whether VTL1 heard. */
static u64 observed = 0xcbf29ce484222325ull;
static u64 vtl1_cmd, hc_status[8];

/* KVM_VTL_HC_SET_WRITE_MASK, with the control word @control. */
static u64 kvm_set_write_mask(u64 control, u64 gpa, u32 npages, u32 mask)
{
	return HV_STATUS(vtl_hypercall(control, gpa, (u64)npages << 32 | mask));
}

#define HC_SET_MASK	(KVM_VTL_HC_MARK | KVM_VTL_HC_SET_WRITE_MASK)

/* VTL1: set masks through KVM's hypercall, as VTL0 asked. */
static void vtl1_do_cmd(void)
{
	switch (vtl1_cmd) {
	case CMD_DISABLED:
		hc_status[0] = kvm_set_write_mask(HC_SET_MASK, DATA_GPA, 1, 0x1);
		break;
	case CMD_CALLS:
		hc_status[1] = kvm_set_write_mask(HC_SET_MASK, DATA_GPA, 1, 0x1);
		hc_status[2] = kvm_set_write_mask(HC_SET_MASK, DATA_GPA, 0, 0x1);
		hc_status[3] = kvm_set_write_mask(HC_SET_MASK, DATA_GPA + 8, 1, 0x1);
		hc_status[4] = kvm_set_write_mask(HC_SET_MASK, 1ull << 42, 1, 0x1);
		hc_status[5] = kvm_set_write_mask(HC_SET_MASK | BIT(16), DATA_GPA, 1, 0x1);
		hc_status[6] = kvm_set_write_mask(KVM_VTL_HC_MARK | 2, DATA_GPA, 1, 0x1);
		break;
	case CMD_NARROW:
		hc_status[7] = kvm_set_write_mask(HC_SET_MASK, DATA_GPA, 1, 0);
		break;
	}
}

static void vtl1_sint0_isr(struct ex_regs *regs)
{
	vtl1_take_message(the_vp, &last_msg);
	nr_msgs++;
}

/* VTL1: set up on the first call; on an intercept, step VTL0 over the write. */
static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	struct memory_intercept *m = (void *)last_msg.payload;
	u32 reason = vtl1_enter(vp);

	if (vp->vtl1_entries == 1)
		return VTL_RETURN_FAST;
	if (!vtl1_set_up) {
		vtl1_set_up = true;
		vtl1_enable_intercepts(vp);
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, DATA_GPA, R)), 0);
		return vtl1_return_normal(vp, regs);
	}
	if (reason == HV_VTL_ENTRY_VTL_CALL) {
		vtl1_do_cmd();
		return vtl1_return_normal(vp, regs);
	}
	GUEST_ASSERT_EQ(reason, HV_VTL_ENTRY_INTERRUPT);
	GUEST_ASSERT_EQ(last_msg.message_type, HVMSG_GPA_INTERCEPT);
	GUEST_ASSERT_EQ(m->access_type, 1);
	GUEST_ASSERT_EQ(m->gpa >> 12, DATA_GPA >> 12);
	vtl1_skip_vtl0_insn(vp, m->insn_len_cr8 & 0xf);
	return vtl1_return_normal(vp, regs);
}

/* VTL0's stores, one per size, of @v (repeated) to @p. */
static void store(void *p, int size, u64 v)
{
	struct { u64 lo, hi; } x = { v, v };

	switch (size) {
	case 1:
		asm volatile("movb %b1, (%0)" :: "r"(p), "q"(v) : "memory");
		break;
	case 2:
		asm volatile("movw %w1, (%0)" :: "r"(p), "r"(v) : "memory");
		break;
	case 4:
		asm volatile("movl %k1, (%0)" :: "r"(p), "r"(v) : "memory");
		break;
	case 8:
		asm volatile("movq %1, (%0)" :: "r"(p), "r"(v) : "memory");
		break;
	case 16:
		asm volatile("movdqu %1, %%xmm0\n\t"
			     "movdqu %%xmm0, (%0)" :: "r"(p), "m"(x) : "memory", "xmm0");
		break;
	}
}

static bool granted(u32 mask, u64 off, int size)
{
	u64 first = off / SP, last = (off + size - 1) / SP;
	u32 span = GENMASK(last, first);

	return (mask & span) == span;
}

/* After a store: landed if granted, intercepted and untouched if not. */
static bool store_ok(u32 mask, u64 off, int size, u64 msgs_before)
{
	u8 *page = (u8 *)data_gva;
	bool ok = true;
	int i;

	for (i = 0; i < size; i++) {
		u8 b = READ_ONCE(page[off + i]);

		observed = (observed ^ b) * 0x100000001b3ull;
		ok &= b == (granted(mask, off, size) ? 0x5a : 0xee);
	}
	observed = (observed ^ (nr_msgs - msgs_before)) * 0x100000001b3ull;
	return ok && (nr_msgs == msgs_before) == granted(mask, off, size);
}

static const int sizes[] = { 1, 2, 4, 8, 16 };

/* Every size at the start of every sub-page and across every boundary. */
static u64 try_pattern(u32 mask)
{
	u64 off, bad = 0, before;
	int sp, i, k;

	for (sp = 0; sp < 32; sp++)
		for (i = 0; i < ARRAY_SIZE(sizes); i++)
			for (k = 0; k < 2; k++) {
				if (k && (sp == 31 || sizes[i] == 1))
					continue;
				off = sp * SP + (k ? SP - sizes[i] / 2 : 0);
				before = nr_msgs;
				store((u8 *)data_gva + off, sizes[i], 0x5a5a5a5a5a5a5a5aull);
				bad += !store_ok(mask, off, sizes[i], before);
				/* Back to 0xee, through the host. */
				GUEST_SYNC(S_FILL);
			}
	return bad;
}

enum {
	C_PATTERN,
	C_REP_MOVSB_GRANTED = C_PATTERN + NR_PATTERNS,
	C_REP_MOVSB,
	C_REP_MOVSB_INTERCEPT,
	C_CMPXCHG_GRANTED,
	C_CMPXCHG_DENIED,
	C_XCHG_GRANTED,
	C_LOCK_ADD_DENIED,
	C_KEPT_OVER_RW,
	C_KEPT_BACK_TO_R,
	C_DIRTY_GRANTED,
	C_DIRTY_DENIED,
	C_STAT,
	C_NO_MASK_INTERCEPT,
	C_HC_DISABLED,
	C_HC_VTL0_DENIED,
	C_HC_SET,
	C_HC_ZERO_PAGES,
	C_HC_UNALIGNED,
	C_HC_NOT_RAM,
	C_HC_BAD_CONTROL,
	C_HC_BAD_CODE,
	C_HC_APPLIES,
	C_HC_NARROWED,
	H_HC_MASK_SEEN,
	H_PATH,
	H_PATH_GRANTS,
	H_PATH_TABLES,
	H_CPUID,
	H_GET,
	H_BAD_VTL0,
	H_BAD_VTL2,
	H_BAD_NPAGES,
	H_BAD_FLAGS,
	H_BAD_PAD,
	H_BAD_RESERVED,
	H_BAD_RANGE,
	H_BAD_UNCHANGED,
	NR_CHECKS
};

static const char *check_names[NR_CHECKS] = {
	[C_REP_MOVSB_GRANTED] = "rep movsb across granted sub-pages: landed, no intercept",
	[C_REP_MOVSB] = "rep movsb into a denied sub-page: the granted bytes landed, the rest not",
	[C_REP_MOVSB_INTERCEPT] = "rep movsb: one intercept, at the first denied sub-page",
	[C_CMPXCHG_GRANTED] = "lock cmpxchg in a granted sub-page: done",
	[C_CMPXCHG_DENIED] = "lock cmpxchg in a denied sub-page: intercept, memory unchanged",
	[C_XCHG_GRANTED] = "xchg in a granted sub-page: done",
	[C_LOCK_ADD_DENIED] = "lock add in a denied sub-page: intercept, memory unchanged",
	[C_KEPT_OVER_RW] = "protection RW: every sub-page writable, no intercept",
	[C_KEPT_BACK_TO_R] = "protection R again: the mask applies again",
	[C_DIRTY_GRANTED] = "dirty log: a write the mask allows marks the page dirty",
	[C_DIRTY_DENIED] = "dirty log: a refused write leaves the page clean",
	[C_STAT] = "vCPU stat vtl_subpage_writes counts the allowed writes",
	[C_NO_MASK_INTERCEPT] = "mask removed (0): every write is an intercept again",
	[C_HC_DISABLED] = "KVM's mask hypercall, not enabled by the VMM: INVALID_HYPERCALL_INPUT",
	[C_HC_VTL0_DENIED] = "the hypercall from VTL0: ACCESS_DENIED",
	[C_HC_SET] = "VTL1 sets mask 0x1 on the page: SUCCESS",
	[C_HC_ZERO_PAGES] = "page count 0: INVALID_PARAMETER",
	[C_HC_UNALIGNED] = "GPA not page-aligned: INVALID_PARAMETER",
	[C_HC_NOT_RAM] = "GPA that is not RAM: INVALID_PARAMETER",
	[C_HC_BAD_CONTROL] = "other control bits set: INVALID_HYPERCALL_INPUT",
	[C_HC_BAD_CODE] = "unknown KVM call code: INVALID_HYPERCALL_CODE",
	[C_HC_APPLIES] = "the guest-set mask applies: sub-page 0 lands, sub-page 1 is intercepted",
	[C_HC_NARROWED] = "VTL1 removes it (mask 0): SUCCESS, and sub-page 0 is intercepted",
	[H_HC_MASK_SEEN] = "KVM_GET_VTL_WRITE_MASKS shows the mask VTL1 set",
	[H_PATH] = "VM stat vtl_subpage_hw: hardware path iff kvm_intel.spp=Y",
	[H_PATH_GRANTS] = "granted stores: each emulated on the software path, none with SPP",
	[H_PATH_TABLES] = "VM stat vtl_subpage_hw_tables: SPPT pages with SPP only",
	[H_CPUID] = "KVM_CPUID_FEATURES advertises KVM_FEATURE_VTL_WRITE_MASKS",
	[H_GET] = "KVM_GET_VTL_WRITE_MASKS returns the masks set",
	[H_BAD_VTL0] = "KVM_SET_VTL_WRITE_MASK vtl 0: EINVAL",
	[H_BAD_VTL2] = "KVM_SET_VTL_WRITE_MASK vtl 2: EINVAL",
	[H_BAD_NPAGES] = "KVM_SET_VTL_WRITE_MASK npages 0: EINVAL",
	[H_BAD_FLAGS] = "KVM_SET_VTL_WRITE_MASK flags: EINVAL",
	[H_BAD_PAD] = "KVM_SET_VTL_WRITE_MASK pad: EINVAL",
	[H_BAD_RESERVED] = "KVM_SET_VTL_WRITE_MASK reserved: EINVAL",
	[H_BAD_RANGE] = "KVM_SET_VTL_WRITE_MASK gfn range wraps: EINVAL",
	[H_BAD_UNCHANGED] = "after the bad calls, the masks are unchanged",
};

static char pattern_names[NR_PATTERNS][80];

static void set_mask(u32 mask)
{
	GUEST_SYNC_ARGS(S_SET_MASK, mask, 0, 0, 0);
}

/*
 * An exit to the host between a write SPP granted and a write to another
 * sub-page of the page.  Bochs checks SPP on a miss of its own TLB only,
 * and once a write was granted keeps the page writable there until the
 * TLB is flushed, which such an exit does; the architecture checks every
 * write.  Harmless on the other paths.
 */
static void exit_to_host(void)
{
	GUEST_SYNC(S_EXIT);
}

static void guest_main(struct vtl_vp *vp)
{
	u8 *page = (u8 *)data_gva, *dst, *src;
	u64 before, t0, t1, n;
	u64 *q;
	int p;

	the_vp = vp;
	x2apic_enable();
	vtl0_enable_hypercalls(vp);
	vp->vtl1_rflags = VTL_RFLAGS_IF;
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1's first entry */
	vtl_call();			/* SynIC, protection: the data page is R */

	for (p = 0; p < NR_PATTERNS; p++) {
		set_mask(patterns[p]);
		GUEST_SYNC(S_FILL);
		VTL_CHECK(C_PATTERN + p, try_pattern(patterns[p]), 0);
	}

	/*
	 * Sub-pages 0-2 granted, 3 not.  300 bytes to offset 10 cross two
	 * granted boundaries and land; then 200 bytes to offset 266 stop at
	 * offset 384 (3 * 128), with 82 left to copy.  (The second copy starts
	 * in sub-page 2, which SPP refuses as the next one is denied, so that
	 * Bochs, see exit_to_host(), checks it as the architecture does.)
	 */
	set_mask(0x7);
	GUEST_SYNC(S_FILL);
	before = nr_msgs;
	memset(movs_src, 0x5a, sizeof(movs_src));
	dst = page + 10;
	src = movs_src;
	n = 300;
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	VTL_CHECK(C_REP_MOVSB_GRANTED, page[9] == 0xee && page[10] == 0x5a &&
		  page[309] == 0x5a && page[310] == 0xee && n == 0 &&
		  nr_msgs == before, true);
	exit_to_host();
	dst = page + 266;
	src = movs_src;
	n = 200;
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	VTL_CHECK(C_REP_MOVSB, page[383] == 0x5a && page[384] == 0xee &&
		  page[465] == 0xee && n == 82 && dst == page + 384, true);
	VTL_CHECK(C_REP_MOVSB_INTERCEPT, nr_msgs - before, 1);

	q = (u64 *)data_gva;
	before = nr_msgs;
	n = 0xeeeeeeeeeeeeeeeeull;
	asm volatile("lock cmpxchgq %2, %1" : "+a"(n), "+m"(q[0]) : "r"(0x1234ull));
	VTL_CHECK(C_CMPXCHG_GRANTED, nr_msgs == before && READ_ONCE(q[0]) == 0x1234, true);
	exit_to_host();
	n = 0xeeeeeeeeeeeeeeeeull;
	asm volatile("lock cmpxchgq %2, %1" : "+a"(n), "+m"(q[3 * SP / 8]) : "r"(0x1234ull));
	VTL_CHECK(C_CMPXCHG_DENIED, nr_msgs == before + 1 &&
		  READ_ONCE(q[3 * SP / 8]) == 0xeeeeeeeeeeeeeeeeull, true);
	n = 0x777;
	asm volatile("xchgq %0, %1" : "+r"(n), "+m"(q[SP / 8]));
	VTL_CHECK(C_XCHG_GRANTED, nr_msgs == before + 1 && READ_ONCE(q[SP / 8]) == 0x777,
		  true);
	exit_to_host();
	asm volatile("lock addq $1, %0" : "+m"(q[4 * SP / 8]));
	VTL_CHECK(C_LOCK_ADD_DENIED, nr_msgs == before + 2 &&
		  READ_ONCE(q[4 * SP / 8]) == 0xeeeeeeeeeeeeeeeeull, true);

	/* Protection RW makes the mask moot; R brings it back. */
	GUEST_SYNC_ARGS(S_SET_PROT, RW, 0, 0, 0);
	GUEST_SYNC(S_FILL);
	before = nr_msgs;
	store(page + 20 * SP, 8, 0x5a5a5a5a5a5a5a5aull);
	VTL_CHECK(C_KEPT_OVER_RW, nr_msgs == before && page[20 * SP] == 0x5a, true);
	GUEST_SYNC_ARGS(S_SET_PROT, R, 0, 0, 0);
	GUEST_SYNC(S_FILL);
	store(page + 20 * SP, 8, 0x5a5a5a5a5a5a5a5aull);
	store(page + 2 * SP, 8, 0x5a5a5a5a5a5a5a5aull);
	VTL_CHECK(C_KEPT_BACK_TO_R, nr_msgs == before + 1 && page[20 * SP] == 0xee &&
		  page[2 * SP] == 0x5a, true);

	GUEST_SYNC(S_DIRTY_RESET);
	store(page + 5 * SP, 1, 0x5a);		/* denied */
	GUEST_SYNC_ARGS(S_DIRTY_CHECK, 0, 0, 0, 0);
	store(page + SP, 1, 0x5a);		/* granted */
	GUEST_SYNC_ARGS(S_DIRTY_CHECK, 1, 0, 0, 0);

	/* What a granted write costs, and an intercepted one. */
	GUEST_SYNC(S_BENCH_START);
	t0 = rdtsc();
	for (n = 0; n < NR_GRANTED_BENCH; n++)
		store(page + 8 * (n % 16), 8, n);
	t1 = rdtsc();
	GUEST_SYNC_ARGS(S_BENCH, 0, (t1 - t0) / NR_GRANTED_BENCH, 0, 0);
	t0 = rdtsc();
	for (n = 0; n < 50; n++)
		store(page + 10 * SP, 8, n);
	t1 = rdtsc();
	GUEST_SYNC_ARGS(S_BENCH, 1, (t1 - t0) / 50, 0, 0);

	set_mask(0);
	before = nr_msgs;
	store(page, 1, 0x5a);
	store(page + SP, 1, 0x5a);
	VTL_CHECK(C_NO_MASK_INTERCEPT, nr_msgs - before, 2);

	/* VTL1 sets masks itself, once the VMM lets it. */
	vtl1_cmd = CMD_DISABLED;
	vtl_call();
	VTL_CHECK(C_HC_DISABLED, hc_status[0], HV_STATUS_INVALID_HYPERCALL_INPUT);
	GUEST_SYNC(S_ENABLE_GUEST_MASKS);
	VTL_CHECK(C_HC_VTL0_DENIED, kvm_set_write_mask(HC_SET_MASK, DATA_GPA, 1, 0x1),
		  HV_STATUS_ACCESS_DENIED);
	vtl1_cmd = CMD_CALLS;
	vtl_call();
	VTL_CHECK(C_HC_SET, hc_status[1], HV_STATUS_SUCCESS);
	VTL_CHECK(C_HC_ZERO_PAGES, hc_status[2], HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_HC_UNALIGNED, hc_status[3], HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_HC_NOT_RAM, hc_status[4], HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_HC_BAD_CONTROL, hc_status[5], HV_STATUS_INVALID_HYPERCALL_INPUT);
	VTL_CHECK(C_HC_BAD_CODE, hc_status[6], HV_STATUS_INVALID_HYPERCALL_CODE);
	GUEST_SYNC(S_CHECK_GUEST_MASK);
	GUEST_SYNC(S_FILL);
	before = nr_msgs;
	store(page, 8, 0x5a5a5a5a5a5a5a5aull);
	store(page + SP, 8, 0x5a5a5a5a5a5a5a5aull);
	VTL_CHECK(C_HC_APPLIES, nr_msgs == before + 1 && page[0] == 0x5a && page[SP] == 0xee,
		  true);
	vtl1_cmd = CMD_NARROW;
	vtl_call();
	store(page + 8, 8, 0x5a5a5a5a5a5a5a5aull);
	VTL_CHECK(C_HC_NARROWED, hc_status[7] == HV_STATUS_SUCCESS &&
		  nr_msgs == before + 2 && page[8] == 0xee, true);
	GUEST_SYNC_ARGS(S_OBSERVED, observed, 0, 0, 0);
	GUEST_DONE();
}

static int set_write_mask(struct kvm_vm *vm, struct kvm_vtl_write_mask *m)
{
	return __vm_ioctl(vm, KVM_SET_VTL_WRITE_MASK, m) ? errno : 0;
}

static u32 get_write_mask(struct kvm_vm *vm, u64 gfn)
{
	struct kvm_vtl_write_masks g = { .gfn = gfn, .npages = 1, .vtl = 1 };
	u32 mask;

	g.masks = (u64)&mask;
	vm_ioctl(vm, KVM_GET_VTL_WRITE_MASKS, &g);
	return mask;
}

static void host_bad_input(struct kvm_vm *vm, struct vtl_checks *c)
{
	struct kvm_vtl_write_mask good = {
		.gfn = DATA_GPA >> 12, .npages = 1, .vtl = 1, .mask = 0xdead,
	}, m;
	u32 before = get_write_mask(vm, DATA_GPA >> 12);

	m = good;
	m.vtl = 0;
	vtl_check(c, H_BAD_VTL0, set_write_mask(vm, &m), EINVAL);
	m = good;
	m.vtl = 2;
	vtl_check(c, H_BAD_VTL2, set_write_mask(vm, &m), EINVAL);
	m = good;
	m.npages = 0;
	vtl_check(c, H_BAD_NPAGES, set_write_mask(vm, &m), EINVAL);
	m = good;
	m.flags = 1;
	vtl_check(c, H_BAD_FLAGS, set_write_mask(vm, &m), EINVAL);
	m = good;
	m.pad[1] = 1;
	vtl_check(c, H_BAD_PAD, set_write_mask(vm, &m), EINVAL);
	m = good;
	m.reserved[1] = 1;
	vtl_check(c, H_BAD_RESERVED, set_write_mask(vm, &m), EINVAL);
	m = good;
	m.npages = -1ull;
	vtl_check(c, H_BAD_RANGE, set_write_mask(vm, &m), EINVAL);
	vtl_check(c, H_BAD_UNCHANGED, get_write_mask(vm, DATA_GPA >> 12), before);
}

/* The path KVM should use: SPP where kvm_intel found it (and spp=1). */
static bool expect_hw_path(void)
{
	FILE *f = fopen("/sys/module/kvm_intel/parameters/spp", "r");
	int c = f ? fgetc(f) : 'N';

	if (f)
		fclose(f);
	return c == 'Y';
}

static void make_patterns(void)
{
	static const u32 fixed[] = {
		0, 0xffffffff, 0x1, 0x80000000, 0x55555555, 0xaaaaaaaa, 0x0000ffff,
		0xffff0000, 0x0f0f0f0f, 0xf0f0f0f0, 0x33333333, 0xcccccccc, 0x00ff00ff,
		0x80000001, 0x7ffffffe, 0x00010000,
	};
	u64 x = 0x5eed;
	int i;

	for (i = 0; i < NR_PATTERNS; i++) {
		if (i < ARRAY_SIZE(fixed)) {
			patterns[i] = fixed[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			patterns[i] = x;
		}
		snprintf(pattern_names[i], sizeof(pattern_names[i]),
			 "mask %#010x: each store lands or is intercepted as the mask says",
			 patterns[i]);
		check_names[C_PATTERN + i] = pattern_names[i];
	}
}

int main(void)
{
	struct kvm_vtl_write_mask m = { .gfn = DATA_GPA >> 12, .npages = 1, .vtl = 1 };
	struct kvm_vtl_protection prot = { .gfn = DATA_GPA >> 12, .npages = 1, .vtl = 1 };
	u64 bitmap[1], writes_before = 0, bench_writes = 0, gfn = DATA_GPA >> 12;
	bool hw = expect_hw_path();
	const struct kvm_cpuid_entry2 *kvm_leaf;
	struct kvm_vtl_partition part;
	u64 cycles[2] = {};
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u8 *hva;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_SYNIC2));
	ksft_print_header();
	ksft_set_plan(NR_CHECKS);
	make_patterns();
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	vm = vtl_vm_create_extra(1, 1, guest_main, &vcpu);
	vcpu_enable_cap(vcpu, KVM_CAP_HYPERV_SYNIC2, 0);
	vm_install_exception_handler(vm, VTL1_SINT0_VECTOR, vtl1_sint0_isr);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, 1, 0);
	data_gva = vm_vaddr_unused_gap(vm, PAGE_SIZE, KVM_UTIL_MIN_VADDR);
	virt_map(vm, data_gva, DATA_GPA, 1);
	hva = addr_gpa2hva(vm, DATA_GPA);
	sync_global_to_guest(vm, data_gva);
	sync_global_to_guest(vm, patterns);
	vtl_vp_setup(vcpu, vtl1_handler);

	for (;;) {
		u64 r = vtl_run(vcpu, &uc, &checks);

		if (r == UCALL_DONE)
			break;
		TEST_ASSERT_EQ(r, UCALL_SYNC);
		switch (uc.args[1]) {
		case S_SET_MASK:
			m.mask = uc.args[2];
			TEST_ASSERT_EQ(set_write_mask(vm, &m), 0);
			if (m.mask == 0x7) {
				vtl_check(&checks, H_GET, get_write_mask(vm, gfn), 0x7);
				host_bad_input(vm, &checks);
				writes_before = vtl_vcpu_get_stat(vcpu, "vtl_subpage_writes");
			}
			break;
		case S_SET_PROT:
			prot.prot = uc.args[2];
			vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &prot);
			break;
		case S_FILL:
			memset(hva, 0xee, PAGE_SIZE);
			break;
		case S_DIRTY_RESET:
			vm_mem_region_set_flags(vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
			kvm_vm_get_dirty_log(vm, DATA_SLOT, bitmap);
			break;
		case S_DIRTY_CHECK:
			kvm_vm_get_dirty_log(vm, DATA_SLOT, bitmap);
			vtl_check(&checks, uc.args[2] ? C_DIRTY_GRANTED : C_DIRTY_DENIED,
				  bitmap[0] & 1, uc.args[2]);
			if (uc.args[2]) {
				u64 writes = vtl_vcpu_get_stat(vcpu, "vtl_subpage_writes");

				vm_mem_region_set_flags(vm, DATA_SLOT, 0);
				vtl_check(&checks, C_STAT, writes > writes_before, true);
			}
			break;
		case S_BENCH_START:
			bench_writes = vtl_vcpu_get_stat(vcpu, "vtl_subpage_writes");
			break;
		case S_BENCH:
			cycles[uc.args[2]] = uc.args[3];
			if (uc.args[2])
				break;
			bench_writes = vtl_vcpu_get_stat(vcpu, "vtl_subpage_writes") -
				       bench_writes;
			vtl_check(&checks, H_PATH_GRANTS, bench_writes,
				  hw ? 0 : NR_GRANTED_BENCH);
			break;
		case S_EXIT:
			break;
		case S_OBSERVED:
			vtl_checks_fold(&checks, uc.args[2]);
			break;
		case S_ENABLE_GUEST_MASKS:
			vm_ioctl(vm, KVM_GET_VTL_PARTITION, &part);
			part.flags |= KVM_VTL_PARTITION_GUEST_WRITE_MASKS;
			vm_ioctl(vm, KVM_SET_VTL_PARTITION, &part);
			break;
		case S_CHECK_GUEST_MASK:
			vtl_check(&checks, H_HC_MASK_SEEN, get_write_mask(vm, gfn), 0x1);
			break;
		default:
			TEST_FAIL("unknown stage %lu", uc.args[1]);
		}
	}
	kvm_leaf = get_cpuid_entry(kvm_get_supported_cpuid(), 0x40000001, 0);
	vtl_check(&checks, H_CPUID, !!(kvm_leaf->eax & BIT(KVM_FEATURE_VTL_WRITE_MASKS)), 1);
	vtl_check(&checks, H_PATH, vm_get_stat(vm, "vtl_subpage_hw"), hw);
	vtl_check(&checks, H_PATH_TABLES, vm_get_stat(vm, "vtl_subpage_hw_tables") > 0, hw);
	ksft_print_msg("%s path: %lu cycles per granted 8-byte write%s\n",
		       hw ? "hardware (SPP)" : "software", cycles[0],
		       hw ? "" : " (emulated)");
	ksft_print_msg("intercept: %lu cycles per refused write (round trip through VTL1)\n",
		       cycles[1]);
	vtl_checks_print_digest(&checks);
	vtl_checks_finish(&checks);
	kvm_vm_free(vm);
	ksft_finished();
}
