// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM teardown frees what VTL protections and sub-page write masks hold.
 * Each of 20 VSM VMs gets 4096 scattered page protections (one store
 * chunk each) and 4096 write masks through the ioctls, and is destroyed.
 * The slab caches behind the store and the masks must then hold no more
 * than when the test began, give or take what per-CPU slab caching keeps;
 * while a VM is alive, they must show its allocations, so that the
 * measurement can see a leak.  -P leaves out the protections, -M the
 * masks; -S sets the whole range back to RWX in one ioctl before each VM
 * goes, one store spanning all 4096 chunks.
 *
 * Its first runs crashed the host in mt_free_walk(), the RCU-deferred free
 * of a maple tree, which took a node's metadata for a child (fixed in
 * lib/maple_tree.c by the series).
 */
#include <unistd.h>

#include "vtl_lib.h"

#define NR_VMS		20
#define NR_PAGES	4096
/* Well above per-CPU slab caching, far below one VM's 1 MiB of chunks. */
#define SLACK		(256 << 10)

static bool no_prot, no_masks, span;

static void fill(struct kvm_vm *vm)
{
	struct kvm_vtl_protection p = { .npages = 1, .vtl = 1, .prot = KVM_VTL_PROT_READ };
	struct kvm_vtl_write_mask m = { .npages = 1, .vtl = 1, .mask = 0x5 };
	u64 i;

	for (i = 0; i < NR_PAGES; i++) {
		/* 97 pages apart: every protection is a chunk of its own. */
		p.gfn = 0x100000 + i * 97;
		if (!no_prot)
			vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p);
		m.gfn = 0x100000 + i * 3;
		if (!no_masks)
			vm_ioctl(vm, KVM_SET_VTL_WRITE_MASK, &m);
	}
	if (span) {
		p.gfn = 0x100000;
		p.npages = NR_PAGES * 97;
		p.prot = KVM_VTL_PROT_RWX;
		vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p);
	}
}

/* A VSM VM without vCPUs: the protection ioctls need none. */
static struct kvm_vm *vsm_vm_create(void)
{
	struct kvm_vm *vm = vm_create_barebones();

	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, KVM_VTL_MAX_NR);
	return vm;
}

/* After RCU-deferred frees had time to happen. */
static u64 settled_bytes(void)
{
	sleep(2);
	return vtl_store_slab_bytes(true);
}

int main(int argc, char *argv[])
{
	struct kvm_vm *vm;
	u64 start, live, end;
	int i;

	while ((i = getopt(argc, argv, "PMS")) != -1) {
		no_prot |= i == 'P';
		no_masks |= i == 'M';
		span |= i == 'S';
	}

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	start = settled_bytes();
	TEST_REQUIRE(start);
	ksft_print_header();
	ksft_set_plan(2);

	vm = vsm_vm_create();
	fill(vm);
	live = vtl_store_slab_bytes(true);
	kvm_vm_free(vm);
	ksft_test_result(live >= start + NR_PAGES * 256,
			 "a live VM's store and masks show in the slab caches (%lu KiB more)\n",
			 (live - start) >> 10);

	for (i = 1; i < NR_VMS; i++) {
		vm = vsm_vm_create();
		fill(vm);
		kvm_vm_free(vm);
	}
	end = settled_bytes();
	ksft_test_result(end <= start + SLACK,
			 "after %d VMs: %ld KiB more than at the start (at most %d)\n",
			 NR_VMS, ((s64)end - (s64)start) / 1024, SLACK >> 10);
	ksft_finished();
}
