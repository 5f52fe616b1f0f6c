// SPDX-License-Identifier: GPL-2.0-only
/*
 * HvCallStartVirtualProcessor (TLFS 5.6).  vCPU 0 enables VTL1 and checks
 * the CPUID privilege and every error status.  It then starts VP 1, waiting
 * for SIPI in KVM_MP_STATE_UNINITIALIZED, in VTL0: VP 1 runs with the given
 * context and makes a VtlCall into the VTL1 context EnableVpVtl gave it.
 * From VTL1, vCPU 0 starts VP 2, waiting in KVM_MP_STATE_INIT_RECEIVED,
 * directly in VTL1, and sets DenyLowerVtlStartup; VTL0 then may no longer
 * start VP 3, which stays where it was.
 */
#include <pthread.h>

#include "vtl_lib.h"

#define NR_VCPUS		4
#define AP_STACK_PAGES		2

/* vp->test[] slots of the APs. */
enum {
	T_STACK_TOP,		/* host: the AP's VTL0 stack */
	T_RAN,			/* AP: 1 when it ran its start code */
	T_VP_INDEX,		/* AP: its VP index MSR */
	T_CR3,			/* AP: CR3 in its start code */
	T_RSP,			/* AP: RSP in its start code, rounded to 16 */
	T_VP_STATUS,		/* AP: HvRegisterVsmVpStatus */
	T_VTL1_CR3,		/* VP 1's VTL1: CR3 */
	T_VTL1_REASON,		/* VP 1's VTL1: entry reason of its second entry */
	T_BACK_IN_VTL0,		/* VP 1: CR3 after the VtlCall returned */
};

enum {
	C_CPUID,
	C_BAD_PARTITION,
	C_BAD_VP,
	C_SELF,
	C_SELF_INDEX,
	C_VTL1_FROM_VTL0,
	C_VTL2,
	C_RESERVED,
	C_REAL_MODE,
	C_REP,
	C_FAST,
	C_START_VP1,
	C_START_VP1_AGAIN,
	C_VP1_RAN,
	C_VP1_INDEX,
	C_VP1_CR3,
	C_VP1_RSP,
	C_VP1_STATUS,
	C_VP1_VTL1_CR3,
	C_VP1_VTL1_REASON,
	C_VP1_BACK,
	C_VTL1_NOT_ENABLED,
	C_ENABLE_VP2,
	C_START_VP2_VTL1,
	C_DENY,
	C_DENIED,
	C_VP2_RAN,
	C_VP2_CR3,
	C_VP2_STATUS,
	H_VP2_ACTIVE_VTL,
	H_VP3_MP_STATE,
	H_VP3_NEVER_RAN,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[C_CPUID] = "CPUID 0x40000003 EBX has StartVirtualProcessor (bit 21)",
	[C_BAD_PARTITION] = "partition id 0: INVALID_PARTITION_ID",
	[C_BAD_VP] = "VP index 99: INVALID_VP_INDEX",
	[C_SELF] = "the calling VP: INVALID_VP_INDEX",
	[C_SELF_INDEX] = "HV_VP_INDEX_SELF: INVALID_VP_INDEX",
	[C_VTL1_FROM_VTL0] = "target VTL1 from VTL0: ACCESS_DENIED",
	[C_VTL2] = "target VTL2: INVALID_PARAMETER",
	[C_RESERVED] = "reserved byte set: INVALID_PARAMETER",
	[C_REAL_MODE] = "context with CR0.PE=0: INVALID_REGISTER_VALUE",
	[C_REP] = "rep count 1: INVALID_HYPERCALL_INPUT",
	[C_FAST] = "fast form: INVALID_HYPERCALL_INPUT",
	[C_START_VP1] = "start VP 1 in VTL0: SUCCESS",
	[C_START_VP1_AGAIN] = "start VP 1 again: INVALID_VP_STATE",
	[C_VP1_RAN] = "VP 1 ran its start code",
	[C_VP1_INDEX] = "VP 1 runs as VP index 1",
	[C_VP1_CR3] = "VP 1 runs on the context's CR3",
	[C_VP1_RSP] = "VP 1 runs on the context's RSP",
	[C_VP1_STATUS] = "VP 1's VsmVpStatus: VTL0 active, VTL0+1 enabled",
	[C_VP1_VTL1_CR3] = "VP 1's VtlCall entered its EnableVpVtl context",
	[C_VP1_VTL1_REASON] = "VP 1's second VTL1 entry has reason VtlCall",
	[C_VP1_BACK] = "VP 1 is back in VTL0 after VtlReturn",
	[C_VTL1_NOT_ENABLED] = "from VTL1: start VP 2 in VTL1 before EnableVpVtl: INVALID_VP_STATE",
	[C_ENABLE_VP2] = "from VTL1: EnableVpVtl(VP 2, VTL1): SUCCESS",
	[C_START_VP2_VTL1] = "from VTL1: start VP 2 in VTL1: SUCCESS",
	[C_DENY] = "VTL1 sets DenyLowerVtlStartup",
	[C_DENIED] = "VTL0 starts VP 3 after DenyLowerVtlStartup: ACCESS_DENIED",
	[C_VP2_RAN] = "VP 2 ran its start code in VTL1",
	[C_VP2_CR3] = "VP 2 runs on its VTL1 CR3",
	[C_VP2_STATUS] = "VP 2's VsmVpStatus: VTL1 active, VTL0+1 enabled",
	[H_VP2_ACTIVE_VTL] = "KVM_GET_VTL_VCPU: VP 2's active VTL is 1",
	[H_VP3_MP_STATE] = "VP 3 is still KVM_MP_STATE_UNINITIALIZED",
	[H_VP3_NEVER_RAN] = "VP 3 never ran",
};

/* Each VP's struct vtl_vp: guest addresses, and the host's mappings. */
static struct vtl_vp *vps[NR_VCPUS];
static struct vtl_vp *host_vps[NR_VCPUS];

#define HV_VSM_VP_STATUS(active, enabled)	((active) | (u64)(enabled) << 16)
#define HV_VSM_CONFIG_DENY_LOWER_VTL_STARTUP	BIT_ULL(6)

static u64 hv_start_vp(struct vtl_hc *hc, u64 partition_id, u32 vp_index, u8 vtl,
		       const struct hv_initial_vp_context *ctx, u64 control_extra)
{
	vtl_vp_context_input(hc, partition_id, vp_index, vtl, ctx);
	return vtl_hypercall(HVCALL_START_VIRTUAL_PROCESSOR | control_extra,
			     hc->in.gpa, hc->out.gpa);
}

static u64 my_vp_status(struct vtl_vp *vp, int vtl)
{
	return vtl_get_reg(&vp->hc[vtl], HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_STATUS);
}

/* VP 1 in VTL0, where StartVirtualProcessor put it. */
static void ap_vtl0_code(void)
{
	struct vtl_vp *vp = vps[rdmsr(HV_X64_MSR_VP_INDEX)];

	vp->test[T_VP_INDEX] = rdmsr(HV_X64_MSR_VP_INDEX);
	vp->test[T_CR3] = get_cr3();
	vp->test[T_RSP] = vtl_get_rsp() & ~15ull;
	vtl0_enable_hypercalls(vp);
	vp->test[T_VP_STATUS] = my_vp_status(vp, 0);
	vtl_call();			/* VTL1's first entry sets it up */
	vtl_call();
	vp->test[T_BACK_IN_VTL0] = get_cr3();
	WRITE_ONCE(vp->test[T_RAN], 1);
	GUEST_DONE();
}

/* VP 1's VTL1, entered by VtlCall with the EnableVpVtl context. */
static u64 ap_vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	u32 reason = vtl1_enter(vp);

	/* The first entry only sets VTL1 up: VtlCall once more. */
	if (vp->vtl1_entries == 1)
		return VTL_RETURN_FAST;
	vp->test[T_VTL1_CR3] = get_cr3();
	vp->test[T_VTL1_REASON] = reason;
	return VTL_RETURN_FAST;
}

/* VP 2, started by VTL1 directly in VTL1. */
static void ap_vtl1_code(void)
{
	struct vtl_vp *vp = vps[rdmsr(HV_X64_MSR_VP_INDEX)];

	vp->test[T_VP_INDEX] = rdmsr(HV_X64_MSR_VP_INDEX);
	vp->test[T_CR3] = get_cr3();
	vp->test[T_VP_STATUS] = my_vp_status(vp, 1);
	WRITE_ONCE(vp->test[T_RAN], 1);
	GUEST_DONE();
}

/* A context for VP @vp starting at @rip, in VTL0 or in VTL1. */
static void start_context(struct vtl_vp *vp, int vtl, void *rip,
			  struct hv_initial_vp_context *ctx)
{
	vtl_init_vp_context(vp, ctx);
	ctx->rip = (u64)rip;
	/*
	 * As after a call, RSP + 8 is 16-byte aligned at a function's entry.
	 * The top 16 bytes of VTL1's stack are vtl1_entry's.
	 */
	if (vtl) {
		ctx->rsp = vp->vtl1_stack_top - 24;
	} else {
		ctx->rsp = vp->test[T_STACK_TOP] - 8;
		ctx->cr3 = get_cr3();
	}
}

static void wait_ran(struct vtl_vp *vp)
{
	while (!READ_ONCE(vp->test[T_RAN]))
		cpu_relax();
}

/* vCPU 0's VTL1: the second entry starts VP 2. */
static u64 bsp_vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	struct hv_initial_vp_context ctx;
	struct vtl_vp *vp2 = vps[2];
	u64 config;

	vtl1_enter(vp);
	if (vp->vtl1_entries == 1)
		return VTL_RETURN_FAST;

	start_context(vp2, 1, ap_vtl1_code, &ctx);
	VTL_CHECK(C_VTL1_NOT_ENABLED,
		  HV_STATUS(hv_start_vp(&vp->hc[1], HV_PARTITION_ID_SELF, 2, 1, &ctx, 0)),
		  HV_STATUS_INVALID_VP_STATE);

	/* VP 2's VTL1 enabled from VTL1 gets VP 2's own stack and CR3. */
	vtl_init_vp_context(vp2, &ctx);
	VTL_REQUIRE(C_ENABLE_VP2,
		    HV_STATUS(hv_enable_vp_vtl(&vp->hc[1], HV_PARTITION_ID_SELF, 2, 1, &ctx)),
		    HV_STATUS_SUCCESS);
	start_context(vp2, 1, ap_vtl1_code, &ctx);
	VTL_REQUIRE(C_START_VP2_VTL1,
		    HV_STATUS(hv_start_vp(&vp->hc[1], HV_PARTITION_ID_SELF, 2, 1, &ctx, 0)),
		    HV_STATUS_SUCCESS);

	config = vtl_get_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG);
	vtl_set_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG,
		    config | HV_VSM_CONFIG_DENY_LOWER_VTL_STARTUP);
	VTL_CHECK(C_DENY, vtl_get_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT,
				      HV_REG_VSM_PARTITION_CONFIG),
		  config | HV_VSM_CONFIG_DENY_LOWER_VTL_STARTUP);
	return VTL_RETURN_FAST;
}

static void guest_code(struct vtl_vp *vp)
{
	struct vtl_vp *vp1 = vps[1], *vp2 = vps[2], *vp3 = vps[3];
	struct hv_initial_vp_context ctx;
	struct vtl_hc *hc = &vp->hc[0];
	u64 rax;

	VTL_CHECK(C_CPUID, this_cpu_has(HV_START_VIRTUAL_PROCESSOR), 1);

	vtl0_enable_hypercalls(vp);
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1's first entry sets it up */

	/* VP 1 gets VTL1 with its own context, then is started in VTL0. */
	vtl_init_vp_context(vp1, &ctx);
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, 1, 1, &ctx);
	GUEST_ASSERT_EQ(HV_STATUS(rax), HV_STATUS_SUCCESS);

	start_context(vp1, 0, ap_vtl0_code, &ctx);
	VTL_CHECK(C_BAD_PARTITION, HV_STATUS(hv_start_vp(hc, 0, 1, 0, &ctx, 0)),
		  HV_STATUS_INVALID_PARTITION_ID);
	VTL_CHECK(C_BAD_VP, HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 99, 0, &ctx, 0)),
		  HV_STATUS_INVALID_VP_INDEX);
	VTL_CHECK(C_SELF, HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 0, 0, &ctx, 0)),
		  HV_STATUS_INVALID_VP_INDEX);
	VTL_CHECK(C_SELF_INDEX,
		  HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, 0, &ctx, 0)),
		  HV_STATUS_INVALID_VP_INDEX);
	VTL_CHECK(C_VTL1_FROM_VTL0,
		  HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 1, 1, &ctx, 0)),
		  HV_STATUS_ACCESS_DENIED);
	VTL_CHECK(C_VTL2, HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 1, 2, &ctx, 0)),
		  HV_STATUS_INVALID_PARAMETER);
	ctx.cr0 &= ~X86_CR0_PE;
	VTL_CHECK(C_REAL_MODE, HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 1, 0, &ctx, 0)),
		  HV_STATUS_INVALID_REGISTER_VALUE);
	ctx.cr0 |= X86_CR0_PE;
	VTL_CHECK(C_REP, HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 1, 0, &ctx,
					       HV_HYPERCALL_REP_COUNT(1))),
		  HV_STATUS_INVALID_HYPERCALL_INPUT);
	VTL_CHECK(C_FAST, HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 1, 0, &ctx,
						HV_HYPERCALL_FAST_BIT)),
		  HV_STATUS_INVALID_HYPERCALL_INPUT);
	((struct hv_enable_vp_vtl *)hc->in.gva)->reserved[1] = 1;
	rax = vtl_hypercall(HVCALL_START_VIRTUAL_PROCESSOR, hc->in.gpa, hc->out.gpa);
	VTL_CHECK(C_RESERVED, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);

	VTL_REQUIRE(C_START_VP1, HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 1, 0, &ctx, 0)),
		    HV_STATUS_SUCCESS);
	VTL_CHECK(C_START_VP1_AGAIN,
		  HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 1, 0, &ctx, 0)),
		  HV_STATUS_INVALID_VP_STATE);
	wait_ran(vp1);
	VTL_CHECK(C_VP1_RAN, vp1->test[T_RAN], 1);
	VTL_CHECK(C_VP1_INDEX, vp1->test[T_VP_INDEX], 1);
	VTL_CHECK(C_VP1_CR3, vp1->test[T_CR3], get_cr3());
	VTL_CHECK(C_VP1_RSP, vp1->test[T_RSP] >> 12 << 12,
		  (vp1->test[T_STACK_TOP] - 1) >> 12 << 12);
	VTL_CHECK(C_VP1_STATUS, vp1->test[T_VP_STATUS], HV_VSM_VP_STATUS(0, 3));
	VTL_CHECK(C_VP1_VTL1_CR3, vp1->test[T_VTL1_CR3], vp1->vtl1_cr3);
	VTL_CHECK(C_VP1_VTL1_REASON, vp1->test[T_VTL1_REASON], HV_VTL_ENTRY_VTL_CALL);
	VTL_CHECK(C_VP1_BACK, vp1->test[T_BACK_IN_VTL0], get_cr3());

	/* VTL1 starts VP 2 in VTL1 and denies lower-VTL startup. */
	vtl_call();

	start_context(vp3, 0, ap_vtl0_code, &ctx);
	VTL_CHECK(C_DENIED, HV_STATUS(hv_start_vp(hc, HV_PARTITION_ID_SELF, 3, 0, &ctx, 0)),
		  HV_STATUS_ACCESS_DENIED);

	wait_ran(vp2);
	VTL_CHECK(C_VP2_RAN, vp2->test[T_RAN], 1);
	VTL_CHECK(C_VP2_CR3, vp2->test[T_CR3], vp2->vtl1_cr3);
	VTL_CHECK(C_VP2_STATUS, vp2->test[T_VP_STATUS], HV_VSM_VP_STATUS(1, 3));
	GUEST_DONE();
}

struct ap_run {
	struct kvm_vcpu *vcpu;
	bool uninitialized;
};

/*
 * An AP waiting for SIPI.  From UNINITIALIZED, KVM_RUN returns EAGAIN once
 * the VP is started, as after INIT; from INIT_RECEIVED it runs on.
 */
static void *ap_thread(void *arg)
{
	struct ap_run *ap = arg;
	struct kvm_mp_state mp;
	struct ucall uc;
	int r;

	if (ap->uninitialized) {
		do {
			r = __vcpu_run(ap->vcpu);
		} while (r == -1 && errno == EINTR);
		TEST_ASSERT(r == -1 && errno == EAGAIN,
			    "vCPU %u: KVM_RUN from UNINITIALIZED: %d, errno %d",
			    ap->vcpu->id, r, errno);
		vcpu_mp_state_get(ap->vcpu, &mp);
		TEST_ASSERT_EQ(mp.mp_state, KVM_MP_STATE_RUNNABLE);
	}
	TEST_ASSERT_EQ(vtl_run(ap->vcpu, &uc, NULL), UCALL_DONE);
	return NULL;
}

static void set_mp_state(struct kvm_vcpu *vcpu, u32 state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	vcpu_mp_state_set(vcpu, &mp);
}

int main(void)
{
	struct ap_run aps[] = {
		{ .uninitialized = true },
		{ .uninitialized = false },
	};
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t threads[ARRAY_SIZE(aps)];
	struct vtl_checks checks;
	struct kvm_vtl_vcpu v;
	struct kvm_mp_state mp;
	struct kvm_vm *vm;
	struct ucall uc;
	int i;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	ksft_print_header();
	ksft_set_plan(NR_CHECKS);
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	vm = vtl_vm_create(NR_VCPUS, guest_code, vcpus);
	for (i = 0; i < NR_VCPUS; i++) {
		vm_vaddr_t stack = vm_vaddr_alloc_pages(vm, AP_STACK_PAGES);

		struct kvm_regs regs;

		host_vps[i] = vtl_vp_setup(vcpus[i], i ? ap_vtl1_handler : bsp_vtl1_handler);
		host_vps[i]->test[T_STACK_TOP] = stack + AP_STACK_PAGES * PAGE_SIZE;
		/* vtl_vp_setup() passed the guest address as the argument. */
		vcpu_regs_get(vcpus[i], &regs);
		vps[i] = (struct vtl_vp *)regs.rdi;
	}
	for (i = 0; i < NR_VCPUS; i++)
		vtl_vp_copy_cr3(vm, host_vps[i]);
	sync_global_to_guest(vm, vps);

	set_mp_state(vcpus[1], KVM_MP_STATE_UNINITIALIZED);
	set_mp_state(vcpus[2], KVM_MP_STATE_INIT_RECEIVED);
	set_mp_state(vcpus[3], KVM_MP_STATE_UNINITIALIZED);

	for (i = 0; i < ARRAY_SIZE(aps); i++) {
		aps[i].vcpu = vcpus[i + 1];
		pthread_create(&threads[i], NULL, ap_thread, &aps[i]);
	}
	TEST_ASSERT_EQ(vtl_run(vcpus[0], &uc, &checks), UCALL_DONE);
	for (i = 0; i < ARRAY_SIZE(aps); i++)
		pthread_join(threads[i], NULL);

	TEST_ASSERT(!__vcpu_ioctl(vcpus[2], KVM_GET_VTL_VCPU, &v), "KVM_GET_VTL_VCPU");
	vtl_check(&checks, H_VP2_ACTIVE_VTL, v.active_vtl, 1);
	vcpu_mp_state_get(vcpus[3], &mp);
	vtl_check(&checks, H_VP3_MP_STATE, mp.mp_state, KVM_MP_STATE_UNINITIALIZED);
	vtl_check(&checks, H_VP3_NEVER_RAN, host_vps[3]->test[T_RAN], 0);

	vtl_checks_finish(&checks);
	kvm_vm_free(vm);
	ksft_finished();
}
