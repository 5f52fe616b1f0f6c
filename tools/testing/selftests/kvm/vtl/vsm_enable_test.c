// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enabling Hyper-V VSM: the capability, the CPUID bits, the initial VSM
 * registers, and HvCallEnablePartitionVtl/HvCallEnableVpVtl with every
 * error they must report, then success and the registers after it.
 */
#include "vtl_lib.h"

/*
 * HvRegisterVsmCapabilities is BIT(0), Dr6Shared, as DR6 is not banked
 * (Documentation/virt/kvm/vsm.rst).
 */
#define VSM_EBX_MASK	(BIT(16) | BIT(17) | BIT(21))
#define VSM_EBX_BITS	(BIT(16) | BIT(17) | BIT(21))
#define VSM_CAPABILITIES	BIT(0)
#define VSM_EAX_BITS	(BIT(2) | BIT(4) | BIT(5) | BIT(6))
#define VSM_EDX_BITS	(BIT(4) | BIT(15))

/* "mov rax, rcx; mov ecx, 0x11" / "... 0x12" as little-endian qwords. */
#define STUB_VTL_CALL_HEAD	0x00000011b9c88948ull
#define STUB_VTL_RETURN_HEAD	0x00000012b9c88948ull
/* "vmcall; ret" / "vmmcall; ret" */
#define STUB_TAIL_VMCALL	0xc3c1010fu
#define STUB_TAIL_VMMCALL	0xc3d9010fu

enum {
	H_CAP,
	H_SYS_CPUID_EBX,
	H_SYS_CPUID_EDX,
	H_VCPU_CPUID_EBX,
	H_VCPU_CPUID_NO_VSM,
	G_CPUID_EAX,
	G_CPUID_EBX,
	G_CPUID_EDX,
	G_PARTITION_STATUS_INIT,
	G_VP_STATUS_INIT,
	G_CAPABILITIES,
	G_CODE_PAGE_OFFSETS_RSVD,
	G_CALL_STUB_HEAD,
	G_CALL_STUB_TAIL,
	G_RETURN_STUB_HEAD,
	G_RETURN_STUB_TAIL,
	G_VTL_CALL_UD_BEFORE,
	G_EPV_BAD_PARTITION,
	G_EPV_BAD_PARTITION_FAST,
	G_EPV_VTL0,
	G_EPV_VTL2,
	G_EPV_VTL2_FAST,
	G_EPV_FLAGS,
	G_EPV_RESERVED,
	G_EPV_RESERVED_FAST,
	G_EPV_REP,
	G_EVV_BEFORE_PARTITION,
	G_EPV_SUCCESS,
	G_PARTITION_STATUS_PART,
	G_VP_STATUS_PART,
	G_EPV_TWICE,
	G_EPV_TWICE_FAST,
	G_EVV_BAD_PARTITION,
	G_EVV_BAD_VP_ANY,
	G_EVV_BAD_VP_1,
	G_EVV_VTL0,
	G_EVV_VTL2,
	G_EVV_FAST,
	G_EVV_REP,
	G_EVV_RESERVED,
	G_EVV_CR0_PE,
	G_EVV_EFER_LMA,
	G_EVV_SUCCESS,
	G_PARTITION_STATUS_AFTER,
	G_VP_STATUS_AFTER,
	G_CAPABILITIES_AFTER,
	G_EVV_TWICE,
	G_EVV_TWICE_BY_INDEX,
	G_VTL1_RAN,
	G_VTL1_VP_STATUS,
	H_PARTITION_IOCTL,
	H_VCPU_IOCTL,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[H_CAP] = "KVM_CHECK_EXTENSION(KVM_CAP_HYPERV_VSM) is 2",
	[H_SYS_CPUID_EBX] = "system HV CPUID 0x40000003.EBX: bits 16, 17, 21 set",
	[H_SYS_CPUID_EDX] = "system HV CPUID 0x40000003.EDX has XMM fast input and output",
	[H_VCPU_CPUID_EBX] = "vCPU HV CPUID on a VSM VM: EBX bits 16, 17, 21 set",
	[H_VCPU_CPUID_NO_VSM] = "vCPU HV CPUID without VSM: no EBX bits 16, 17, 21, EDX 15",
	[G_CPUID_EAX] = "guest CPUID 0x40000003.EAX: SynIC, VP assist, hypercall, VP index",
	[G_CPUID_EBX] = "guest CPUID 0x40000003.EBX: AccessVsm, AccessVpRegisters, StartVP",
	[G_CPUID_EDX] = "guest CPUID 0x40000003.EDX: XMM fast input and output",
	[G_PARTITION_STATUS_INIT] = "initial VsmPartitionStatus: VTL0 enabled, MaximumVtl 1",
	[G_VP_STATUS_INIT] = "initial VsmVpStatus: active VTL0, VTL0 enabled",
	[G_CAPABILITIES] = "VsmCapabilities is Dr6Shared only",
	[G_CODE_PAGE_OFFSETS_RSVD] = "VsmCodePageOffsets bits 63:24 are zero",
	[G_CALL_STUB_HEAD] = "VTL call stub: mov rax,rcx; mov ecx,0x11",
	[G_CALL_STUB_TAIL] = "VTL call stub: vmcall/vmmcall; ret",
	[G_RETURN_STUB_HEAD] = "VTL return stub: mov rax,rcx; mov ecx,0x12",
	[G_RETURN_STUB_TAIL] = "VTL return stub: vmcall/vmmcall; ret",
	[G_VTL_CALL_UD_BEFORE] = "VtlCall before VTL1 is enabled raises #UD",
	[G_EPV_BAD_PARTITION] = "EnablePartitionVtl, partition id 0: INVALID_PARTITION_ID",
	[G_EPV_BAD_PARTITION_FAST] = "EnablePartitionVtl fast, partition 1: INVALID_PARTITION_ID",
	[G_EPV_VTL0] = "EnablePartitionVtl(VTL0): INVALID_PARAMETER",
	[G_EPV_VTL2] = "EnablePartitionVtl(VTL2 > MaximumVtl): INVALID_PARAMETER",
	[G_EPV_VTL2_FAST] = "EnablePartitionVtl fast (VTL15): INVALID_PARAMETER",
	[G_EPV_FLAGS] = "EnablePartitionVtl with EnableMbec: INVALID_PARAMETER",
	[G_EPV_RESERVED] = "EnablePartitionVtl, reserved byte set: INVALID_PARAMETER",
	[G_EPV_RESERVED_FAST] = "EnablePartitionVtl fast with reserved R8 bits: INVALID_PARAMETER",
	[G_EPV_REP] = "EnablePartitionVtl with a rep count: INVALID_HYPERCALL_INPUT",
	[G_EVV_BEFORE_PARTITION] = "EnableVpVtl before EnablePartitionVtl: INVALID_VTL_STATE",
	[G_EPV_SUCCESS] = "EnablePartitionVtl(SELF, VTL1) succeeds",
	[G_PARTITION_STATUS_PART] = "VsmPartitionStatus after EnablePartitionVtl: VTL0+VTL1",
	[G_VP_STATUS_PART] = "VsmVpStatus after EnablePartitionVtl: still VTL0 only",
	[G_EPV_TWICE] = "EnablePartitionVtl a second time: INVALID_VTL_STATE",
	[G_EPV_TWICE_FAST] = "EnablePartitionVtl fast, a second time: INVALID_VTL_STATE",
	[G_EVV_BAD_PARTITION] = "EnableVpVtl, partition id 0: INVALID_PARTITION_ID",
	[G_EVV_BAD_VP_ANY] = "EnableVpVtl, VP index 0xFFFFFFFF: INVALID_VP_INDEX",
	[G_EVV_BAD_VP_1] = "EnableVpVtl, VP index 1 (no such VP): INVALID_VP_INDEX",
	[G_EVV_VTL0] = "EnableVpVtl(VTL0): INVALID_PARAMETER",
	[G_EVV_VTL2] = "EnableVpVtl(VTL2): INVALID_PARAMETER",
	[G_EVV_FAST] = "EnableVpVtl fast form: INVALID_HYPERCALL_INPUT",
	[G_EVV_REP] = "EnableVpVtl with a rep count: INVALID_HYPERCALL_INPUT",
	[G_EVV_RESERVED] = "EnableVpVtl, reserved byte set: INVALID_PARAMETER",
	[G_EVV_CR0_PE] = "EnableVpVtl with CR0.PE = 0: INVALID_REGISTER_VALUE",
	[G_EVV_EFER_LMA] = "EnableVpVtl, long mode with CR4.PAE = 0: INVALID_REGISTER_VALUE",
	[G_EVV_SUCCESS] = "EnableVpVtl(SELF, VTL1) succeeds",
	[G_PARTITION_STATUS_AFTER] = "VsmPartitionStatus after EnableVpVtl: VTL0+VTL1, max VTL 1",
	[G_VP_STATUS_AFTER] = "VsmVpStatus after EnableVpVtl: active VTL0, VTL0+VTL1 enabled",
	[G_CAPABILITIES_AFTER] = "VsmCapabilities unchanged after enabling",
	[G_EVV_TWICE] = "EnableVpVtl(SELF) a second time: VTL_ALREADY_ENABLED",
	[G_EVV_TWICE_BY_INDEX] = "EnableVpVtl(own index) a second time: VTL_ALREADY_ENABLED",
	[G_VTL1_RAN] = "a VtlCall then runs VTL1",
	[G_VTL1_VP_STATUS] = "VsmVpStatus read in VTL1: active VTL1, VTL0+VTL1 enabled",
	[H_PARTITION_IOCTL] = "KVM_GET_VTL_PARTITION: enabled_vtls 0x3",
	[H_VCPU_IOCTL] = "KVM_GET_VTL_VCPU: VTL0 active, enabled_vtls 0x3",
};

static u64 vtl1_vp_status;

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	vtl1_enter(vp);
	vtl1_vp_status = vtl_get_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_STATUS);
	return VTL_RETURN_FAST;
}

static u64 read_u64(u64 addr)
{
	return *(u64 *)addr;
}

static u32 read_u32(u64 addr)
{
	return *(u32 *)addr;
}

static void check_stubs(struct vtl_vp *vp)
{
	u64 offsets = vtl_get_reg(&vp->hc[0], HV_INPUT_VTL_CURRENT,
				  HV_REG_VSM_CODE_PAGE_OFFSETS);
	u64 call = vp->hcall_page[0].gva + (offsets & 0xfff);
	u64 ret = vp->hcall_page[0].gva + ((offsets >> 12) & 0xfff);
	u32 tail = host_cpu_is_amd ? STUB_TAIL_VMMCALL : STUB_TAIL_VMCALL;

	GUEST_PRINTF("VsmCodePageOffsets = %#lx\n", offsets);
	VTL_CHECK(G_CODE_PAGE_OFFSETS_RSVD, offsets >> 24, 0);
	VTL_CHECK(G_CALL_STUB_HEAD, read_u64(call), STUB_VTL_CALL_HEAD);
	VTL_CHECK(G_CALL_STUB_TAIL, read_u32(call + 8), tail);
	VTL_CHECK(G_RETURN_STUB_HEAD, read_u64(ret), STUB_VTL_RETURN_HEAD);
	VTL_CHECK(G_RETURN_STUB_TAIL, read_u32(ret + 8), tail);
}

static void enable_partition_negative(struct vtl_vp *vp)
{
	struct hv_enable_partition_vtl *in = (void *)vp->hc[0].in.gva;
	struct vtl_hc *hc = &vp->hc[0];
	u64 rax;

	rax = hv_enable_partition_vtl(hc, 0, 1, 0);
	VTL_CHECK(G_EPV_BAD_PARTITION, HV_STATUS(rax), HV_STATUS_INVALID_PARTITION_ID);
	rax = hv_enable_partition_vtl_fast(1, 1, 0);
	VTL_CHECK(G_EPV_BAD_PARTITION_FAST, HV_STATUS(rax), HV_STATUS_INVALID_PARTITION_ID);
	rax = hv_enable_partition_vtl(hc, HV_PARTITION_ID_SELF, 0, 0);
	VTL_CHECK(G_EPV_VTL0, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);
	rax = hv_enable_partition_vtl(hc, HV_PARTITION_ID_SELF, 2, 0);
	VTL_CHECK(G_EPV_VTL2, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);
	rax = hv_enable_partition_vtl_fast(HV_PARTITION_ID_SELF, 15, 0);
	VTL_CHECK(G_EPV_VTL2_FAST, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);
	rax = hv_enable_partition_vtl(hc, HV_PARTITION_ID_SELF, 1, BIT(0));
	VTL_CHECK(G_EPV_FLAGS, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);

	memset(in, 0, sizeof(*in));
	in->partition_id = HV_PARTITION_ID_SELF;
	in->target_vtl = 1;
	in->reserved[5] = 1;
	rax = vtl_hypercall(HVCALL_ENABLE_PARTITION_VTL, hc->in.gpa, 0);
	VTL_CHECK(G_EPV_RESERVED, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);
	rax = vtl_hypercall(HVCALL_ENABLE_PARTITION_VTL | HV_HYPERCALL_FAST_BIT,
			    HV_PARTITION_ID_SELF, 1 | BIT_ULL(40));
	VTL_CHECK(G_EPV_RESERVED_FAST, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);

	in->reserved[5] = 0;
	rax = vtl_hypercall(HVCALL_ENABLE_PARTITION_VTL | HV_HYPERCALL_REP_COUNT(1),
			    hc->in.gpa, 0);
	VTL_CHECK(G_EPV_REP, HV_STATUS(rax), HV_STATUS_INVALID_HYPERCALL_INPUT);
}

static void enable_vp_negative(struct vtl_vp *vp, const struct hv_initial_vp_context *good)
{
	struct hv_enable_vp_vtl *in = (void *)vp->hc[0].in.gva;
	struct hv_initial_vp_context ctx;
	struct vtl_hc *hc = &vp->hc[0];
	u64 rax;

	rax = hv_enable_vp_vtl(hc, 0, HV_VP_INDEX_SELF, 1, good);
	VTL_CHECK(G_EVV_BAD_PARTITION, HV_STATUS(rax), HV_STATUS_INVALID_PARTITION_ID);
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, HV_ANY_VP, 1, good);
	VTL_CHECK(G_EVV_BAD_VP_ANY, HV_STATUS(rax), HV_STATUS_INVALID_VP_INDEX);
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, 1, 1, good);
	VTL_CHECK(G_EVV_BAD_VP_1, HV_STATUS(rax), HV_STATUS_INVALID_VP_INDEX);
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, 0, good);
	VTL_CHECK(G_EVV_VTL0, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, 2, good);
	VTL_CHECK(G_EVV_VTL2, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);

	/* Fast form: RDX:R8 would be partition id and VP index/VTL. */
	rax = vtl_hypercall(HVCALL_ENABLE_VP_VTL | HV_HYPERCALL_FAST_BIT,
			    HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF | 1ull << 32);
	VTL_CHECK(G_EVV_FAST, HV_STATUS(rax), HV_STATUS_INVALID_HYPERCALL_INPUT);

	/* A valid input, but with a rep count, then with a reserved byte set. */
	memset(in, 0, sizeof(*in));
	in->partition_id = HV_PARTITION_ID_SELF;
	in->vp_index = HV_VP_INDEX_SELF;
	in->target_vtl = 1;
	in->ctx = *good;
	rax = vtl_hypercall(HVCALL_ENABLE_VP_VTL | HV_HYPERCALL_REP_COUNT(1), hc->in.gpa, 0);
	VTL_CHECK(G_EVV_REP, HV_STATUS(rax), HV_STATUS_INVALID_HYPERCALL_INPUT);
	in->reserved[1] = 1;
	rax = vtl_hypercall(HVCALL_ENABLE_VP_VTL, hc->in.gpa, 0);
	VTL_CHECK(G_EVV_RESERVED, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);

	ctx = *good;
	ctx.cr0 &= ~(X86_CR0_PE | X86_CR0_PG);
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, 1, &ctx);
	VTL_CHECK(G_EVV_CR0_PE, HV_STATUS(rax), HV_STATUS_INVALID_REGISTER_VALUE);

	ctx = *good;
	ctx.cr4 &= ~X86_CR4_PAE;
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, 1, &ctx);
	VTL_CHECK(G_EVV_EFER_LMA, HV_STATUS(rax), HV_STATUS_INVALID_REGISTER_VALUE);
}

static void guest_code(struct vtl_vp *vp)
{
	struct hv_initial_vp_context ctx;
	struct vtl_hc *hc = &vp->hc[0];
	u32 eax, ebx, ecx, edx;
	u64 caps, rax;

	cpuid(HYPERV_CPUID_FEATURES, &eax, &ebx, &ecx, &edx);
	VTL_CHECK(G_CPUID_EAX, eax & VSM_EAX_BITS, VSM_EAX_BITS);
	VTL_CHECK(G_CPUID_EBX, ebx & VSM_EBX_MASK, VSM_EBX_BITS);
	VTL_CHECK(G_CPUID_EDX, edx & VSM_EDX_BITS, VSM_EDX_BITS);

	vtl0_enable_hypercalls(vp);

	VTL_CHECK(G_PARTITION_STATUS_INIT,
		  vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_STATUS),
		  0x10001);
	VTL_CHECK(G_VP_STATUS_INIT, vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_STATUS),
		  0x10000);
	caps = vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_CAPABILITIES);
	VTL_CHECK(G_CAPABILITIES, caps, VSM_CAPABILITIES);
	check_stubs(vp);

	VTL_CHECK(G_VTL_CALL_UD_BEFORE, vtl_hypercall_vector(HVCALL_VTL_CALL, 0), UD_VECTOR);

	enable_partition_negative(vp);

	vtl_init_vp_context(vp, &ctx);
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, 1, &ctx);
	VTL_CHECK(G_EVV_BEFORE_PARTITION, HV_STATUS(rax), HV_STATUS_INVALID_VTL_STATE);

	rax = hv_enable_partition_vtl(hc, HV_PARTITION_ID_SELF, 1, 0);
	VTL_REQUIRE(G_EPV_SUCCESS, HV_STATUS(rax), HV_STATUS_SUCCESS);
	VTL_CHECK(G_PARTITION_STATUS_PART,
		  vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_STATUS),
		  0x10003);
	VTL_CHECK(G_VP_STATUS_PART, vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_STATUS),
		  0x10000);
	rax = hv_enable_partition_vtl(hc, HV_PARTITION_ID_SELF, 1, 0);
	VTL_CHECK(G_EPV_TWICE, HV_STATUS(rax), HV_STATUS_INVALID_VTL_STATE);
	rax = hv_enable_partition_vtl_fast(HV_PARTITION_ID_SELF, 1, 0);
	VTL_CHECK(G_EPV_TWICE_FAST, HV_STATUS(rax), HV_STATUS_INVALID_VTL_STATE);

	enable_vp_negative(vp, &ctx);

	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, 1, &ctx);
	VTL_REQUIRE(G_EVV_SUCCESS, HV_STATUS(rax), HV_STATUS_SUCCESS);
	VTL_CHECK(G_PARTITION_STATUS_AFTER,
		  vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_STATUS),
		  0x10003);
	VTL_CHECK(G_VP_STATUS_AFTER, vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_STATUS),
		  0x30000);
	VTL_CHECK(G_CAPABILITIES_AFTER,
		  vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_CAPABILITIES), caps);

	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, 1, &ctx);
	VTL_CHECK(G_EVV_TWICE, HV_STATUS(rax), HV_STATUS_VTL_ALREADY_ENABLED);
	rax = hv_enable_vp_vtl(hc, HV_PARTITION_ID_SELF, vp->vp_index, 1, &ctx);
	VTL_CHECK(G_EVV_TWICE_BY_INDEX, HV_STATUS(rax), HV_STATUS_VTL_ALREADY_ENABLED);

	vtl_call();
	VTL_CHECK(G_VTL1_RAN, vp->vtl1_entries, 1);
	VTL_CHECK(G_VTL1_VP_STATUS, vtl1_vp_status, 0x30001);

	GUEST_DONE();
}

static u32 hv_features_ebx(const struct kvm_cpuid2 *cpuid)
{
	return get_cpuid_entry(cpuid, HYPERV_CPUID_FEATURES, 0)->ebx;
}

static u32 hv_features_edx(const struct kvm_cpuid2 *cpuid)
{
	return get_cpuid_entry(cpuid, HYPERV_CPUID_FEATURES, 0)->edx;
}

int main(void)
{
	const struct kvm_cpuid2 *sys, *vcpu_hv;
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu, *plain_vcpu;
	struct kvm_vm *vm, *plain_vm;
	struct kvm_vtl_partition part;
	struct kvm_vtl_vcpu vv;
	struct ucall uc;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_SYS_HYPERV_CPUID));

	ksft_print_header();
	ksft_set_plan(NR_CHECKS);
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	vtl_check(&checks, H_CAP, kvm_check_cap(KVM_CAP_HYPERV_VSM), KVM_VTL_MAX_NR);
	sys = kvm_get_supported_hv_cpuid();
	vtl_check(&checks, H_SYS_CPUID_EBX, hv_features_ebx(sys) & VSM_EBX_MASK, VSM_EBX_BITS);
	vtl_check(&checks, H_SYS_CPUID_EDX, hv_features_edx(sys) & VSM_EDX_BITS, VSM_EDX_BITS);

	plain_vm = vm_create_barebones();
	plain_vcpu = __vm_vcpu_add(plain_vm, 0);
	vcpu_hv = vcpu_get_supported_hv_cpuid(plain_vcpu);
	vtl_check(&checks, H_VCPU_CPUID_NO_VSM, (hv_features_ebx(vcpu_hv) & VSM_EBX_MASK) |
		  (hv_features_edx(vcpu_hv) & BIT(15)), 0);
	free((void *)vcpu_hv);
	kvm_vm_free(plain_vm);

	vm = vtl_vm_create(1, guest_code, &vcpu);
	vcpu_hv = vcpu_get_supported_hv_cpuid(vcpu);
	vtl_check(&checks, H_VCPU_CPUID_EBX, hv_features_ebx(vcpu_hv) & VSM_EBX_MASK,
		  VSM_EBX_BITS);
	free((void *)vcpu_hv);
	vtl_vp_setup(vcpu, vtl1_handler);

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, &checks), UCALL_DONE);

	vm_ioctl(vm, KVM_GET_VTL_PARTITION, &part);
	vtl_check(&checks, H_PARTITION_IOCTL, part.enabled_vtls, 0x3);
	vcpu_ioctl(vcpu, KVM_GET_VTL_VCPU, &vv);
	vtl_check(&checks, H_VCPU_IOCTL, vv.active_vtl | (u32)vv.enabled_vtls << 16, 0x30000);

	vtl_checks_finish(&checks);
	kvm_vm_free(vm);
	ksft_finished();
}
