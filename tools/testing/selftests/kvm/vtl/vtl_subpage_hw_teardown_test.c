// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM teardown frees the hardware path's tables for sub-page write masks
 * (Intel SPP, vmx/spp.c).  In each of 20 VSM VMs, VTL1 makes 512 pages,
 * each in a 2 MiB region of its own, read-only for VTL0 with a write mask
 * granting sub-page 0, and VTL0 writes sub-page 0 of each: KVM builds an
 * SPPT leaf table per region.  Once the VMs are gone the kernel's free
 * pages must be back where they started, give or take what per-CPU page
 * lists keep; a leak would be 2 MiB per VM.  Each VM must have built a
 * table per region (VM stat vtl_subpage_hw_tables), so that the tables
 * were there to free.  Needs the hardware path.
 */
#include <unistd.h>

#include "vtl_lib.h"

#define NR_VMS		20
#define NR_REGIONS	512
#define REGION_PAGES	512
#define DATA_GPA	(4ull << 30)
#define DATA_SLOT	10
/* Per-CPU page lists, caches; a leak is 2 MiB per VM, 40 MiB in all. */
#define SLACK_PAGES	(16 << (20 - 12))

static u64 data_gva;

static void guest_main(void)
{
	int i;

	for (i = 0; i < NR_REGIONS; i++)
		WRITE_ONCE(*(u64 *)(data_gva + (u64)i * PAGE_SIZE), i);
	GUEST_DONE();
}

static u64 free_pages(void)
{
	char line[128];
	u64 n = 0;
	FILE *f;

	sleep(2);	/* RCU-deferred frees */
	f = fopen("/proc/vmstat", "r");
	TEST_ASSERT(f, "/proc/vmstat");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nr_free_pages %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* One VM's life; returns how many SPPT pages it built. */
static u64 run_vm(void)
{
	struct kvm_vtl_protection p = {
		.npages = 1, .vtl = 1, .prot = KVM_VTL_PROT_READ,
	};
	struct kvm_vtl_write_mask m = { .npages = 1, .vtl = 1, .mask = 0x3 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 i, gpa, tables;

	vm = vtl_vm_create_extra(1, 0, guest_main, &vcpu);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    NR_REGIONS * REGION_PAGES, 0);
	data_gva = vm_vaddr_unused_gap(vm, NR_REGIONS * PAGE_SIZE, KVM_UTIL_MIN_VADDR);
	for (i = 0; i < NR_REGIONS; i++) {
		gpa = DATA_GPA + i * REGION_PAGES * PAGE_SIZE;
		virt_map(vm, data_gva + i * PAGE_SIZE, gpa, 1);
		p.gfn = gpa >> 12;
		m.gfn = p.gfn;
		vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p);
		vm_ioctl(vm, KVM_SET_VTL_WRITE_MASK, &m);
	}
	sync_global_to_guest(vm, data_gva);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	for (i = 0; i < NR_REGIONS; i++) {
		gpa = DATA_GPA + i * REGION_PAGES * PAGE_SIZE;
		TEST_ASSERT_EQ(*(u64 *)addr_gpa2hva(vm, gpa), i);
	}
	tables = vm_get_stat(vm, "vtl_subpage_hw_tables");
	kvm_vm_free(vm);
	return tables;
}

int main(void)
{
	u64 start, end, tables, fewest = -1ull;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	vm = vtl_vm_create_extra(1, 0, guest_main, &vcpu);
	TEST_REQUIRE(vm_get_stat(vm, "vtl_subpage_hw"));
	kvm_vm_free(vm);

	ksft_print_header();
	ksft_set_plan(2);
	start = free_pages();
	for (i = 0; i < NR_VMS; i++) {
		tables = run_vm();
		fewest = min(fewest, tables);
	}
	end = free_pages();
	ksft_test_result(fewest >= NR_REGIONS,
			 "each VM built an SPPT page per 2 MiB region (fewest: %lu for %d)\n",
			 fewest, NR_REGIONS);
	ksft_test_result(end + SLACK_PAGES >= start,
			 "after %d VMs: %ld KiB fewer free pages than at the start (at most %d)\n",
			 NR_VMS, ((s64)start - (s64)end) * 4, SLACK_PAGES * 4);
	ksft_finished();
}
