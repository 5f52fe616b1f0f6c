// SPDX-License-Identifier: GPL-2.0-only
/*
 * A protection change racing with writes.  VP 0 writes a page in a loop
 * from VTL0; VP 1, in VTL1, removes W from the page with
 * HvCallModifyVtlProtectionMask.  Once the hypercall has returned, no
 * further write of VP 0 may land: VP 1 waits until VP 0 has started two
 * more writes and checks that the page still holds what it held right
 * after the call.  VP 0's VTL1 skips each refused write.  VP 1 then gives
 * W back and waits for VP 0's writes to land again.  1000 rounds (-n).
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "vtl_lib.h"

#define R	KVM_VTL_PROT_READ
#define RW	(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE)
#define RWX	KVM_VTL_PROT_RWX

static u64 nr_rounds = 1000;
static u64 page_gva, page_gpa;
static struct vtl_vp *vps[2];

/* VP 0's progress, in memory that is never protected. */
static u64 attempts, skipped;
static u64 writer_stop, writer_ready;
/* VP 1's verdict. */
static u64 rounds_done, landed_after_call, last_bad_round;

static noinline void __attribute__((naked)) vtl0_write(u64 *p, u64 v)
{
	asm volatile("movq %rsi, (%rdi)\n\t"	/* 3 bytes */
		     "ret");
}

static void vtl1_sint0_isr(struct ex_regs *regs)
{
	vtl1_take_message(vps[0], NULL);
}

/* VP 1's VTL1: the rounds. */
static void race(struct vtl_vp *vp)
{
	u64 *page = (u64 *)page_gva;
	u64 round, seen, start;

	for (round = 0; round < nr_rounds; round++) {
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, page_gpa, R)), 0);
		seen = READ_ONCE(*page);
		start = READ_ONCE(attempts);
		/* Two writes started after the call: at least one is complete. */
		while (READ_ONCE(attempts) < start + 2)
			cpu_relax();
		if (READ_ONCE(*page) != seen) {
			landed_after_call++;
			last_bad_round = round;
		}

		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, page_gpa, RW)), 0);
		seen = READ_ONCE(*page);
		while (READ_ONCE(*page) == seen)
			cpu_relax();
		WRITE_ONCE(rounds_done, round + 1);
	}
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	u32 reason = vtl1_enter(vp);

	if (vp->vtl1_entries == 1) {
		vtl1_enable_intercepts(vp);
		return VTL_RETURN_FAST;
	}
	if (reason == HV_VTL_ENTRY_INTERRUPT) {
		/* VP 0's refused write: skip it. */
		vtl1_skip_vtl0_insn(vp, 3);
		skipped++;
		return vtl1_return_normal(vp, regs);
	}
	/* VP 1's VtlCall: run the race. */
	race(vp);
	return VTL_RETURN_FAST;
}

static void guest_code(struct vtl_vp *vp)
{
	u64 *page = (u64 *)page_gva;

	x2apic_enable();
	vtl0_enable_hypercalls(vp);
	vp->vtl1_rflags = VTL_RFLAGS_IF;
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1 sets up its SynIC */

	if (vp->vp_index == 1) {
		while (!READ_ONCE(writer_ready))
			cpu_relax();
		vtl_call();		/* the race, in VTL1 */
		WRITE_ONCE(writer_stop, 1);
		GUEST_DONE();
	}

	WRITE_ONCE(writer_ready, 1);
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

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpus[2];
	pthread_t threads[2];
	struct kvm_vm *vm;
	int i, opt;

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

	vm = vtl_vm_create(2, guest_code, vcpus);
	vm_install_exception_handler(vm, VTL1_SINT0_VECTOR, vtl1_sint0_isr);
	page_gva = vm_vaddr_alloc_page(vm);
	page_gpa = addr_gva2gpa(vm, page_gva);
	sync_global_to_guest(vm, page_gva);
	sync_global_to_guest(vm, page_gpa);
	sync_global_to_guest(vm, nr_rounds);
	for (i = 0; i < 2; i++) {
		struct kvm_regs regs;

		vcpu_enable_cap(vcpus[i], KVM_CAP_HYPERV_SYNIC2, 0);
		vtl_vp_setup(vcpus[i], vtl1_handler);
		vcpu_regs_get(vcpus[i], &regs);
		vps[i] = (struct vtl_vp *)regs.rdi;
	}
	sync_global_to_guest(vm, vps);

	for (i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);

	sync_global_from_guest(vm, rounds_done);
	sync_global_from_guest(vm, landed_after_call);
	sync_global_from_guest(vm, last_bad_round);
	sync_global_from_guest(vm, skipped);
	sync_global_from_guest(vm, attempts);
	ksft_test_result(rounds_done == nr_rounds, "%lu of %lu rounds\n", rounds_done, nr_rounds);
	ksft_test_result(!landed_after_call,
			 "no write landed after the call returned (%lu did, last in round %lu)\n",
			 landed_after_call, last_bad_round);
	ksft_test_result(skipped >= nr_rounds,
			 "VTL1 skipped %lu refused writes of %lu\n", skipped, attempts);

	kvm_vm_free(vm);
	ksft_finished();
}
