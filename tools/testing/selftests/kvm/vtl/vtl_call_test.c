// SPDX-License-Identifier: GPL-2.0-only
/*
 * VTL call and VTL return: VTL0 calls VTL1 through its hypercall page stub
 * and with a raw vmcall/vmmcall; VTL1 checks that it runs on its own
 * private state (CR3, RSP, RFLAGS, FS base, CR8, reset MSRs), reads the
 * shared GPRs VTL0 passed, changes them and returns, normally or fast,
 * with a raw hypercall or through its own hypercall page.  VTL0 checks
 * that its private state survived and that it got VTL1's shared GPRs, and
 * RAX/RCX from the VP assist page on a normal return.  Also measures the
 * cost of a VTL call + return against a null hypercall.
 */
#include <stdlib.h>
#include <unistd.h>

#include "vtl_lib.h"

#define VTL0_FS_BASE		0x7f0000001000ull
#define VTL1_FS_BASE		0x7f0000002000ull
#define VTL0_LSTAR		0xffffffff81000040ull
#define VTL0_CR8		3
#define VTL0_CR8_2		4
#define VTL1_CR8		7
#define RET_RAX			0xaaaa5555aaaa5555ull
#define RET_RCX			0x5555aaaa5555aaaaull
#define RET_RAX_2		0x0123456789abcdefull
#define RET_RCX_2		0xfedcba9876543210ull
/* Round trips to average over; -n changes it (Bochs is slow). */
#define TIMING_LOOPS		100

enum {
	G_VTL_CALL_UD,
	G_VTL_RETURN_UD_IN_VTL0,
	G_VTL_CALL_BAD_CONTROL_UD,
	G1_VTL1_CR3,
	G1_VTL1_CR3_DIFFERS,
	G1_VTL1_RSP,
	G1_VTL1_RFLAGS,
	G1_VTL1_FS_BASE,
	G1_VTL1_CR8_RESET,
	G1_VTL1_LSTAR_RESET,
	G1_VTL1_DR7_RESET,
	G1_VTL1_STUB_RAX_RCX,
	G1_VTL1_GPRS_IN,
	G1_VTL0_CR3,
	G1_VTL0_RSP,
	G1_VTL0_STACK,
	G1_VTL0_CR8,
	G1_VTL0_FS_BASE,
	G1_VTL0_RFLAGS,
	G1_VTL0_LSTAR,
	G1_VTL0_GPRS_OUT,
	G1_VTL0_FAST_RAX_RCX,
	G2_ENTRY_REASON,
	G2_VTL1_CR8_BANKED,
	G2_VTL1_RSP,
	G2_VTL1_RAW_RAX_RCX,
	G2_VTL1_GPRS_IN,
	G2_VTL1_VTL_CALL_UD,
	G2_VTL1_RETURN_BAD_CONTROL_UD,
	G2_VTL0_NORMAL_RAX_RCX,
	G2_VTL0_GPRS_OUT,
	G2_VTL0_CR8,
	G2_VTL0_RSP,
	G3_VTL1_HYPERCALL_PAGE,
	G3_VTL0_NORMAL_RAX_RCX_STUB,
	G4_ENTRY_REASON,
	G4_VTL1_RESUMED,
	G4_VTL0_FAST_RAX_RCX_STUB,
	G4_VTL0_GPRS_OUT,
	G_VTL1_ENTRIES,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[G_VTL_CALL_UD] = "VtlCall with no VTL1 enabled raises #UD",
	[G_VTL_RETURN_UD_IN_VTL0] = "VtlReturn in VTL0 raises #UD",
	[G_VTL_CALL_BAD_CONTROL_UD] = "VtlCall with control input RAX=2 raises #UD",
	[G1_VTL1_CR3] = "VTL1 runs on the CR3 of its initial context",
	[G1_VTL1_CR3_DIFFERS] = "VTL1's CR3 differs from VTL0's",
	[G1_VTL1_RSP] = "VTL1 starts on the RSP of its initial context",
	[G1_VTL1_RFLAGS] = "VTL1 has the RFLAGS of its initial context (AC=1, IF=1)",
	[G1_VTL1_FS_BASE] = "VTL1 has the FS base of its initial context",
	[G1_VTL1_CR8_RESET] = "VTL1's CR8 starts at 0 while VTL0's is 3",
	[G1_VTL1_LSTAR_RESET] = "VTL1's LSTAR starts at 0 while VTL0's is set",
	[G1_VTL1_DR7_RESET] = "VTL1's DR7 starts at 0x400",
	[G1_VTL1_STUB_RAX_RCX] = "call through the stub: VTL1 sees RAX=0, RCX=0x11",
	[G1_VTL1_GPRS_IN] = "VTL1 sees the shared GPRs VTL0 passed (stub call)",
	[G1_VTL0_CR3] = "VTL0's CR3 unchanged after the call",
	[G1_VTL0_RSP] = "VTL0's RSP unchanged after the call",
	[G1_VTL0_STACK] = "VTL0's stack locals intact after the call",
	[G1_VTL0_CR8] = "VTL0's CR8 still 3 after VTL1 set its own to 7",
	[G1_VTL0_FS_BASE] = "VTL0's FS base unchanged after the call",
	[G1_VTL0_RFLAGS] = "VTL0's RFLAGS.AC/IF still 0 after the call",
	[G1_VTL0_LSTAR] = "VTL0's LSTAR unchanged after VTL1 wrote its own",
	[G1_VTL0_GPRS_OUT] = "VTL0 gets the shared GPRs VTL1 left (fast return)",
	[G1_VTL0_FAST_RAX_RCX] = "fast raw VtlReturn: VTL0 sees RAX=1, RCX=0x12",
	[G2_ENTRY_REASON] = "VTL1's VP assist EntryReason is 1 (VTL call)",
	[G2_VTL1_CR8_BANKED] = "VTL1's CR8 is still 7 although VTL0 wrote 4",
	[G2_VTL1_RSP] = "VTL1 resumes on the RSP of its last VtlReturn",
	[G2_VTL1_RAW_RAX_RCX] = "raw VtlCall: VTL1 sees RAX=0, RCX=0x11",
	[G2_VTL1_GPRS_IN] = "VTL1 sees the shared GPRs VTL0 passed (raw call)",
	[G2_VTL1_VTL_CALL_UD] = "VtlCall in VTL1 (no higher VTL) raises #UD",
	[G2_VTL1_RETURN_BAD_CONTROL_UD] = "VtlReturn with control input 2 raises #UD",
	[G2_VTL0_NORMAL_RAX_RCX] = "normal raw VtlReturn: RAX/RCX from the VP assist page",
	[G2_VTL0_GPRS_OUT] = "VTL0 gets the other shared GPRs VTL1 left (normal return)",
	[G2_VTL0_CR8] = "VTL0's CR8 still 4 after the second call",
	[G2_VTL0_RSP] = "VTL0's RSP unchanged after the second call",
	[G3_VTL1_HYPERCALL_PAGE] = "VTL1's own hypercall page has the VTL return stub",
	[G3_VTL0_NORMAL_RAX_RCX_STUB] = "normal VtlReturn via VTL1's stub: RAX/RCX from VP assist",
	[G4_ENTRY_REASON] = "EntryReason 1 after VTL1 returned through its stub",
	[G4_VTL1_RESUMED] = "VTL1 resumed after its stub's hypercall, RSP intact",
	[G4_VTL0_FAST_RAX_RCX_STUB] = "fast VtlReturn via VTL1's stub: RAX=1, RCX=0x12",
	[G4_VTL0_GPRS_OUT] = "VTL0 gets VTL1's shared GPRs (fast return through the stub)",
	[G_VTL1_ENTRIES] = "VTL1 was entered once per VtlCall",
};

enum { MODE_CHECK, MODE_TIMING };

static u64 vtl1_mode;
static u64 vtl0_cr3;
static u64 vtl1_step;
static u64 timing_loops = TIMING_LOOPS;

/* Seeds of the GPR patterns each side passes. */
#define SEED_IN_1	0x1111000000000000ull
#define SEED_OUT_1	0x2222000000000000ull
#define SEED_IN_2	0x3333000000000000ull
#define SEED_OUT_2	0x4444000000000000ull
#define SEED_IN_4	0x5555000000000000ull
#define SEED_OUT_4	0x6666000000000000ull

static u64 pattern(u64 seed, int i)
{
	return seed | (u64)(i + 1) << 40 | 0x5a5a00 | i;
}

/* All shared GPRs but RAX and RCX, which the stubs and returns use. */
static void fill_gprs(struct vtl_gprs *r, u64 seed)
{
	u64 *reg = (u64 *)r;
	int i;

	for (i = 0; i < 15; i++)
		if (&reg[i] != &r->rax && &reg[i] != &r->rcx)
			reg[i] = pattern(seed, i);
}

/* Bit i set: GPR i (in struct vtl_gprs order) does not hold the pattern. */
static u64 gprs_mismatch(const struct vtl_gprs *r, u64 seed)
{
	const u64 *reg = (const u64 *)r;
	u64 mask = 0;
	int i;

	for (i = 0; i < 15; i++)
		if (&reg[i] != &r->rax && &reg[i] != &r->rcx && reg[i] != pattern(seed, i))
			mask |= BIT_ULL(i);
	return mask;
}

static u64 rax_rcx(const struct vtl_gprs *r, u64 rax, u64 rcx)
{
	return (r->rax == rax) | (r->rcx == rcx) << 1;
}

static void vtl1_first_call(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	VTL_CHECK(G1_VTL1_CR3, get_cr3(), vp->vtl1_cr3);
	VTL_CHECK(G1_VTL1_CR3_DIFFERS, get_cr3() != vtl0_cr3, true);
	VTL_CHECK(G1_VTL1_RSP, regs->rsp, vp->vtl1_stack_top - 16);
	VTL_CHECK(G1_VTL1_RFLAGS, vtl_get_rflags() & (VTL_RFLAGS_AC | VTL_RFLAGS_IF),
		  VTL_RFLAGS_AC | VTL_RFLAGS_IF);
	VTL_CHECK(G1_VTL1_FS_BASE, rdmsr(MSR_FS_BASE), VTL1_FS_BASE);
	VTL_CHECK(G1_VTL1_CR8_RESET, vtl_get_cr8(), 0);
	VTL_CHECK(G1_VTL1_LSTAR_RESET, rdmsr(MSR_LSTAR), 0);
	VTL_CHECK(G1_VTL1_DR7_RESET, vtl_get_dr7(), 0x400);
	VTL_CHECK(G1_VTL1_STUB_RAX_RCX, rax_rcx(regs, 0, HVCALL_VTL_CALL), 3);
	VTL_CHECK(G1_VTL1_GPRS_IN, gprs_mismatch(regs, SEED_IN_1), 0);

	vtl_set_cr8(VTL1_CR8);
	wrmsr(MSR_LSTAR, 0xffffffff82000000ull);
	fill_gprs(regs, SEED_OUT_1);
}

static void vtl1_second_call(struct vtl_gprs *regs, struct vtl_vp *vp, u32 reason)
{
	VTL_CHECK(G2_ENTRY_REASON, reason, HV_VTL_ENTRY_VTL_CALL);
	VTL_CHECK(G2_VTL1_CR8_BANKED, vtl_get_cr8(), VTL1_CR8);
	VTL_CHECK(G2_VTL1_RSP, regs->rsp, vp->vtl1_stack_top - 16);
	VTL_CHECK(G2_VTL1_RAW_RAX_RCX, rax_rcx(regs, 0, HVCALL_VTL_CALL), 3);
	VTL_CHECK(G2_VTL1_GPRS_IN, gprs_mismatch(regs, SEED_IN_2), 0);
	VTL_CHECK(G2_VTL1_VTL_CALL_UD, vtl_hypercall_vector(HVCALL_VTL_CALL, 0), UD_VECTOR);
	VTL_CHECK(G2_VTL1_RETURN_BAD_CONTROL_UD, vtl_hypercall_vector(HVCALL_VTL_RETURN, 2),
		  UD_VECTOR);

	fill_gprs(regs, SEED_OUT_2);
	/* Not what VTL0 gets: a normal return loads RAX/RCX from the assist page. */
	regs->rax = 0xbad0;
	regs->rcx = 0xbad1;
	vtl1_set_return_rax_rcx(vp, RET_RAX, RET_RCX);
}

/* Enable VTL1's own hypercall page and return through its stub from now on. */
static void vtl1_third_call(struct vtl_vp *vp)
{
	u64 offsets, stub;

	wrmsr(HV_X64_MSR_HYPERCALL, vp->hcall_page[1].gpa | 1);
	offsets = vtl_get_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_CODE_PAGE_OFFSETS);
	stub = vp->hcall_page[1].gva + ((offsets >> 12) & 0xfff);
	/* mov rax, rcx; mov ecx, 0x12 */
	VTL_CHECK(G3_VTL1_HYPERCALL_PAGE, *(u64 *)stub, 0x00000012b9c88948ull);
	vp->vtl1_ret_stub = stub;
	vtl1_set_return_rax_rcx(vp, RET_RAX_2, RET_RCX_2);
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	u32 reason;

	if (vtl1_mode == MODE_TIMING) {
		vp->vtl1_entries++;
		vp->vtl1_ret_stub = 0;
		return VTL_RETURN_FAST;
	}

	reason = vtl1_enter(vp);
	switch (++vtl1_step) {
	case 1:
		vtl1_first_call(regs, vp);
		return VTL_RETURN_FAST;
	case 2:
		vtl1_second_call(regs, vp, reason);
		return VTL_RETURN_NORMAL;
	case 3:
		vtl1_third_call(vp);
		return VTL_RETURN_NORMAL;
	case 4:
		VTL_CHECK(G4_ENTRY_REASON, reason, HV_VTL_ENTRY_VTL_CALL);
		VTL_CHECK(G4_VTL1_RESUMED, regs->rsp, vp->vtl1_stack_top - 16);
		fill_gprs(regs, SEED_OUT_4);
		return VTL_RETURN_FAST;
	default:
		GUEST_FAIL("unexpected VTL1 entry %lu", vtl1_step);
	}
	return VTL_RETURN_FAST;
}

static void measure(void)
{
	struct vtl_gprs regs = {};
	u64 t0, t1, t2, i;

	vtl1_mode = MODE_TIMING;
	t0 = rdtsc();
	for (i = 0; i < timing_loops; i++)
		vtl_call_regs(&regs);
	t1 = rdtsc();
	for (i = 0; i < timing_loops; i++)
		vtl_hypercall(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST_BIT, 0, 0);
	t2 = rdtsc();
	vtl1_mode = MODE_CHECK;

	GUEST_PRINTF("VTL call+return: %lu cycles, null hypercall: %lu cycles (avg of %lu)\n",
		     (t1 - t0) / timing_loops, (t2 - t1) / timing_loops, timing_loops);
}

static void guest_code(struct vtl_vp *vp)
{
	struct vtl_gprs regs;
	u64 rsp, rsp2, entries;
	u64 canary[4];
	void *stub;
	int i;

	vtl0_enable_hypercalls(vp);
	VTL_CHECK(G_VTL_CALL_UD, vtl_hypercall_vector(HVCALL_VTL_CALL, 0), UD_VECTOR);

	vp->vtl1_rflags = VTL_RFLAGS_AC | VTL_RFLAGS_IF;
	vp->vtl1_fs_base = VTL1_FS_BASE;
	vtl0_enable_vtl1(vp);
	VTL_CHECK(G_VTL_RETURN_UD_IN_VTL0, vtl_hypercall_vector(HVCALL_VTL_RETURN, 0), UD_VECTOR);
	VTL_CHECK(G_VTL_CALL_BAD_CONTROL_UD, vtl_hypercall_vector(HVCALL_VTL_CALL, 2), UD_VECTOR);
	entries = vp->vtl1_entries;

	/* VTL0's private state, which VTL1 must not see or change. */
	vtl0_cr3 = get_cr3();
	vtl_set_cr8(VTL0_CR8);
	wrmsr(MSR_FS_BASE, VTL0_FS_BASE);
	wrmsr(MSR_LSTAR, VTL0_LSTAR);
	stub = vtl0_call_stub(vp);

	/* 1: through the hypercall page stub; VTL1 returns fast. */
	for (i = 0; i < 4; i++)
		WRITE_ONCE(canary[i], 0xc0ffee00 + i);
	fill_gprs(&regs, SEED_IN_1);
	regs.rcx = 0;			/* the control input, for the stub */
	rsp = vtl_get_rsp();
	vtl_call_stub(&regs, stub);
	VTL_CHECK(G1_VTL0_RSP, vtl_get_rsp(), rsp);
	for (i = 0; i < 4 && READ_ONCE(canary[i]) == 0xc0ffee00 + i; i++)
		;
	VTL_CHECK(G1_VTL0_STACK, i, 4);
	VTL_CHECK(G1_VTL0_CR3, get_cr3(), vtl0_cr3);
	VTL_CHECK(G1_VTL0_CR8, vtl_get_cr8(), VTL0_CR8);
	VTL_CHECK(G1_VTL0_FS_BASE, rdmsr(MSR_FS_BASE), VTL0_FS_BASE);
	VTL_CHECK(G1_VTL0_RFLAGS, vtl_get_rflags() & (VTL_RFLAGS_AC | VTL_RFLAGS_IF), 0);
	VTL_CHECK(G1_VTL0_LSTAR, rdmsr(MSR_LSTAR), VTL0_LSTAR);
	VTL_CHECK(G1_VTL0_GPRS_OUT, gprs_mismatch(&regs, SEED_OUT_1), 0);
	VTL_CHECK(G1_VTL0_FAST_RAX_RCX, rax_rcx(&regs, VTL_RETURN_FAST, HVCALL_VTL_RETURN), 3);

	/* 2: raw vmcall; VTL1 returns normally. */
	vtl_set_cr8(VTL0_CR8_2);
	fill_gprs(&regs, SEED_IN_2);
	/*
	 * Read RSP right around the call: the compiler may keep outgoing
	 * arguments of the checks below on the stack.
	 */
	rsp = vtl_get_rsp();
	vtl_call_regs(&regs);
	rsp2 = vtl_get_rsp();
	VTL_CHECK(G2_VTL0_NORMAL_RAX_RCX, rax_rcx(&regs, RET_RAX, RET_RCX), 3);
	VTL_CHECK(G2_VTL0_GPRS_OUT, gprs_mismatch(&regs, SEED_OUT_2), 0);
	VTL_CHECK(G2_VTL0_CR8, vtl_get_cr8(), VTL0_CR8_2);
	VTL_CHECK(G2_VTL0_RSP, rsp2, rsp);

	/* 3: VTL1 sets up its hypercall page and returns through its stub. */
	fill_gprs(&regs, SEED_IN_2);
	vtl_call_regs(&regs);
	VTL_CHECK(G3_VTL0_NORMAL_RAX_RCX_STUB, rax_rcx(&regs, RET_RAX_2, RET_RCX_2), 3);

	/* 4: VTL1 resumes in its stub and returns fast through it. */
	fill_gprs(&regs, SEED_IN_4);
	vtl_call_regs(&regs);
	VTL_CHECK(G4_VTL0_FAST_RAX_RCX_STUB,
		  rax_rcx(&regs, VTL_RETURN_FAST, HVCALL_VTL_RETURN), 3);
	VTL_CHECK(G4_VTL0_GPRS_OUT, gprs_mismatch(&regs, SEED_OUT_4), 0);

	VTL_CHECK(G_VTL1_ENTRIES, vp->vtl1_entries - entries, 4);

	measure();
	GUEST_DONE();
}

static void help(const char *name)
{
	printf("usage: %s [-n round trips to time (default %d)]\n", name, TIMING_LOOPS);
	exit(KSFT_FAIL);
}

int main(int argc, char *argv[])
{
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int opt;

	while ((opt = getopt(argc, argv, "n:h")) != -1) {
		switch (opt) {
		case 'n':
			timing_loops = strtoull(optarg, NULL, 0);
			break;
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(timing_loops, "need at least one round trip to time");

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));

	ksft_print_header();
	ksft_print_msg("KVM runs this guest with %s\n",
		       host_cpu_is_amd ? "kvm_amd (SVM)" : "kvm_intel (VMX)");
	ksft_set_plan(NR_CHECKS);
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	vm = vtl_vm_create(1, guest_code, &vcpu);
	sync_global_to_guest(vm, timing_loops);
	vtl_vp_setup(vcpu, vtl1_handler);

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, &checks), UCALL_DONE);

	vtl_checks_finish(&checks);
	kvm_vm_free(vm);
	ksft_finished();
}
