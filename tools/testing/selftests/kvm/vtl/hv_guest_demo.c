// SPDX-License-Identifier: GPL-2.0-only
/*
 * A Hyper-V-enlightened guest on KVM, step by step: the guest finds the
 * Hyper-V CPUID leaves, registers a guest OS id, enables the hypercall page
 * and calls through it, and reads the VP index and reference-time MSRs.
 * Each step is asserted in the guest and reported by the host, so the
 * output doubles as the "make run" demonstration until VSM exists.
 */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

enum demo_step {
	STEP_CPUID = 1,
	STEP_HYPERCALL_PAGE,
	STEP_HYPERCALL,
	STEP_VP_INDEX,
	STEP_REF_TIME,
	NR_STEPS = STEP_REF_TIME,
};

/* Hypercall through the page KVM filled in: RCX = control, RDX = input GPA. */
static u64 hypercall_via_page(void *page, u64 control, u64 input_gpa)
{
	u64 status;

	asm volatile("xor %%r8d, %%r8d\n\t"
		     "call *%[page]"
		     : "=a"(status), "+c"(control), "+d"(input_gpa)
		     : [page] "r"(page)
		     : "cc", "memory", "r8", "r9", "r10", "r11");
	return status;
}

static void guest_code(void *hcall_page, vm_paddr_t hcall_page_gpa)
{
	u32 eax, ebx, ecx, edx;
	u64 t0, t1, status;

	/*
	 * A Hyper-V guest keys off the interface signature "Hv#1" in leaf
	 * 0x40000001 EAX, not the vendor string, which KVM sets to its own.
	 */
	cpuid(HYPERV_CPUID_INTERFACE, &eax, &ebx, &ecx, &edx);
	GUEST_ASSERT_EQ(eax, 0x31237648);
	cpuid(HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS, &eax, &ebx, &ecx, &edx);
	GUEST_ASSERT(eax >= HYPERV_CPUID_IMPLEMENT_LIMITS);
	GUEST_SYNC_ARGS(STEP_CPUID, eax, ebx, ecx, edx);

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, hcall_page_gpa | 1);
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_HYPERCALL), hcall_page_gpa | 1);
	/* KVM wrote a VMCALL or VMMCALL stub there; both start 0f 01. */
	GUEST_ASSERT_EQ(*(u16 *)hcall_page, 0x010f);
	GUEST_SYNC_ARGS(STEP_HYPERCALL_PAGE, hcall_page_gpa, *(u8 *)(hcall_page + 2), 0, 0);

	/* HvCallNotifyLongSpinWait is a fast call with no output. */
	status = hypercall_via_page(hcall_page, HVCALL_NOTIFY_LONG_SPIN_WAIT |
				    HV_HYPERCALL_FAST_BIT, 0);
	GUEST_ASSERT_EQ(status & 0xffff, HV_STATUS_SUCCESS);
	status = hypercall_via_page(hcall_page, 0xfff0, 0);
	GUEST_ASSERT_EQ(status & 0xffff, HV_STATUS_INVALID_HYPERCALL_CODE);
	GUEST_SYNC_ARGS(STEP_HYPERCALL, status & 0xffff, 0, 0, 0);

	GUEST_SYNC_ARGS(STEP_VP_INDEX, rdmsr(HV_X64_MSR_VP_INDEX), 0, 0, 0);

	t0 = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	do {
		t1 = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	} while (t1 == t0);
	GUEST_ASSERT(t1 > t0);
	GUEST_SYNC_ARGS(STEP_REF_TIME, t0, t1, 0, 0);

	GUEST_DONE();
}

static void report_step(struct ucall *uc, u32 vp_index_expected)
{
	u64 step = uc->args[1], a = uc->args[2], b = uc->args[3];
	u32 vendor[4] = { uc->args[3], uc->args[4], uc->args[5] };

	switch (step) {
	case STEP_CPUID:
		ksft_test_result_pass("Hyper-V interface \"Hv#1\" from \"%s\", max leaf 0x%lx\n",
				      (char *)vendor, a);
		break;
	case STEP_HYPERCALL_PAGE:
		ksft_test_result_pass("hypercall page enabled at GPA 0x%lx (%s stub)\n",
				      a, b == 0xc1 ? "VMCALL" : "VMMCALL");
		break;
	case STEP_HYPERCALL:
		ksft_test_result_pass("HvCallNotifyLongSpinWait ok, bad code got status %lu\n", a);
		break;
	case STEP_VP_INDEX:
		TEST_ASSERT_EQ(a, vp_index_expected);
		ksft_test_result_pass("VP index MSR reads %lu\n", a);
		break;
	case STEP_REF_TIME:
		ksft_test_result_pass("reference time advanced %lu -> %lu (100 ns units)\n", a, b);
		break;
	default:
		TEST_FAIL("unknown step %lu", step);
	}
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	vm_vaddr_t hcall_page;
	struct ucall uc;
	int steps = 0;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_CPUID));

	ksft_print_header();
	ksft_print_msg("KVM runs this guest with %s\n",
		       host_cpu_is_amd ? "kvm_amd (SVM)" : "kvm_intel (VMX)");
	ksft_set_plan(NR_STEPS);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_set_hv_cpuid(vcpu);
	hcall_page = vm_vaddr_alloc_page(vm);
	vcpu_args_set(vcpu, 2, hcall_page, addr_gva2gpa(vm, hcall_page));

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT_EQ(uc.args[1], ++steps);
			report_step(&uc, 0);
			continue;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		case UCALL_DONE:
			break;
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
		break;
	}
	TEST_ASSERT_EQ(steps, NR_STEPS);

	kvm_vm_free(vm);
	ksft_finished();
}
