// SPDX-License-Identifier: GPL-2.0-only
/*
 * VTL0's accesses against VTL1's protections, with violations reported to
 * userspace as KVM_EXIT_MEMORY_FAULT:
 *  - the matrix: every legal mask x read, write and execute from VTL0, in
 *    two orders, so that each access meets both a first fault and an
 *    existing SPTE built for another access;
 *  - VTL1 reads and writes the pages VTL0 may not touch;
 *  - HvCallModifyVtlProtectionMask from VTL1, memory and fast forms, its
 *    error statuses, and partial completion at a GPN that is not RAM.
 * With -H the data and code pages sit in a THP-backed 2 MiB region and
 * each mask covers the whole region, so that VTL0 maps it with 2 MiB SPTEs
 * whose rights the masks limit.
 */
#include <unistd.h>

#include "vtl_lib.h"

#define R	KVM_VTL_PROT_READ
#define RW	(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE)
#define RX	(KVM_VTL_PROT_READ | KVM_VTL_PROT_KERNEL_EXEC | KVM_VTL_PROT_USER_EXEC)
#define RWX	KVM_VTL_PROT_RWX

enum access { A_READ, A_WRITE, A_EXEC, NR_ACCESS };

static const char *const access_name[] = { "read", "write", "execute" };
static const u8 masks[] = { 0, R, RW, RX, RWX };
static const u8 orders[2][NR_ACCESS] = {
	{ A_READ, A_WRITE, A_EXEC },
	{ A_EXEC, A_WRITE, A_READ },
};

/* Guest addresses, set by the host. */
static u64 data_gva, code_gva;
static u64 data_gpa, long_gpa;

/* -H: the 2 MiB region holding the data and code pages. */
#define HUGE_GPA	BIT_ULL(32)
#define HUGE_SLOT	11
#define HUGE_PAGES	512
static bool huge;

/* The longest rep list: 300 of the 510 GPNs a memory-form call can carry. */
#define LONG_LIST	300
static u64 long_list[LONG_LIST];

/* Stages the guest reports with GUEST_SYNC. */
enum {
	S_ACCESS = 0x100,	/* + access: done */
	S_MATRIX_DONE = 0x200,
	S_HCALL_DONE,
};

static void do_access(int a)
{
	switch (a) {
	case A_READ:
		(void)READ_ONCE(*(u64 *)data_gva);
		break;
	case A_WRITE:
		WRITE_ONCE(*(u64 *)data_gva, 0x1234);
		break;
	case A_EXEC:
		((void (*)(void))code_gva)();
		break;
	}
}

/* The host sets a mask, then the guest makes three accesses in an order. */
static void guest_matrix(void)
{
	int m, o, i;

	for (m = 0; m < ARRAY_SIZE(masks); m++)
		for (o = 0; o < 2; o++)
			for (i = 0; i < NR_ACCESS; i++) {
				do_access(orders[o][i]);
				GUEST_SYNC(S_ACCESS + orders[o][i]);
			}
	GUEST_SYNC(S_MATRIX_DONE);
}

enum {
	C_VTL0_DENIED,
	C_NOT_ENABLED,
	C_BAD_PARTITION,
	C_TARGET_VTL0,
	C_RESERVED_VTL_BITS,
	C_RESERVED,
	C_WRITE_ONLY,
	C_KX_ONLY,
	C_HIGH_FLAGS,
	C_REP_ZERO,
	C_PROTECT,
	C_VTL1_WRITES,
	C_FAST,
	C_PARTIAL,
	C_PARTIAL_COUNT,
	C_LONG_LIST,
	NR_GUEST_CHECKS
};

#define NR_MATRIX	(ARRAY_SIZE(masks) * 2 * NR_ACCESS)

enum {
	H_MATRIX = NR_GUEST_CHECKS,
	H_FLAGS = H_MATRIX + NR_MATRIX,
	H_AFTER_PROTECT,
	H_AFTER_FAST,
	H_AFTER_PARTIAL,
	H_AFTER_LONG_LIST,
	H_VTL0_FAULT_AFTER_HCALL,
	H_HUGE_MAPPED,
	NR_CHECKS
};

static const char *check_names[NR_CHECKS] = {
	[C_VTL0_DENIED] = "from VTL0, target VTL1: ACCESS_DENIED",
	[C_NOT_ENABLED] = "VTL1's own set before EnableVtlProtection: ACCESS_DENIED",
	[C_BAD_PARTITION] = "partition id 0: INVALID_PARTITION_ID",
	[C_TARGET_VTL0] = "target VTL0: INVALID_PARAMETER",
	[C_RESERVED_VTL_BITS] = "HV_INPUT_VTL reserved bits: INVALID_PARAMETER",
	[C_RESERVED] = "reserved header bytes: INVALID_PARAMETER",
	[C_WRITE_ONLY] = "write-only mask: INVALID_PARAMETER",
	[C_KX_ONLY] = "R+KX without UX (no MBEC): INVALID_PARAMETER",
	[C_HIGH_FLAGS] = "HV_MAP_GPA_ADJUSTABLE: INVALID_PARAMETER",
	[C_REP_ZERO] = "rep count 0: INVALID_HYPERCALL_INPUT",
	[C_PROTECT] = "VTL1 removes W from the data page (memory form): SUCCESS, 2 reps",
	[C_VTL1_WRITES] = "VTL1 still writes the page VTL0 may not",
	[C_FAST] = "fast (XMM) form, 3 GPNs: SUCCESS, 3 reps",
	[C_PARTIAL] = "a GPN that is not RAM: INVALID_PARAMETER",
	[C_PARTIAL_COUNT] = "reps completed = the index of that GPN (2)",
	[H_FLAGS] = "KVM_EXIT_MEMORY_FAULT flags: violation, access, VTL0, GPA, size",
	[H_AFTER_PROTECT] = "host view after the memory form: data page R, neighbour R",
	[H_AFTER_FAST] = "host view after the fast form: three pages RX",
	[H_AFTER_PARTIAL] = "host view after partial completion: the first 2 GPNs changed",
	[C_LONG_LIST] = "300 scattered GPNs in one call: SUCCESS, 300 reps",
	[H_AFTER_LONG_LIST] = "host view: the 300 listed pages R, the 300 between RWX",
	[H_VTL0_FAULT_AFTER_HCALL] = "VTL0's write after the hypercall exits with a violation",
	[H_HUGE_MAPPED] = "-H: allowed accesses were mapped with 2 MiB SPTEs",
};

static char matrix_names[NR_MATRIX][80];

static u64 protect(struct vtl_hc *hc, u64 partition, u8 input_vtl, u32 flags,
		   const u64 *gpn, int nr, u8 reserved)
{
	vtl_protection_input(hc, partition, input_vtl, flags, gpn, nr)->reserved[1] = reserved;
	return vtl_hypercall(HVCALL_MODIFY_VTL_PROTECTION_MASK | HV_HYPERCALL_REP_COUNT(nr),
			     hc->in.gpa, 0);
}

static u64 protect_fast(u8 input_vtl, u32 flags, const u64 *gpn, int nr)
{
	u64 xmm[12] = {};
	int i;

	for (i = 0; i < nr; i++)
		xmm[i] = gpn[i];
	return vtl_hypercall_xmm(HVCALL_MODIFY_VTL_PROTECTION_MASK | HV_HYPERCALL_FAST_BIT |
				 HV_HYPERCALL_REP_COUNT(nr),
				 HV_PARTITION_ID_SELF, flags | (u64)input_vtl << 32, xmm);
}

/* VTL1's second entry: the hypercall checks. */
static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	struct vtl_hc *hc = &vp->hc[1];
	u64 gpn = data_gpa >> 12, list[3], rax;
	int i;

	vtl1_enter(vp);
	if (vp->vtl1_entries != 2)
		return VTL_RETURN_FAST;

	list[0] = gpn;
	VTL_CHECK(C_NOT_ENABLED, HV_STATUS(protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL(1),
						   R, list, 1, 0)),
		  HV_STATUS_ACCESS_DENIED);
	vtl_set_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG,
		    HV_VSM_CONFIG_ENABLE_VTL_PROTECTION | HV_VSM_CONFIG_DEFAULT(RWX));

	VTL_CHECK(C_BAD_PARTITION, HV_STATUS(protect(hc, 0, HV_INPUT_VTL_CURRENT, R, list, 1, 0)),
		  HV_STATUS_INVALID_PARTITION_ID);
	VTL_CHECK(C_TARGET_VTL0, HV_STATUS(protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL(0),
						   R, list, 1, 0)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_RESERVED_VTL_BITS, HV_STATUS(protect(hc, HV_PARTITION_ID_SELF, 0x20 | 1,
							 R, list, 1, 0)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_RESERVED, HV_STATUS(protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL_CURRENT,
						R, list, 1, 1)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_WRITE_ONLY, HV_STATUS(protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL_CURRENT,
						  KVM_VTL_PROT_WRITE, list, 1, 0)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_KX_ONLY, HV_STATUS(protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL_CURRENT,
					       R | KVM_VTL_PROT_KERNEL_EXEC, list, 1, 0)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_HIGH_FLAGS, HV_STATUS(protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL_CURRENT,
						  R | 0x8000, list, 1, 0)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_REP_ZERO, HV_STATUS(protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL_CURRENT,
						R, list, 0, 0)),
		  HV_STATUS_INVALID_HYPERCALL_INPUT);

	/* The data page and the page after it, listed out of order. */
	list[0] = gpn + 1;
	list[1] = gpn;
	rax = protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL(1), R, list, 2, 0);
	VTL_CHECK(C_PROTECT, rax, HV_STATUS_SUCCESS | HV_HYPERCALL_REP_COUNT(2));
	WRITE_ONCE(*(u64 *)data_gva, 0x5678);
	VTL_CHECK(C_VTL1_WRITES, READ_ONCE(*(u64 *)data_gva), 0x5678);
	GUEST_SYNC(H_AFTER_PROTECT);

	list[0] = gpn + 2;
	list[1] = gpn + 3;
	list[2] = gpn + 4;
	VTL_CHECK(C_FAST, protect_fast(HV_INPUT_VTL_CURRENT, RX, list, 3),
		  HV_STATUS_SUCCESS | HV_HYPERCALL_REP_COUNT(3));
	GUEST_SYNC(H_AFTER_FAST);

	list[0] = gpn + 5;
	list[1] = gpn + 6;
	list[2] = 1ull << 30;		/* 4 TiB: no memslot */
	rax = protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL_CURRENT, 0, list, 3, 0);
	VTL_CHECK(C_PARTIAL, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(C_PARTIAL_COUNT, HV_REPS_COMPLETED(rax), 2);
	GUEST_SYNC(H_AFTER_PARTIAL);

	/* A list of 300 scattered GPNs in one call: every other page. */
	for (i = 0; i < LONG_LIST; i++)
		long_list[i] = (long_gpa >> 12) + 2 * i;
	VTL_CHECK(C_LONG_LIST, protect(hc, HV_PARTITION_ID_SELF, HV_INPUT_VTL_CURRENT, R,
				       long_list, LONG_LIST, 0),
		  HV_STATUS_SUCCESS | HV_HYPERCALL_REP_COUNT(LONG_LIST));
	GUEST_SYNC(H_AFTER_LONG_LIST);
	return VTL_RETURN_FAST;
}

static void guest_code(struct vtl_vp *vp)
{
	u64 list[1] = { data_gpa >> 12 };

	wrmsr(HV_X64_MSR_GUEST_OS_ID, VTL0_GUEST_OS_ID);
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1 sets itself up */

	guest_matrix();

	VTL_CHECK(C_VTL0_DENIED, HV_STATUS(protect(&vp->hc[0], HV_PARTITION_ID_SELF,
						   HV_INPUT_VTL(1), R, list, 1, 0)),
		  HV_STATUS_ACCESS_DENIED);
	vtl_call();			/* VTL1's hypercall checks */
	GUEST_SYNC(S_HCALL_DONE);
	WRITE_ONCE(*(u64 *)data_gva, 0x9abc);
	GUEST_DONE();
}

static int set_prot(struct kvm_vm *vm, u64 gfn, u64 npages, u8 prot)
{
	struct kvm_vtl_protection p = {
		.gfn = gfn, .npages = npages, .vtl = 1, .prot = prot,
	};

	return __vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p) ? errno : 0;
}

/* A matrix mask: on the page, or with -H on its whole 2 MiB region. */
static void set_matrix_prot(struct kvm_vm *vm, u64 gfn, u8 prot)
{
	if (huge)
		TEST_ASSERT_EQ(set_prot(vm, gfn & ~(u64)(HUGE_PAGES - 1), HUGE_PAGES, prot), 0);
	else
		TEST_ASSERT_EQ(set_prot(vm, gfn, 1, prot), 0);
}

static u8 get_prot(struct kvm_vm *vm, u64 gfn)
{
	struct kvm_vtl_protection_range r;
	struct kvm_vtl_protections g = {
		.gfn = gfn, .end = gfn + 1, .vtl = 1, .nr_ranges = 1, .ranges = (u64)&r,
	};

	TEST_ASSERT(!__vm_ioctl(vm, KVM_GET_VTL_PROTECTIONS, &g), "KVM_GET_VTL_PROTECTIONS");
	return r.prot;
}

/*
 * Run until the next sync.  Returns the sync value, or -1 after a VTL
 * violation exit, whose flags must match @want_access.
 */
static long run_to_sync(struct kvm_vcpu *vcpu, struct vtl_checks *c, int want_access,
			bool *flags_ok)
{
	u64 flags, want;
	struct ucall uc;
	int r;

	for (;;) {
		r = __vcpu_run(vcpu);
		if (r) {
			TEST_ASSERT(errno == EFAULT &&
				    vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT,
				    "KVM_RUN: errno %d, exit reason %u", errno,
				    vcpu->run->exit_reason);
			flags = vcpu->run->memory_fault.flags;
			want = KVM_MEMORY_EXIT_FLAG_VTL_VIOLATION |
			       (want_access == A_READ ? KVM_MEMORY_EXIT_FLAG_VTL_READ :
				want_access == A_WRITE ? KVM_MEMORY_EXIT_FLAG_VTL_WRITE :
				KVM_MEMORY_EXIT_FLAG_VTL_EXEC);
			*flags_ok &= flags == want &&
				     vcpu->run->memory_fault.size == PAGE_SIZE &&
				     vcpu->run->memory_fault.gpa ==
				     (want_access == A_EXEC ? addr_gva2gpa(vcpu->vm, code_gva) :
				      data_gpa);
			return -1;
		}
		if (vcpu->run->exit_reason == KVM_EXIT_HYPERV)
			continue;
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == VTL_SYNC_CHECK) {
				vtl_check_result(c, uc.args[2], uc.args[3], uc.args[4], uc.args[5]);
				continue;
			}
			return uc.args[1];
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
}

static bool allowed(u8 mask, int a)
{
	switch (a) {
	case A_READ:
		return mask & R;
	case A_WRITE:
		return mask & KVM_VTL_PROT_WRITE;
	default:
		return mask & KVM_VTL_PROT_KERNEL_EXEC;
	}
}

/*
 * The data and code pages: 8 + 1 pages of normal memory, or with -H the
 * start of a populated THP-backed 2 MiB region.
 */
static void place_pages(struct kvm_vm *vm)
{
	if (!huge) {
		data_gva = vm_vaddr_alloc_pages(vm, 8);
		code_gva = vm_vaddr_alloc_page(vm);
		return;
	}
	TEST_REQUIRE(thp_configured());
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS_THP, HUGE_GPA, HUGE_SLOT,
				    HUGE_PAGES, 0);
	/* Written by the host first, so that no huge zero page is mapped. */
	memset(addr_gpa2hva(vm, HUGE_GPA), 0, HUGE_PAGES * PAGE_SIZE);
	data_gva = vm_vaddr_unused_gap(vm, HUGE_PAGES * PAGE_SIZE, KVM_UTIL_MIN_VADDR);
	virt_map(vm, data_gva, HUGE_GPA, HUGE_PAGES);
	code_gva = data_gva + 8 * PAGE_SIZE;
}

int main(int argc, char *argv[])
{
	u64 data_gfn, code_gfn, gfn, base_2m, max_2m = 0;
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool flags_ok = true;
	int m, o, i, n = 0;
	long s;

	while ((i = getopt(argc, argv, "H")) != -1) {
		TEST_ASSERT(i == 'H', "usage: %s [-H]", argv[0]);
		huge = true;
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	ksft_print_header();
	ksft_set_plan(NR_CHECKS);

	for (m = 0; m < ARRAY_SIZE(masks); m++)
		for (o = 0; o < 2; o++)
			for (i = 0; i < NR_ACCESS; i++) {
				int a = orders[o][i];

				snprintf(matrix_names[n], sizeof(matrix_names[n]),
					 "mask %#x, order %d, %s: %s", masks[m], o,
					 access_name[a],
					 allowed(masks[m], a) ? "allowed" : "violation");
				check_names[H_MATRIX + n] = matrix_names[n];
				n++;
			}
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	vm = vtl_vm_create(1, guest_code, &vcpu);
	place_pages(vm);
	data_gpa = addr_gva2gpa(vm, data_gva);
	/* The long list's pages: a memslot of their own, never touched. */
	long_gpa = 1ull << 30;
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, long_gpa, 10, 2 * LONG_LIST, 0);
	*(u8 *)addr_gva2hva(vm, code_gva) = 0xc3;	/* ret */
	for (i = 1; i < 8; i++)
		TEST_ASSERT_EQ(addr_gva2gpa(vm, data_gva + i * PAGE_SIZE),
			       data_gpa + i * PAGE_SIZE);
	sync_global_to_guest(vm, data_gva);
	sync_global_to_guest(vm, data_gpa);
	sync_global_to_guest(vm, code_gva);
	sync_global_to_guest(vm, long_gpa);
	vtl_vp_setup(vcpu, vtl1_handler);
	data_gfn = data_gpa >> 12;
	code_gfn = addr_gva2gpa(vm, code_gva) >> 12;

	base_2m = vm_get_stat(vm, "pages_2m");
	n = 0;
	for (m = 0; m < ARRAY_SIZE(masks); m++) {
		for (o = 0; o < 2; o++) {
			/* No rights first: the first access of the order faults in. */
			set_matrix_prot(vm, data_gfn, 0);
			set_matrix_prot(vm, code_gfn, 0);
			set_matrix_prot(vm, data_gfn, masks[m]);
			set_matrix_prot(vm, code_gfn, masks[m]);
			for (i = 0; i < NR_ACCESS; i++) {
				int a = orders[o][i];
				bool denied = false;

				s = run_to_sync(vcpu, &checks, a, &flags_ok);
				if (s == -1) {
					denied = true;
					/* Grant the access and let the guest retry it. */
					gfn = a == A_EXEC ? code_gfn : data_gfn;
					set_matrix_prot(vm, gfn, RWX);
					s = run_to_sync(vcpu, &checks, a, &flags_ok);
				}
				TEST_ASSERT_EQ(s, S_ACCESS + a);
				vtl_check(&checks, H_MATRIX + n, denied, !allowed(masks[m], a));
				n++;
				max_2m = max(max_2m, vm_get_stat(vm, "pages_2m"));
				/* Put the mask back for the next access. */
				set_matrix_prot(vm, a == A_EXEC ? code_gfn : data_gfn, masks[m]);
			}
		}
	}
	if (huge) {
		vtl_check(&checks, H_HUGE_MAPPED, max_2m > base_2m, true);
	} else {
		checks.seen[H_HUGE_MAPPED] = true;
		ksft_test_result_skip("%s\n", check_names[H_HUGE_MAPPED]);
	}
	TEST_ASSERT_EQ(set_prot(vm, data_gfn, 8, RWX), 0);
	TEST_ASSERT_EQ(set_prot(vm, code_gfn, 1, RWX), 0);
	TEST_ASSERT_EQ(run_to_sync(vcpu, &checks, 0, &flags_ok), S_MATRIX_DONE);
	vtl_check(&checks, H_FLAGS, flags_ok, true);

	/* Make GFNs 0-7 of the data area explicit RWX for the host view. */
	TEST_ASSERT_EQ(run_to_sync(vcpu, &checks, 0, &flags_ok), H_AFTER_PROTECT);
	vtl_check(&checks, H_AFTER_PROTECT,
		  get_prot(vm, data_gfn) == R && get_prot(vm, data_gfn + 1) == R &&
		  get_prot(vm, data_gfn + 2) == RWX, true);
	TEST_ASSERT_EQ(run_to_sync(vcpu, &checks, 0, &flags_ok), H_AFTER_FAST);
	for (gfn = data_gfn + 2, i = 0; gfn < data_gfn + 5; gfn++)
		i += get_prot(vm, gfn) == RX;
	vtl_check(&checks, H_AFTER_FAST, i, 3);
	TEST_ASSERT_EQ(run_to_sync(vcpu, &checks, 0, &flags_ok), H_AFTER_PARTIAL);
	vtl_check(&checks, H_AFTER_PARTIAL,
		  get_prot(vm, data_gfn + 5) == 0 && get_prot(vm, data_gfn + 6) == 0 &&
		  get_prot(vm, data_gfn + 7) == RWX, true);
	TEST_ASSERT_EQ(run_to_sync(vcpu, &checks, 0, &flags_ok), H_AFTER_LONG_LIST);
	for (gfn = long_gpa >> 12, i = 0; gfn < (long_gpa >> 12) + 2 * LONG_LIST; gfn++)
		i += get_prot(vm, gfn) == ((gfn - (long_gpa >> 12)) & 1 ? RWX : R);
	vtl_check(&checks, H_AFTER_LONG_LIST, i, 2 * LONG_LIST);
	TEST_ASSERT_EQ(run_to_sync(vcpu, &checks, 0, &flags_ok), S_HCALL_DONE);

	/* VTL0 now writes the data page VTL1 made read-only. */
	flags_ok = true;
	s = run_to_sync(vcpu, &checks, A_WRITE, &flags_ok);
	vtl_check(&checks, H_VTL0_FAULT_AFTER_HCALL, s == -1 && flags_ok, true);

	vtl_checks_finish(&checks);
	kvm_vm_free(vm);
	ksft_finished();
}
