// SPDX-License-Identifier: GPL-2.0-only
/*
 * A sub-page write mask narrowed while a vCPU writes.  VTL1 makes a page
 * read-only for VTL0, with a write mask granting sub-pages 0 and 1; VP 0
 * writes sub-page 0 in a loop from VTL0, each write emulated by KVM.  The
 * host narrows the mask to sub-page 1 only: once KVM_SET_VTL_WRITE_MASK
 * has returned, no further write of VP 0 may land.  The host waits until
 * VP 0 has started two more writes and checks that the page still holds
 * what it held right after the call; VP 0's VTL1 skips each refused write.
 * The host then widens the mask again and waits for a write to land.
 * 1000 rounds (-n).  Where the hardware checks the masks (SPP), the writes
 * the mask grants complete in the guest without an exit.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "vtl_lib.h"

#define R	KVM_VTL_PROT_READ
#define RWX	KVM_VTL_PROT_RWX

#define PAGE_GPA	(4ull << 30)
#define PAGE_SLOT	10

static u64 nr_rounds = 1000;
static u64 page_gva;
static struct vtl_vp *the_vp;

/* VP 0's progress and VTL1's count, in memory that is never protected. */
static u64 attempts, skipped, writer_stop;

static noinline void __attribute__((naked)) vtl0_write(u64 *p, u64 v)
{
	asm volatile("movq %rsi, (%rdi)\n\t"	/* 3 bytes */
		     "ret");
}

static void vtl1_sint0_isr(struct ex_regs *regs)
{
	vtl1_take_message(the_vp, NULL);
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	u32 reason = vtl1_enter(vp);

	if (vp->vtl1_entries == 1) {
		vtl1_enable_intercepts(vp);
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, PAGE_GPA, R)), 0);
		return VTL_RETURN_FAST;
	}
	GUEST_ASSERT_EQ(reason, HV_VTL_ENTRY_INTERRUPT);
	/* A refused write: skip it. */
	vtl1_skip_vtl0_insn(vp, 3);
	skipped++;
	return vtl1_return_normal(vp, regs);
}

static void guest_code(struct vtl_vp *vp)
{
	u64 *page = (u64 *)page_gva;

	the_vp = vp;
	x2apic_enable();
	vtl0_enable_hypercalls(vp);
	vp->vtl1_rflags = VTL_RFLAGS_IF;
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1 sets up and protects the page */
	GUEST_SYNC(1);
	while (!READ_ONCE(writer_stop)) {
		WRITE_ONCE(attempts, attempts + 1);
		vtl0_write(page, attempts);
	}
	GUEST_DONE();
}

static void *vcpu_thread(void *arg)
{
	struct ucall uc;

	TEST_ASSERT_EQ(vtl_run(arg, &uc, NULL), UCALL_DONE);
	return NULL;
}

/*
 * Wait with growing sleeps.  On one host CPU, short sleeps could starve
 * the vCPU: each wakeup is an interrupt that makes the vCPU exit, and in a
 * slow emulator the vCPU could not get a write through the hardware
 * between two of them.
 */
#define WAIT_UNTIL(cond)						\
do {									\
	useconds_t __us = 10;						\
									\
	while (!(cond)) {						\
		usleep(__us);						\
		__us = min(__us * 2, 2000u);				\
	}								\
} while (0)

static void set_mask(struct kvm_vm *vm, u32 mask)
{
	struct kvm_vtl_write_mask m = {
		.gfn = PAGE_GPA >> 12, .npages = 1, .vtl = 1, .mask = mask,
	};

	vm_ioctl(vm, KVM_SET_VTL_WRITE_MASK, &m);
}

int main(int argc, char *argv[])
{
	u64 *page, *att;
	u64 round, seen, start, bad = 0, last_bad = 0;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	struct kvm_vm *vm;
	struct ucall uc;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			printf("usage: %s [-n rounds (default 1000)]\n", argv[0]);
			exit(KSFT_FAIL);
		}
		nr_rounds = strtoull(optarg, NULL, 0);
	}

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_SYNIC2));
	ksft_print_header();
	ksft_set_plan(3);

	vm = vtl_vm_create_extra(1, 1, guest_code, &vcpu);
	vcpu_enable_cap(vcpu, KVM_CAP_HYPERV_SYNIC2, 0);
	vm_install_exception_handler(vm, VTL1_SINT0_VECTOR, vtl1_sint0_isr);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PAGE_GPA, PAGE_SLOT, 1, 0);
	page_gva = vm_vaddr_unused_gap(vm, PAGE_SIZE, KVM_UTIL_MIN_VADDR);
	virt_map(vm, page_gva, PAGE_GPA, 1);
	sync_global_to_guest(vm, page_gva);
	vtl_vp_setup(vcpu, vtl1_handler);
	page = addr_gpa2hva(vm, PAGE_GPA);
	att = addr_gva2hva(vm, (vm_vaddr_t)&attempts);

	set_mask(vm, 0x3);
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, NULL), UCALL_SYNC);
	pthread_create(&thread, NULL, vcpu_thread, vcpu);

	for (round = 0; round < nr_rounds; round++) {
		/* Sub-page 0 granted: wait for one of VP 0's writes to land. */
		seen = READ_ONCE(*page);
		WAIT_UNTIL(READ_ONCE(*page) != seen);

		set_mask(vm, 0x2);
		seen = READ_ONCE(*page);
		start = READ_ONCE(*att);
		/* Two writes started after the call: at least one is complete. */
		WAIT_UNTIL(READ_ONCE(*att) >= start + 2);
		if (READ_ONCE(*page) != seen) {
			bad++;
			last_bad = round;
		}
		set_mask(vm, 0x3);
	}
	WRITE_ONCE(*(u64 *)addr_gva2hva(vm, (vm_vaddr_t)&writer_stop), 1);
	pthread_join(thread, NULL);
	sync_global_from_guest(vm, skipped);
	sync_global_from_guest(vm, attempts);

	ksft_test_result(round == nr_rounds, "%lu rounds\n", round);
	ksft_test_result(!bad, "no write landed after the narrowing (%lu did, last in round %lu)\n",
			 bad, last_bad);
	ksft_test_result(skipped >= nr_rounds, "VTL1 skipped %lu refused writes of %lu\n",
			 skipped, attempts);
	kvm_vm_free(vm);
	ksft_finished();
}
