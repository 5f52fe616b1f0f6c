// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty logging and VTL protections.  A 16-page memslot logs dirty pages;
 * VTL1 takes W away from page 3 for VTL0.  VTL1 writes page 3 and VTL0
 * writes page 5: the dirty log shows exactly those two.  After the log is
 * collected (which write-protects the memslot), VTL0 reads page 3 and then
 * writes it: the write is still a violation, because dirty logging only
 * gives back the write access KVM itself took away.
 */
#include "vtl_lib.h"

#define R	KVM_VTL_PROT_READ
#define RWX	KVM_VTL_PROT_RWX

#define SLOT_GPA	BIT_ULL(31)
#define SLOT_ID		11
#define SLOT_PAGES	16
#define VTL0_RO_PAGE	3
#define VTL0_RW_PAGE	5

enum { S_WRITTEN = 1, S_READ_AGAIN };

static u64 slot_gva;

static u64 *page(int i)
{
	return (u64 *)(slot_gva + i * PAGE_SIZE);
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	u64 rax;

	vtl1_enter(vp);
	if (vp->vtl1_entries == 1) {
		vtl_set_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG,
			    HV_VSM_CONFIG_ENABLE_VTL_PROTECTION | HV_VSM_CONFIG_DEFAULT(RWX));
		rax = vtl1_protect(vp, SLOT_GPA + VTL0_RO_PAGE * PAGE_SIZE, R);
		GUEST_ASSERT_EQ(HV_STATUS(rax), 0);
	} else {
		WRITE_ONCE(*page(VTL0_RO_PAGE), 0x1111);
	}
	return VTL_RETURN_FAST;
}

static void guest_code(struct vtl_vp *vp)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, VTL0_GUEST_OS_ID);
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1 protects page 3 */
	GUEST_SYNC(0);			/* the host clears the dirty log */
	vtl_call();			/* VTL1 writes page 3 */
	WRITE_ONCE(*page(VTL0_RW_PAGE), 0x5555);
	GUEST_SYNC(S_WRITTEN);
	(void)READ_ONCE(*page(VTL0_RO_PAGE));
	GUEST_SYNC(S_READ_AGAIN);
	WRITE_ONCE(*page(VTL0_RO_PAGE), 0xbad);
	GUEST_DONE();
}

static void run_to_stage(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, NULL), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], stage);
}

int main(void)
{
	unsigned long bitmap[1] = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 flags;
	int r;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	ksft_print_header();
	ksft_set_plan(4);

	vm = vtl_vm_create(1, guest_code, &vcpu);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, SLOT_GPA, SLOT_ID, SLOT_PAGES,
				    KVM_MEM_LOG_DIRTY_PAGES);
	slot_gva = vm_vaddr_unused_gap(vm, SLOT_PAGES * PAGE_SIZE, KVM_UTIL_MIN_VADDR);
	virt_map(vm, slot_gva, SLOT_GPA, SLOT_PAGES);
	sync_global_to_guest(vm, slot_gva);
	vtl_vp_setup(vcpu, vtl1_handler);

	run_to_stage(vcpu, 0);
	kvm_vm_get_dirty_log(vm, SLOT_ID, bitmap);
	run_to_stage(vcpu, S_WRITTEN);
	kvm_vm_get_dirty_log(vm, SLOT_ID, bitmap);
	ksft_test_result(bitmap[0] == (BIT(VTL0_RO_PAGE) | BIT(VTL0_RW_PAGE)),
			 "dirty log: VTL1's write to page 3 and VTL0's to page 5 (%#lx)\n",
			 bitmap[0]);
	ksft_test_result(*(u64 *)addr_gpa2hva(vm, SLOT_GPA + VTL0_RO_PAGE * PAGE_SIZE) == 0x1111,
			 "VTL1's write landed in the page VTL0 may not write\n");

	run_to_stage(vcpu, S_READ_AGAIN);
	r = __vcpu_run(vcpu);
	flags = vcpu->run->memory_fault.flags;
	ksft_test_result(r == -1 && errno == EFAULT &&
			 vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT &&
			 flags == (KVM_MEMORY_EXIT_FLAG_VTL_VIOLATION |
				   KVM_MEMORY_EXIT_FLAG_VTL_WRITE),
			 "after the log was collected, VTL0's write is still a violation\n");
	ksft_test_result(*(u64 *)addr_gpa2hva(vm, SLOT_GPA + VTL0_RO_PAGE * PAGE_SIZE) == 0x1111,
			 "and did not land\n");

	kvm_vm_free(vm);
	ksft_finished();
}
