// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_SET_VTL_PROTECTION and KVM_GET_VTL_PROTECTIONS: set and read back
 * VTL1's protection set as runs, continue a read that ran out of room,
 * the default from KVM_SET_VTL_PARTITION and from the guest's own
 * HvRegisterVsmPartitionConfig, protections staying on their GFNs when a
 * memslot moves or goes, and every bad input, which must change nothing.
 */
#include "vtl_lib.h"

#define R	KVM_VTL_PROT_READ
#define RW	(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE)
#define RX	(KVM_VTL_PROT_READ | KVM_VTL_PROT_KERNEL_EXEC | KVM_VTL_PROT_USER_EXEC)
#define RWX	KVM_VTL_PROT_RWX

#define MAX_RANGES	64

/* A memslot the test creates, moves and deletes: 1 GiB up, 16 pages. */
#define SLOT_ID		10
#define SLOT_GPA	BIT_ULL(30)
#define SLOT_GFN	(SLOT_GPA >> 12)

struct expect {
	u64 gfn, npages;
	u8 prot;
};

static int set_prot(struct kvm_vm *vm, struct kvm_vtl_protection *p)
{
	return __vm_ioctl(vm, KVM_SET_VTL_PROTECTION, p) ? errno : 0;
}

static int set_range(struct kvm_vm *vm, u64 gfn, u64 npages, u8 prot)
{
	struct kvm_vtl_protection p = {
		.gfn = gfn, .npages = npages, .vtl = 1, .prot = prot,
	};

	return set_prot(vm, &p);
}

static int get_prot(struct kvm_vm *vm, struct kvm_vtl_protections *g)
{
	return __vm_ioctl(vm, KVM_GET_VTL_PROTECTIONS, g) ? errno : 0;
}

/* Read [gfn, end) in calls of at most @room ranges; returns the number. */
static u32 get_all(struct kvm_vm *vm, u64 gfn, u64 end, u32 room,
		   struct kvm_vtl_protection_range *out, u32 *calls)
{
	struct kvm_vtl_protections g = { .gfn = gfn, .end = end, .vtl = 1 };
	u32 n = 0;

	*calls = 0;
	while (g.gfn < end) {
		TEST_ASSERT(n + room <= MAX_RANGES, "too many ranges");
		g.nr_ranges = room;
		g.ranges = (u64)&out[n];
		TEST_ASSERT_EQ(get_prot(vm, &g), 0);
		TEST_ASSERT(g.nr_ranges, "no progress at GFN %#llx", g.gfn);
		n += g.nr_ranges;
		(*calls)++;
	}
	TEST_ASSERT_EQ(g.gfn, end);
	return n;
}

static bool ranges_are(struct kvm_vtl_protection_range *got, u32 n,
		       const struct expect *want, u32 nr_want)
{
	u32 i;

	if (n != nr_want) {
		ksft_print_msg("%u ranges, want %u\n", n, nr_want);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (got[i].gfn != want[i].gfn || got[i].npages != want[i].npages ||
		    got[i].prot != want[i].prot) {
			ksft_print_msg("range %u: %#llx+%#llx prot %#x, want %#lx+%#lx prot %#x\n",
				       i, got[i].gfn, got[i].npages, got[i].prot,
				       want[i].gfn, want[i].npages, want[i].prot);
			return false;
		}
	}
	return true;
}

static const struct expect layout[] = {
	{ 0, 100, RWX },
	{ 100, 50, R },
	{ 150, 10, RW },
	{ 160, 40, R },
	{ 200, 800, RWX },
};

static bool layout_intact(struct kvm_vm *vm)
{
	struct kvm_vtl_protection_range got[MAX_RANGES];
	u32 calls;

	return ranges_are(got, get_all(vm, 0, 1000, MAX_RANGES, got, &calls),
			  layout, ARRAY_SIZE(layout));
}

static void test_set_rejects(struct kvm_vm *vm)
{
	static const u8 bad_prot[] = {
		KVM_VTL_PROT_WRITE,			/* write-only */
		KVM_VTL_PROT_KERNEL_EXEC,		/* execute-only */
		R | KVM_VTL_PROT_KERNEL_EXEC,		/* KX != UX without MBEC */
		R | KVM_VTL_PROT_USER_EXEC,
		0x10,
		0xff,
	};
	struct kvm_vtl_protection p;
	unsigned int i;

#define REJECT(name, field_init) do {					\
	p = (struct kvm_vtl_protection) { .gfn = 100, .npages = 10,	\
					  .vtl = 1, .prot = R };	\
	field_init;							\
	ksft_test_result(set_prot(vm, &p) == EINVAL,			\
			 "KVM_SET_VTL_PROTECTION %s: EINVAL\n", name);	\
} while (0)

	REJECT("vtl=0", p.vtl = 0);
	REJECT("vtl=2", p.vtl = 2);
	REJECT("vtl=255", p.vtl = 255);
	REJECT("npages=0", p.npages = 0);
	REJECT("gfn+npages wraps", (p.gfn = ~0ull - 1, p.npages = 4));
	REJECT("GFN 2^52, past any MAXPHYADDR", p.gfn = 1ull << 52);
	REJECT("flags=1", p.flags = 1);
	REJECT("pad=1", p.pad = 1);
	REJECT("reserved[1]=1", p.reserved[1] = 1);
	for (i = 0; i < ARRAY_SIZE(bad_prot); i++) {
		p = (struct kvm_vtl_protection) { .gfn = 100, .npages = 10, .vtl = 1 };
		p.prot = bad_prot[i];
		ksft_test_result(set_prot(vm, &p) == EINVAL,
				 "KVM_SET_VTL_PROTECTION prot=%#x: EINVAL\n", bad_prot[i]);
	}
	ksft_test_result(set_range(vm, 1ull << 22, 1, R) == 0 &&
			 set_range(vm, 1ull << 22, 1, RWX) == 0,
			 "KVM_SET_VTL_PROTECTION on GFN 2^22 (16 GiB) works\n");
	ksft_test_result(layout_intact(vm), "rejected sets changed nothing\n");
}

static void test_get_rejects(struct kvm_vm *vm)
{
	struct kvm_vtl_protection_range got[MAX_RANGES];
	struct kvm_vtl_protections g;
	int r;

#define GET_REJECT(name, err, field_init) do {				\
	g = (struct kvm_vtl_protections) { .gfn = 0, .end = 1000,	\
		.vtl = 1, .nr_ranges = MAX_RANGES, .ranges = (u64)got };\
	field_init;							\
	r = get_prot(vm, &g);						\
	ksft_test_result(r == (err), "KVM_GET_VTL_PROTECTIONS %s: %s\n",	\
			 name, #err);					\
} while (0)

	GET_REJECT("vtl=0", EINVAL, g.vtl = 0);
	GET_REJECT("vtl=2", EINVAL, g.vtl = 2);
	GET_REJECT("gfn=end", EINVAL, g.gfn = 1000);
	GET_REJECT("gfn>end", EINVAL, g.gfn = 2000);
	GET_REJECT("flags=1", EINVAL, g.flags = 1);
	GET_REJECT("pad[2]=1", EINVAL, g.pad[2] = 1);
	GET_REJECT("pad2=1", EINVAL, g.pad2 = 1);
	GET_REJECT("reserved[0]=1", EINVAL, g.reserved[0] = 1);
	GET_REJECT("end past the largest GFN", EINVAL, g.end = ~0ull);
	GET_REJECT("bad ranges pointer", EFAULT, g.ranges = 8);

	g = (struct kvm_vtl_protections) { .gfn = 0, .end = 1000, .vtl = 1,
					   .nr_ranges = 0, .ranges = 8 };
	r = get_prot(vm, &g);
	ksft_test_result(!r && !g.nr_ranges && g.gfn == 0,
			 "KVM_GET_VTL_PROTECTIONS with no room: 0 ranges, GFN unchanged\n");
}

static void guest_code(struct vtl_vp *vp)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, VTL0_GUEST_OS_ID);
	vtl0_enable_vtl1(vp);
	vtl_call();
	GUEST_SYNC(1);
	/* VTL1 enables protection with a read-execute default. */
	vtl_call();
	GUEST_SYNC(2);
	GUEST_DONE();
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	vtl1_enter(vp);
	if (vp->vtl1_entries == 2)
		vtl_set_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG,
			    HV_VSM_CONFIG_ENABLE_VTL_PROTECTION | HV_VSM_CONFIG_DEFAULT(RX));
	return VTL_RETURN_FAST;
}

int main(void)
{
	struct kvm_vtl_protection_range got[MAX_RANGES];
	struct kvm_vtl_partition part;
	struct kvm_vtl_protection p = {};
	struct kvm_vtl_protections g = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u32 n, calls;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	ksft_print_header();
	ksft_set_plan(39);

	vm = vm_create_barebones();
	ksft_test_result(__vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p) && errno == ENOTTY,
			 "KVM_SET_VTL_PROTECTION without VSM: ENOTTY\n");
	ksft_test_result(__vm_ioctl(vm, KVM_GET_VTL_PROTECTIONS, &g) && errno == ENOTTY,
			 "KVM_GET_VTL_PROTECTIONS without VSM: ENOTTY\n");
	kvm_vm_free(vm);

	vm = vtl_vm_create(1, guest_code, &vcpu);
	vtl_vp_setup(vcpu, vtl1_handler);

	n = get_all(vm, 0, 1ull << 24, MAX_RANGES, got, &calls);
	ksft_test_result(ranges_are(got, n, (struct expect[]){ { 0, 1ull << 24, RWX } }, 1),
			 "a new VM: one RWX run over 64 GiB of GFNs\n");

	TEST_ASSERT_EQ(set_range(vm, 100, 100, R), 0);
	TEST_ASSERT_EQ(set_range(vm, 150, 10, RW), 0);
	ksft_test_result(layout_intact(vm), "set R on 100-199, RW on 150-159: five runs\n");

	n = get_all(vm, 0, 1000, 2, got, &calls);
	ksft_test_result(ranges_are(got, n, layout, ARRAY_SIZE(layout)) && calls == 3,
			 "read with room for 2 runs continues: 3 calls\n");
	n = get_all(vm, 155, 170, MAX_RANGES, got, &calls);
	ksft_test_result(ranges_are(got, n, (struct expect[]){ { 155, 5, RW }, { 160, 10, R } }, 2),
			 "a read starting and ending inside runs clips them\n");

	test_set_rejects(vm);
	test_get_rejects(vm);

	/* Protections belong to GFNs: memslot changes leave them. */
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, SLOT_GPA, SLOT_ID, 16, 0);
	TEST_ASSERT_EQ(set_range(vm, SLOT_GFN, 16, R), 0);
	vm_mem_region_move(vm, SLOT_ID, SLOT_GPA + 64 * PAGE_SIZE);
	n = get_all(vm, SLOT_GFN, SLOT_GFN + 80, MAX_RANGES, got, &calls);
	ksft_test_result(ranges_are(got, n, (struct expect[]){
				{ SLOT_GFN, 16, R }, { SLOT_GFN + 16, 64, RWX } }, 2),
			 "moving a memslot leaves the protections on the old GFNs\n");
	vm_mem_region_delete(vm, SLOT_ID);
	n = get_all(vm, SLOT_GFN, SLOT_GFN + 16, MAX_RANGES, got, &calls);
	ksft_test_result(ranges_are(got, n, (struct expect[]){ { SLOT_GFN, 16, R } }, 1),
			 "deleting the memslot leaves them too\n");
	TEST_ASSERT_EQ(set_range(vm, SLOT_GFN, 16, RWX), 0);

	/* A default through KVM_SET_VTL_PARTITION applies to untouched GFNs. */
	TEST_ASSERT(!__vm_ioctl(vm, KVM_GET_VTL_PARTITION, &part), "KVM_GET_VTL_PARTITION");
	part.vsm_partition_config[1] = HV_VSM_CONFIG_ENABLE_VTL_PROTECTION |
				       HV_VSM_CONFIG_DEFAULT(R);
	TEST_ASSERT(!__vm_ioctl(vm, KVM_SET_VTL_PARTITION, &part), "KVM_SET_VTL_PARTITION");
	n = get_all(vm, 0, 1000, MAX_RANGES, got, &calls);
	ksft_test_result(ranges_are(got, n, (struct expect[]){
				{ 0, 150, R }, { 150, 10, RW }, { 160, 840, R } }, 3),
			 "default R from KVM_SET_VTL_PARTITION: untouched GFNs read as R\n");
	part.vsm_partition_config[1] = 0;
	TEST_ASSERT(!__vm_ioctl(vm, KVM_SET_VTL_PARTITION, &part), "KVM_SET_VTL_PARTITION");
	TEST_ASSERT_EQ(set_range(vm, 0, 1000, RWX), 0);

	/* The guest's VTL1 sets its default through VsmPartitionConfig. */
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, NULL), UCALL_SYNC);
	n = get_all(vm, 0, 1ull << 20, MAX_RANGES, got, &calls);
	ksft_test_result(ranges_are(got, n, (struct expect[]){ { 0, 1ull << 20, RWX } }, 1),
			 "before VTL1 enables protection: RWX everywhere\n");
	/* GFNs 0-999 and the memslot's were set to RWX explicitly: they keep it. */
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, NULL), UCALL_SYNC);
	n = get_all(vm, 0, 1ull << 20, MAX_RANGES, got, &calls);
	ksft_test_result(ranges_are(got, n, (struct expect[]){
				{ 0, 1000, RWX }, { 1000, SLOT_GFN - 1000, RX },
				{ SLOT_GFN, 16, RWX },
				{ SLOT_GFN + 16, (1ull << 20) - SLOT_GFN - 16, RX } }, 4),
			 "VTL1's DefaultVtlProtectionMask RX applies to every GFN never set\n");
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, NULL), UCALL_DONE);

	kvm_vm_free(vm);
	ksft_finished();
}
