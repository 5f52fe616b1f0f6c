// SPDX-License-Identifier: GPL-2.0-only
/*
 * VTL switches on several vCPUs at once: 4 vCPUs, one host thread each,
 * enable VTL1 on themselves (VP index = vCPU id) and then do 10,000 (-n)
 * VTL call/return round trips at the same time.  Each call carries a pattern
 * derived from the vCPU id and the iteration in the shared GPRs; VTL1
 * checks it, and that it runs on its own VP's stack, CR3, VP assist page
 * and VP index, transforms every register and returns, alternately fast
 * and normal (RAX/RCX from its own VP assist page).  VTL0 checks the
 * result.  Any state mixed up between vCPUs or VTLs fails an assertion.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "vtl_lib.h"

#define NR_VCPUS	4
#define ITERATIONS	10000

/* vp->test[] slots. */
enum { T_VTL0_DONE, T_VTL1_DONE, T_TSC_START, T_TSC_END };

static u64 nr_ready;
static u64 nr_iterations = ITERATIONS;
/* -m: "vtl" (the test), or for comparison "null" (an unknown hypercall). */
static u64 null_mode;

static u64 pattern(u64 id, u64 iter, int reg)
{
	return id << 56 | (u64)(reg + 1) << 48 | 0xa5ull << 32 | iter;
}

static u64 transform(u64 value, u64 id, int reg)
{
	return ~value ^ (id + 1) * 0x9e3779b97f4a7c15ull ^ (u64)reg << 24;
}

static u64 ret_rax(u64 id, u64 iter)
{
	return 0xaa00000000000000ull | id << 40 | iter;
}

static u64 ret_rcx(u64 id, u64 iter)
{
	return 0xcc00000000000000ull | id << 40 | iter;
}

static bool is_rax_rcx(const struct vtl_gprs *r, const u64 *reg)
{
	return reg == &r->rax || reg == &r->rcx;
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	u64 *reg = (u64 *)regs;
	u64 id = vp->vp_index;
	u64 iter = vp->test[T_VTL1_DONE];
	u32 reason;
	int i;

	reason = vtl1_enter(vp);
	if (vp->vtl1_entries == 1)
		return VTL_RETURN_FAST;		/* first entry: setup only */

	__GUEST_ASSERT(reason == HV_VTL_ENTRY_VTL_CALL,
		       "VP %lu iteration %lu: entry reason %u", id, iter, reason);
	__GUEST_ASSERT(rdmsr(HV_X64_MSR_VP_INDEX) == id,
		       "VP %lu iteration %lu: VTL1 runs on VP %lu", id, iter,
		       rdmsr(HV_X64_MSR_VP_INDEX));
	__GUEST_ASSERT(regs->rsp == vp->vtl1_stack_top - 16 && get_cr3() == vp->vtl1_cr3,
		       "VP %lu iteration %lu: VTL1 RSP %#lx CR3 %#lx, want %#lx %#lx", id, iter,
		       regs->rsp, get_cr3(), vp->vtl1_stack_top - 16, vp->vtl1_cr3);

	for (i = 0; i < 15; i++) {
		if (is_rax_rcx(regs, &reg[i]))
			continue;
		__GUEST_ASSERT(reg[i] == pattern(id, iter, i),
			       "VP %lu iteration %lu: VTL1 got GPR %d = %#lx, want %#lx",
			       id, iter, i, reg[i], pattern(id, iter, i));
		reg[i] = transform(reg[i], id, i);
	}
	vp->test[T_VTL1_DONE] = iter + 1;

	if (iter & 1) {
		vtl1_set_return_rax_rcx(vp, ret_rax(id, iter), ret_rcx(id, iter));
		return VTL_RETURN_NORMAL;
	}
	return VTL_RETURN_FAST;
}

static void guest_code(struct vtl_vp *vp)
{
	struct vtl_gprs regs;
	u64 *reg = (u64 *)&regs;
	u64 id = vp->vp_index;
	u64 iter, want_rax, want_rcx;
	int i;

	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_VP_INDEX), id);
	wrmsr(HV_X64_MSR_GUEST_OS_ID, VTL0_GUEST_OS_ID);
	vtl0_enable_vtl1(vp);
	vtl_call();

	/* Start the loops together. */
	__atomic_add_fetch(&nr_ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&nr_ready, __ATOMIC_SEQ_CST) < NR_VCPUS)
		cpu_relax();

	vp->test[T_TSC_START] = rdtsc();
	if (null_mode) {
		for (iter = 0; iter < nr_iterations; iter++)
			GUEST_ASSERT_EQ(HV_STATUS(vtl_hypercall(0xfff0, 0, 0)), 2);
		vp->test[T_TSC_END] = rdtsc();
		GUEST_DONE();
	}
	for (iter = 0; iter < nr_iterations; iter++) {
		for (i = 0; i < 15; i++)
			reg[i] = pattern(id, iter, i);
		vtl_call_regs(&regs);

		for (i = 0; i < 15; i++) {
			if (is_rax_rcx(&regs, &reg[i]))
				continue;
			__GUEST_ASSERT(reg[i] == transform(pattern(id, iter, i), id, i),
				       "VP %lu iteration %lu: VTL0 got GPR %d = %#lx, want %#lx",
				       id, iter, i, reg[i],
				       transform(pattern(id, iter, i), id, i));
		}
		want_rax = iter & 1 ? ret_rax(id, iter) : VTL_RETURN_FAST;
		want_rcx = iter & 1 ? ret_rcx(id, iter) : HVCALL_VTL_RETURN;
		__GUEST_ASSERT(regs.rax == want_rax && regs.rcx == want_rcx,
			       "VP %lu iteration %lu: RAX/RCX %#lx/%#lx, want %#lx/%#lx",
			       id, iter, regs.rax, regs.rcx, want_rax, want_rcx);
		vp->test[T_VTL0_DONE] = iter + 1;
	}
	vp->test[T_TSC_END] = rdtsc();
	GUEST_DONE();
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, NULL), UCALL_DONE);
	return NULL;
}

static bool same_cr3;

static void help(const char *name)
{
	printf("usage: %s [-n iterations per vCPU (default %d)]\n", name, ITERATIONS);
	exit(KSFT_FAIL);
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpus[NR_VCPUS];
	struct vtl_vp *vps[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	u64 last_start = 0, first_end = ~0ull;
	struct kvm_vm *vm;
	int i, r, opt;

	while ((opt = getopt(argc, argv, "n:m:s")) != -1) {
		switch (opt) {
		case 'n':
			nr_iterations = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			null_mode = !strcmp(optarg, "null");
			break;
		case 's':
			same_cr3 = true;
			break;
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(nr_iterations, "need at least one iteration");

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));

	ksft_print_header();
	ksft_set_plan(NR_VCPUS);

	vm = vtl_vm_create(NR_VCPUS, guest_code, vcpus);
	sync_global_to_guest(vm, nr_iterations);
	sync_global_to_guest(vm, null_mode);
	for (i = 0; i < NR_VCPUS; i++) {
		vps[i] = vtl_vp_setup(vcpus[i], vtl1_handler);
		if (same_cr3)
			vps[i]->vtl1_cr3 = vm->pgd;
	}

	for (i = 0; i < NR_VCPUS; i++) {
		r = pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);
		TEST_ASSERT(!r, "pthread_create failed: %d", r);
	}
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(threads[i], NULL);

	for (i = 0; i < NR_VCPUS; i++) {
		struct vtl_vp *vp = vps[i];

		ksft_test_result(vp->test[T_VTL0_DONE] == nr_iterations &&
				 vp->test[T_VTL1_DONE] == nr_iterations &&
				 vp->vtl1_entries == nr_iterations + 1,
				 "vCPU %d: %lu VTL call/return round trips, %lu VTL1 entries\n",
				 i, vp->test[T_VTL0_DONE], vp->vtl1_entries);
		last_start = max(last_start, vp->test[T_TSC_START]);
		first_end = min(first_end, vp->test[T_TSC_END]);
	}
	ksft_print_msg("the vCPUs' loops %s in time\n",
		       last_start < first_end ? "overlapped" : "did not all overlap");

	kvm_vm_free(vm);
	ksft_finished();
}
