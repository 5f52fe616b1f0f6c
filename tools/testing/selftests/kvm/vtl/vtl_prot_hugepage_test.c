// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hugepages are tracked per VTL.  A 2 MiB-aligned, THP-backed region is
 * mapped by VTL0 and by VTL1, one 2 MiB SPTE in each VTL's root.  VTL1
 * removes W from one 4 KiB page of it: only VTL0's huge mapping goes
 * (KVM's pages_2m stat drops by one), VTL0 maps the region again with
 * 4 KiB SPTEs, and VTL1 keeps using its 2 MiB mapping, even for writes.
 */
#include "vtl_lib.h"

#define R	KVM_VTL_PROT_READ
#define RWX	KVM_VTL_PROT_RWX

#define REGION_GPA	BIT_ULL(32)
#define REGION_SLOT	10
#define REGION_SIZE	(2ull << 20)
#define PROTECTED_PAGE	100

enum { S_BOTH_MAPPED = 1, S_PROTECTED, S_VTL0_AGAIN, S_VTL1_AGAIN };

static u64 region_gva;

static void touch(bool write)
{
	u64 off;

	for (off = 0; off < REGION_SIZE; off += PAGE_SIZE) {
		if (write && off != PROTECTED_PAGE * PAGE_SIZE)
			WRITE_ONCE(*(u64 *)(region_gva + off), off);
		else
			(void)READ_ONCE(*(u64 *)(region_gva + off));
	}
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	vtl1_enter(vp);
	switch (vp->vtl1_entries) {
	case 1:
		vtl_set_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG,
			    HV_VSM_CONFIG_ENABLE_VTL_PROTECTION | HV_VSM_CONFIG_DEFAULT(RWX));
		touch(false);
		break;
	case 2:
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, REGION_GPA +
						       PROTECTED_PAGE * PAGE_SIZE, R)), 0);
		break;
	case 3:
		/* VTL1's own rights are untouched: it writes the whole region. */
		touch(true);
		WRITE_ONCE(*(u64 *)(region_gva + PROTECTED_PAGE * PAGE_SIZE), 1);
		break;
	}
	return VTL_RETURN_FAST;
}

static void guest_code(struct vtl_vp *vp)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, VTL0_GUEST_OS_ID);
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1 maps the region */
	touch(false);
	GUEST_SYNC(S_BOTH_MAPPED);
	vtl_call();			/* VTL1 protects one page */
	GUEST_SYNC(S_PROTECTED);
	touch(true);
	GUEST_SYNC(S_VTL0_AGAIN);
	vtl_call();			/* VTL1 writes the region */
	GUEST_SYNC(S_VTL1_AGAIN);
	GUEST_DONE();
}

static void sync_stage(struct kvm_vcpu *vcpu, u64 stage, u64 *p2m, u64 *p4k)
{
	struct ucall uc;

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, NULL), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], stage);
	*p2m = vm_get_stat(vcpu->vm, "pages_2m");
	*p4k = vm_get_stat(vcpu->vm, "pages_4k");
	ksft_print_msg("stage %lu: pages_2m %lu, pages_4k %lu\n", stage, *p2m, *p4k);
}

int main(void)
{
	u64 mapped_2m, mapped_4k, prot_2m, prot_4k, vtl0_2m, vtl0_4k, vtl1_2m, vtl1_4k;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(thp_configured());
	ksft_print_header();
	ksft_set_plan(4);

	vm = vtl_vm_create(1, guest_code, &vcpu);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS_THP, REGION_GPA, REGION_SLOT,
				    REGION_SIZE / PAGE_SIZE, 0);
	region_gva = vm_vaddr_unused_gap(vm, REGION_SIZE, KVM_UTIL_MIN_VADDR);
	virt_map(vm, region_gva, REGION_GPA, REGION_SIZE / PAGE_SIZE);
	/*
	 * Populate the THP now: a first read by the guest would map the huge
	 * zero page, and the guest's first write would then replace it,
	 * zapping every root's SPTE through the MMU notifier.
	 */
	memset(addr_gpa2hva(vm, REGION_GPA), 0xaa, REGION_SIZE);
	sync_global_to_guest(vm, region_gva);
	vtl_vp_setup(vcpu, vtl1_handler);

	sync_stage(vcpu, S_BOTH_MAPPED, &mapped_2m, &mapped_4k);
	sync_stage(vcpu, S_PROTECTED, &prot_2m, &prot_4k);
	ksft_test_result(prot_2m == mapped_2m - 1,
			 "protecting one 4 KiB page zaps exactly one 2 MiB SPTE (VTL0's)\n");
	sync_stage(vcpu, S_VTL0_AGAIN, &vtl0_2m, &vtl0_4k);
	ksft_test_result(vtl0_2m == prot_2m && vtl0_4k >= prot_4k + 511,
			 "VTL0 maps the region again with 4 KiB SPTEs (%lu more)\n",
			 vtl0_4k - prot_4k);
	sync_stage(vcpu, S_VTL1_AGAIN, &vtl1_2m, &vtl1_4k);
	ksft_test_result(vtl1_2m == vtl0_2m && vtl1_4k == vtl0_4k,
			 "VTL1 writes the region through its unchanged 2 MiB SPTE\n");
	ksft_test_result(*(u64 *)addr_gpa2hva(vm, REGION_GPA + PROTECTED_PAGE * PAGE_SIZE) == 1 &&
			 *(u64 *)addr_gpa2hva(vm, REGION_GPA + PAGE_SIZE) == PAGE_SIZE,
			 "the writes to the region landed, VTL1's in the protected page too\n");
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, NULL), UCALL_DONE);

	kvm_vm_free(vm);
	ksft_finished();
}
