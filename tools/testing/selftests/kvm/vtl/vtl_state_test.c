// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VSM userspace API: KVM_CAP_HYPERV_VSM arguments and ordering,
 * KVM_GET/SET_VTL_STATE, KVM_GET/SET_VTL_VCPU and KVM_GET/SET_VTL_PARTITION
 * on a stopped vCPU: what they report before and after the guest enabled
 * VTL1, round trips, values written by the host that the guest then sees,
 * switching the active VTL, enabling VTL1 from the host, and every bad
 * input, each of which must fail with EINVAL and change nothing.
 */
#include "vtl_lib.h"

#define VTL0_LSTAR		0xffffffff81000c00ull
#define VTL1_LSTAR		0xffffffff82000c00ull
#define VTL1_FS_BASE		0x7f0000003000ull
#define NEW_VTL1_LSTAR		0xffffffff82000d00ull
#define NEW_VTL0_KERNEL_GS_BASE	0xffff888000003000ull
/* EnableVtlProtection, DefaultVtlProtectionMask = RWX (all access). */
#define VTL1_PARTITION_CONFIG	0x1full

enum {
	A_CAP_0,
	A_CAP_1,
	A_CAP_3,
	A_CAP_ARG1,
	A_CAP_OK,
	A_CAP_TWICE,
	A_CAP_AFTER_VCPU,
	A_NO_VSM_PARTITION,
	A_NO_VSM_VCPU,
	A_NO_VSM_STATE,
	B_PARTITION_INIT,
	B_VCPU_INIT,
	B_STATE0_GET,
	B_STATE0_LIVE,
	B_STATE1_GET_DISABLED,
	B_STATE1_SET_DISABLED,
	B_VCPU_ACTIVE_DISABLED,
	B_VCPU_NO_PART_VTL1,
	C_VCPU,
	C_PARTITION,
	C_STATE0_LIVE,
	C_STATE0_MSRS,
	C_STATE0_HV,
	C_STATE1_RIP_RSP,
	C_STATE1_CR3,
	C_STATE1_CRS,
	C_STATE1_FS_BASE,
	C_STATE1_MSRS,
	C_STATE1_HV,
	C_ROUNDTRIP0,
	C_ROUNDTRIP1,
	C_GET_VTL2,
	C_GET_FLAGS,
	C_SET_VTL2,
	C_SET_FLAGS,
	C_SET_RESERVED,
	C_SET_SECURE_CONFIG,
	C_SET_BAD_CR0,
	C_SET_BAD_CR8,
	C_SET_SECURE_CONFIG_BITS,
	C_SET_SECURE_CONFIG_ABI,
	C_SET_SYNIC_INACTIVE,
	C_VCPU_FLAGS,
	C_VCPU_PAD0,
	C_VCPU_PAD1,
	C_VCPU_RESERVED,
	C_VCPU_ACTIVE2,
	C_VCPU_ENABLED_VTL2,
	C_VCPU_NO_VTL0,
	C_VCPU_RETURN_VTL1,
	C_VCPU_RETURN_VTL0,
	C_VCPU_RETURN_VTL2,
	C_PART_MBEC,
	C_PART_FLAGS,
	C_PART_RESERVED,
	C_PART_ENABLED_VTL2,
	C_PART_DISABLE_VTL1,
	C_PART_CONFIG0,
	C_PART_CONFIG_BITS,
	C_PART_CONFIG_ABI,
	C_SET_STATE1,
	C_SET_STATE0,
	C_SWITCH_TO_VTL1,
	C_SWITCH_BACK,
	C_SWITCH_SHARED,
	G_KERNEL_GS_BASE,
	G_VTL1_LSTAR,
	G_VTL0_LSTAR,
	D_SET_PARTITION,
	D_SET_VCPU,
	D_STATE1_RESET,
	D_SET_STATE1,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[A_CAP_0] = "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM, 0): EINVAL",
	[A_CAP_1] = "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM, 1): EINVAL",
	[A_CAP_3] = "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM, 3): EINVAL",
	[A_CAP_ARG1] = "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM, 2) with args[1] = 1: EINVAL",
	[A_CAP_OK] = "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM, 2) succeeds",
	[A_CAP_TWICE] = "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM, 2) a second time: EINVAL",
	[A_CAP_AFTER_VCPU] = "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM) after KVM_CREATE_VCPU: EBUSY",
	[A_NO_VSM_PARTITION] = "KVM_GET_VTL_PARTITION without VSM: ENOTTY",
	[A_NO_VSM_VCPU] = "KVM_GET_VTL_VCPU without VSM: ENOTTY",
	[A_NO_VSM_STATE] = "KVM_GET_VTL_STATE without VSM: ENOTTY",
	[B_PARTITION_INIT] = "new VM: KVM_GET_VTL_PARTITION is VTL0 only, rest zero",
	[B_VCPU_INIT] = "new vCPU: KVM_GET_VTL_VCPU is VTL0 active and enabled, rest zero",
	[B_STATE0_GET] = "new vCPU: KVM_GET_VTL_STATE(VTL0) succeeds",
	[B_STATE0_LIVE] = "new vCPU: VTL0's state matches KVM_GET_REGS/SREGS",
	[B_STATE1_GET_DISABLED] = "KVM_GET_VTL_STATE(VTL1) before VTL1 is enabled: EINVAL",
	[B_STATE1_SET_DISABLED] = "KVM_SET_VTL_STATE(VTL1) before VTL1 is enabled: EINVAL",
	[B_VCPU_ACTIVE_DISABLED] = "KVM_SET_VTL_VCPU active_vtl=1, VTL1 not enabled: EINVAL",
	[B_VCPU_NO_PART_VTL1] = "KVM_SET_VTL_VCPU enabled_vtls=3, partition without VTL1: EINVAL",
	[C_VCPU] = "after EnableVpVtl: KVM_GET_VTL_VCPU is VTL0 active, VTL0+1 enabled",
	[C_PARTITION] = "KVM_GET_VTL_PARTITION: VTL0+1 and VTL1's VsmPartitionConfig",
	[C_STATE0_LIVE] = "KVM_GET_VTL_STATE(VTL0) of the active VTL matches REGS/SREGS",
	[C_STATE0_MSRS] = "KVM_GET_VTL_STATE(VTL0) LSTAR matches KVM_GET_MSRS and the guest",
	[C_STATE0_HV] = "KVM_GET_VTL_STATE(VTL0) has VTL0's guest OS id and hypercall page",
	[C_STATE1_RIP_RSP] = "KVM_GET_VTL_STATE(VTL1): RIP after its VtlReturn, RSP of its stack",
	[C_STATE1_CR3] = "KVM_GET_VTL_STATE(VTL1): CR3 of its initial context",
	[C_STATE1_CRS] = "KVM_GET_VTL_STATE(VTL1): CR0/CR4/EFER/GDT/IDT as given, CR8 0, DR7 0x400",
	[C_STATE1_FS_BASE] = "KVM_GET_VTL_STATE(VTL1): FS base of its initial context",
	[C_STATE1_MSRS] = "KVM_GET_VTL_STATE(VTL1): the LSTAR VTL1 wrote",
	[C_STATE1_HV] = "KVM_GET_VTL_STATE(VTL1): VTL1's guest OS id and VP assist page",
	[C_ROUNDTRIP0] = "KVM_GET/SET/GET_VTL_STATE(VTL0) round trip",
	[C_ROUNDTRIP1] = "KVM_GET/SET/GET_VTL_STATE(VTL1) round trip",
	[C_GET_VTL2] = "KVM_GET_VTL_STATE vtl=2: EINVAL",
	[C_GET_FLAGS] = "KVM_GET_VTL_STATE flags=1: EINVAL",
	[C_SET_VTL2] = "KVM_SET_VTL_STATE vtl=2: EINVAL, nothing changed",
	[C_SET_FLAGS] = "KVM_SET_VTL_STATE flags=1: EINVAL, nothing changed",
	[C_SET_RESERVED] = "KVM_SET_VTL_STATE reserved[3]=1: EINVAL, nothing changed",
	[C_SET_SECURE_CONFIG] = "KVM_SET_VTL_STATE(VTL0) secure_config[0]=1: EINVAL, unchanged",
	[C_SET_BAD_CR0] = "KVM_SET_VTL_STATE(VTL1) CR0.PG without PE: EINVAL, nothing changed",
	[C_SET_BAD_CR8] = "KVM_SET_VTL_STATE(VTL1) cr8=16: EINVAL, nothing changed",
	[C_SET_SECURE_CONFIG_BITS] = "KVM_SET_VTL_STATE(VTL1) secure_config[0]=1: EINVAL",
	[C_SET_SECURE_CONFIG_ABI] = "KVM_SET_VTL_STATE(VTL1) secure_config[2]=2: EINVAL, unchanged",
	[C_SET_SYNIC_INACTIVE] = "KVM_SET_VTL_STATE hv_simp without an active SynIC: EINVAL",
	[C_VCPU_FLAGS] = "KVM_SET_VTL_VCPU flags=1: EINVAL, nothing changed",
	[C_VCPU_PAD0] = "KVM_SET_VTL_VCPU pad0=1: EINVAL, nothing changed",
	[C_VCPU_PAD1] = "KVM_SET_VTL_VCPU pad1[0]=1: EINVAL, nothing changed",
	[C_VCPU_RESERVED] = "KVM_SET_VTL_VCPU reserved[0]=1: EINVAL, nothing changed",
	[C_VCPU_ACTIVE2] = "KVM_SET_VTL_VCPU active_vtl=2: EINVAL, nothing changed",
	[C_VCPU_ENABLED_VTL2] = "KVM_SET_VTL_VCPU enabled_vtls=0x7: EINVAL, nothing changed",
	[C_VCPU_NO_VTL0] = "KVM_SET_VTL_VCPU enabled_vtls=0x2: EINVAL, nothing changed",
	[C_VCPU_RETURN_VTL1] = "KVM_SET_VTL_VCPU return_vtl[1]=1: EINVAL, nothing changed",
	[C_VCPU_RETURN_VTL0] = "KVM_SET_VTL_VCPU return_vtl[0]=1: EINVAL, nothing changed",
	[C_VCPU_RETURN_VTL2] = "KVM_SET_VTL_VCPU return_vtl[2]=1: EINVAL, nothing changed",
	[C_PART_MBEC] = "KVM_SET_VTL_PARTITION mbec_vtls=2: EINVAL, nothing changed",
	[C_PART_FLAGS] = "KVM_SET_VTL_PARTITION flags=8 (undefined): EINVAL, nothing changed",
	[C_PART_RESERVED] = "KVM_SET_VTL_PARTITION reserved[0]=1: EINVAL, nothing changed",
	[C_PART_ENABLED_VTL2] = "KVM_SET_VTL_PARTITION enabled_vtls=0x7: EINVAL, nothing changed",
	[C_PART_DISABLE_VTL1] = "KVM_SET_VTL_PARTITION clearing VTL1 used by a vCPU: EINVAL",
	[C_PART_CONFIG0] = "KVM_SET_VTL_PARTITION vsm_partition_config[0]=1: EINVAL",
	[C_PART_CONFIG_BITS] = "KVM_SET_VTL_PARTITION vsm_partition_config[1] bit 7: EINVAL",
	[C_PART_CONFIG_ABI] = "KVM_SET_VTL_PARTITION vsm_partition_config[2]=1: EINVAL",
	[C_SET_STATE1] = "KVM_SET_VTL_STATE(VTL1) with a new LSTAR succeeds",
	[C_SET_STATE0] = "KVM_SET_VTL_STATE(VTL0) KERNEL_GS_BASE shows in KVM_GET_MSRS",
	[C_SWITCH_TO_VTL1] = "KVM_SET_VTL_VCPU active_vtl=1: REGS/SREGS show VTL1's RIP/CR3",
	[C_SWITCH_BACK] = "KVM_SET_VTL_VCPU active_vtl=0: REGS/SREGS show VTL0's again",
	[C_SWITCH_SHARED] = "switching the active VTL leaves the shared GPRs alone",
	[G_KERNEL_GS_BASE] = "the guest's VTL0 reads the KERNEL_GS_BASE the host set",
	[G_VTL1_LSTAR] = "the guest's VTL1 reads the LSTAR the host set",
	[G_VTL0_LSTAR] = "the guest's VTL0 LSTAR is still its own",
	[D_SET_PARTITION] = "restore: KVM_SET_VTL_PARTITION enables VTL1",
	[D_SET_VCPU] = "restore: KVM_SET_VTL_VCPU enables VTL1 on the vCPU",
	[D_STATE1_RESET] = "restore: VTL1 enabled by the host starts at INIT values",
	[D_SET_STATE1] = "restore: KVM_SET_VTL_STATE(VTL1) round trip",
};

static u64 vtl1_lstar_seen;

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	vtl1_enter(vp);
	if (vp->vtl1_entries == 1) {
		wrmsr(MSR_LSTAR, VTL1_LSTAR);
		vtl_set_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG,
			    VTL1_PARTITION_CONFIG);
	} else {
		vtl1_lstar_seen = rdmsr(MSR_LSTAR);
	}
	return VTL_RETURN_FAST;
}

static void guest_code(struct vtl_vp *vp)
{
	vtl0_enable_hypercalls(vp);
	vp->vtl1_fs_base = VTL1_FS_BASE;
	vtl0_enable_vtl1(vp);
	vtl_call();
	wrmsr(MSR_LSTAR, VTL0_LSTAR);

	GUEST_SYNC(1);

	VTL_CHECK(G_KERNEL_GS_BASE, rdmsr(MSR_KERNEL_GS_BASE), NEW_VTL0_KERNEL_GS_BASE);
	vtl_call();
	VTL_CHECK(G_VTL1_LSTAR, vtl1_lstar_seen, NEW_VTL1_LSTAR);
	VTL_CHECK(G_VTL0_LSTAR, rdmsr(MSR_LSTAR), VTL0_LSTAR);
	GUEST_DONE();
}

/* The ioctls, returning 0 or errno. */
static int get_state(struct kvm_vcpu *vcpu, u32 vtl, struct kvm_vtl_state *s)
{
	memset(s, 0, sizeof(*s));
	s->vtl = vtl;
	return __vcpu_ioctl(vcpu, KVM_GET_VTL_STATE, s) ? errno : 0;
}

static int set_state(struct kvm_vcpu *vcpu, struct kvm_vtl_state *s)
{
	return __vcpu_ioctl(vcpu, KVM_SET_VTL_STATE, s) ? errno : 0;
}

static int get_vcpu(struct kvm_vcpu *vcpu, struct kvm_vtl_vcpu *v)
{
	memset(v, 0, sizeof(*v));
	return __vcpu_ioctl(vcpu, KVM_GET_VTL_VCPU, v) ? errno : 0;
}

static int set_vcpu(struct kvm_vcpu *vcpu, struct kvm_vtl_vcpu *v)
{
	return __vcpu_ioctl(vcpu, KVM_SET_VTL_VCPU, v) ? errno : 0;
}

static int get_partition(struct kvm_vm *vm, struct kvm_vtl_partition *p)
{
	memset(p, 0, sizeof(*p));
	return __vm_ioctl(vm, KVM_GET_VTL_PARTITION, p) ? errno : 0;
}

static int set_partition(struct kvm_vm *vm, struct kvm_vtl_partition *p)
{
	return __vm_ioctl(vm, KVM_SET_VTL_PARTITION, p) ? errno : 0;
}

static int enable_vsm(struct kvm_vm *vm, u64 arg0, u64 arg1)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_HYPERV_VSM,
		.args = { arg0, arg1 },
	};

	return __vm_ioctl(vm, KVM_ENABLE_CAP, &cap) ? errno : 0;
}

/* Everything the VTL ioctls can report about a vCPU and its VM. */
struct snapshot {
	struct kvm_vtl_state state[KVM_VTL_MAX_NR];
	struct kvm_vtl_vcpu vcpu;
	struct kvm_vtl_partition partition;
};

static void take_snapshot(struct kvm_vcpu *vcpu, struct snapshot *s)
{
	int vtl;

	for (vtl = 0; vtl < KVM_VTL_MAX_NR; vtl++)
		TEST_ASSERT_EQ(get_state(vcpu, vtl, &s->state[vtl]), 0);
	TEST_ASSERT_EQ(get_vcpu(vcpu, &s->vcpu), 0);
	TEST_ASSERT_EQ(get_partition(vcpu->vm, &s->partition), 0);
}

/* @err, plus 0x1000 if anything changed compared with @before. */
static u64 unchanged(struct kvm_vcpu *vcpu, const struct snapshot *before, int err)
{
	struct snapshot after;

	take_snapshot(vcpu, &after);
	return err | (memcmp(before, &after, sizeof(after)) ? 0x1000 : 0);
}

/* Bit n set: field n of the active VTL's state differs from REGS/SREGS. */
static u64 live_mismatch(struct kvm_vcpu *vcpu, const struct kvm_vtl_state *s)
{
	const struct kvm_segment *seg[8], *live[8];
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	u64 mask = 0;
	int i;

	vcpu_regs_get(vcpu, &regs);
	vcpu_sregs_get(vcpu, &sregs);
	seg[0] = &s->cs;
	seg[1] = &s->ds;
	seg[2] = &s->es;
	seg[3] = &s->fs;
	seg[4] = &s->gs;
	seg[5] = &s->ss;
	seg[6] = &s->tr;
	seg[7] = &s->ldt;
	live[0] = &sregs.cs;
	live[1] = &sregs.ds;
	live[2] = &sregs.es;
	live[3] = &sregs.fs;
	live[4] = &sregs.gs;
	live[5] = &sregs.ss;
	live[6] = &sregs.tr;
	live[7] = &sregs.ldt;

	mask |= (u64)(s->rip != regs.rip) << 0;
	mask |= (u64)(s->rsp != regs.rsp) << 1;
	mask |= (u64)(s->rflags != regs.rflags) << 2;
	mask |= (u64)(s->cr0 != sregs.cr0) << 3;
	mask |= (u64)(s->cr3 != sregs.cr3) << 4;
	mask |= (u64)(s->cr4 != sregs.cr4) << 5;
	mask |= (u64)(s->cr8 != sregs.cr8) << 6;
	mask |= (u64)(s->efer != sregs.efer) << 7;
	for (i = 0; i < 8; i++)
		mask |= (u64)!!memcmp(seg[i], live[i], sizeof(*seg[i])) << (8 + i);
	mask |= (u64)(s->gdt.base != sregs.gdt.base || s->gdt.limit != sregs.gdt.limit) << 16;
	mask |= (u64)(s->idt.base != sregs.idt.base || s->idt.limit != sregs.idt.limit) << 17;
	return mask;
}

static void part_a_capability(struct vtl_checks *c)
{
	struct kvm_vtl_partition p;
	struct kvm_vtl_state s;
	struct kvm_vtl_vcpu v;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_barebones();
	vtl_check(c, A_CAP_0, enable_vsm(vm, 0, 0), EINVAL);
	vtl_check(c, A_CAP_1, enable_vsm(vm, 1, 0), EINVAL);
	vtl_check(c, A_CAP_3, enable_vsm(vm, 3, 0), EINVAL);
	vtl_check(c, A_CAP_ARG1, enable_vsm(vm, 2, 1), EINVAL);
	vtl_check(c, A_CAP_OK, enable_vsm(vm, 2, 0), 0);
	vtl_check(c, A_CAP_TWICE, enable_vsm(vm, 2, 0), EINVAL);
	kvm_vm_free(vm);

	vm = vm_create_barebones();
	vcpu = __vm_vcpu_add(vm, 0);
	vtl_check(c, A_CAP_AFTER_VCPU, enable_vsm(vm, 2, 0), EBUSY);
	vtl_check(c, A_NO_VSM_PARTITION, get_partition(vm, &p), ENOTTY);
	vtl_check(c, A_NO_VSM_VCPU, get_vcpu(vcpu, &v), ENOTTY);
	vtl_check(c, A_NO_VSM_STATE, get_state(vcpu, 0, &s), ENOTTY);
	kvm_vm_free(vm);
}

static void part_b_new_vcpu(struct vtl_checks *c, struct kvm_vcpu *vcpu)
{
	struct kvm_vtl_partition p, want_p = { .enabled_vtls = 1 };
	struct kvm_vtl_vcpu v, want_v = { .active_vtl = 0, .enabled_vtls = 1 };
	struct kvm_vtl_state s, s1;
	struct snapshot before;
	int err;

	TEST_ASSERT_EQ(get_partition(vcpu->vm, &p), 0);
	vtl_check(c, B_PARTITION_INIT, memcmp(&p, &want_p, sizeof(p)), 0);
	TEST_ASSERT_EQ(get_vcpu(vcpu, &v), 0);
	vtl_check(c, B_VCPU_INIT, memcmp(&v, &want_v, sizeof(v)), 0);
	err = get_state(vcpu, 0, &s);
	vtl_check(c, B_STATE0_GET, err, 0);
	vtl_check(c, B_STATE0_LIVE, err ? ~0ull : live_mismatch(vcpu, &s), 0);
	vtl_check(c, B_STATE1_GET_DISABLED, get_state(vcpu, 1, &s1), EINVAL);

	/* No VTL1 yet: only VTL0's state can be compared. */
	memset(&before, 0, sizeof(before));
	get_state(vcpu, 0, &before.state[0]);
	s1 = s;
	s1.vtl = 1;
	err = set_state(vcpu, &s1);
	get_state(vcpu, 0, &s);
	vtl_check(c, B_STATE1_SET_DISABLED,
		  err | (memcmp(&s, &before.state[0], sizeof(s)) ? 0x1000 : 0), EINVAL);

	v = want_v;
	v.active_vtl = 1;
	err = set_vcpu(vcpu, &v);
	get_vcpu(vcpu, &v);
	vtl_check(c, B_VCPU_ACTIVE_DISABLED, err | (memcmp(&v, &want_v, sizeof(v)) ? 0x1000 : 0),
		  EINVAL);
	v = want_v;
	v.enabled_vtls = 3;
	err = set_vcpu(vcpu, &v);
	get_vcpu(vcpu, &v);
	vtl_check(c, B_VCPU_NO_PART_VTL1,
		  err | (memcmp(&v, &want_v, sizeof(v)) ? 0x1000 : 0), EINVAL);
}

static void part_c_state(struct vtl_checks *c, struct kvm_vcpu *vcpu, struct vtl_vp *vp)
{
	struct kvm_vtl_state s0, s1, bad, back;
	struct kvm_vtl_partition p, badp;
	struct kvm_vtl_vcpu v, badv;
	struct snapshot before;
	struct kvm_sregs sregs;
	struct kvm_regs regs, regs1;
	int err;

	TEST_ASSERT_EQ(get_vcpu(vcpu, &v), 0);
	vtl_check(c, C_VCPU, v.active_vtl | v.enabled_vtls << 8 | v.return_vtl[0] << 24 |
		  (u64)v.return_vtl[1] << 32, 0x300);
	TEST_ASSERT_EQ(get_partition(vcpu->vm, &p), 0);
	vtl_check(c, C_PARTITION, p.enabled_vtls == 3 && !p.mbec_vtls && !p.flags &&
		  !p.vsm_partition_config[0] &&
		  p.vsm_partition_config[1] == VTL1_PARTITION_CONFIG, true);

	TEST_ASSERT_EQ(get_state(vcpu, 0, &s0), 0);
	TEST_ASSERT_EQ(get_state(vcpu, 1, &s1), 0);
	vtl_check(c, C_STATE0_LIVE, live_mismatch(vcpu, &s0), 0);
	vtl_check(c, C_STATE0_MSRS, s0.lstar == VTL0_LSTAR &&
		  vcpu_get_msr(vcpu, MSR_LSTAR) == VTL0_LSTAR, true);
	vtl_check(c, C_STATE0_HV, s0.hv_guest_os_id == VTL0_GUEST_OS_ID &&
		  s0.hv_hypercall == (vp->hcall_page[0].gpa | 1), true);

	vtl_check(c, C_STATE1_RIP_RSP, s1.rip == vtl1_resume_rip() &&
		  s1.rsp == vp->vtl1_stack_top - 16, true);
	vtl_check(c, C_STATE1_CR3, s1.cr3, vp->vtl1_cr3);
	vtl_check(c, C_STATE1_CRS, s1.cr0 == s0.cr0 && s1.cr4 == s0.cr4 && s1.efer == s0.efer &&
		  s1.gdt.base == s0.gdt.base && s1.idt.base == s0.idt.base &&
		  s1.cr8 == 0 && s1.dr7 == 0x400, true);
	vtl_check(c, C_STATE1_FS_BASE, s1.fs.base, VTL1_FS_BASE);
	vtl_check(c, C_STATE1_MSRS, s1.lstar, VTL1_LSTAR);
	vtl_check(c, C_STATE1_HV, s1.hv_guest_os_id == VTL1_GUEST_OS_ID &&
		  s1.hv_vp_assist == (vp->assist[1].gpa | 1), true);

	/* Round trips. */
	back = s0;
	TEST_ASSERT_EQ(set_state(vcpu, &back), 0);
	TEST_ASSERT_EQ(get_state(vcpu, 0, &back), 0);
	vtl_check(c, C_ROUNDTRIP0, memcmp(&back, &s0, sizeof(back)), 0);
	back = s1;
	TEST_ASSERT_EQ(set_state(vcpu, &back), 0);
	TEST_ASSERT_EQ(get_state(vcpu, 1, &back), 0);
	vtl_check(c, C_ROUNDTRIP1, memcmp(&back, &s1, sizeof(back)), 0);

	/* Bad KVM_GET/SET_VTL_STATE. */
	take_snapshot(vcpu, &before);
	vtl_check(c, C_GET_VTL2, get_state(vcpu, 2, &bad), EINVAL);
	bad = s0;
	bad.flags = 1;
	vtl_check(c, C_GET_FLAGS, __vcpu_ioctl(vcpu, KVM_GET_VTL_STATE, &bad) ? errno : 0,
		  EINVAL);
	bad = s0;
	bad.vtl = 2;
	vtl_check(c, C_SET_VTL2, unchanged(vcpu, &before, set_state(vcpu, &bad)), EINVAL);
	bad = s1;
	bad.flags = 1;
	bad.lstar = 1;
	vtl_check(c, C_SET_FLAGS, unchanged(vcpu, &before, set_state(vcpu, &bad)), EINVAL);
	bad = s1;
	bad.reserved[3] = 1;
	bad.lstar = 1;
	vtl_check(c, C_SET_RESERVED, unchanged(vcpu, &before, set_state(vcpu, &bad)), EINVAL);
	bad = s0;
	bad.vsm_vp_secure_config[0] = 1;
	bad.lstar = 1;
	vtl_check(c, C_SET_SECURE_CONFIG, unchanged(vcpu, &before, set_state(vcpu, &bad)),
		  EINVAL);
	bad = s1;
	bad.cr0 = (bad.cr0 | X86_CR0_PG) & ~X86_CR0_PE;
	bad.lstar = 1;
	vtl_check(c, C_SET_BAD_CR0, unchanged(vcpu, &before, set_state(vcpu, &bad)), EINVAL);
	bad = s1;
	bad.cr8 = 16;
	bad.lstar = 1;
	vtl_check(c, C_SET_BAD_CR8, unchanged(vcpu, &before, set_state(vcpu, &bad)), EINVAL);
	bad = s1;
	bad.vsm_vp_secure_config[0] = 1;	/* only TlbLocked (bit 1) exists */
	bad.lstar = 1;
	vtl_check(c, C_SET_SECURE_CONFIG_BITS, unchanged(vcpu, &before, set_state(vcpu, &bad)),
		  EINVAL);
	bad = s1;
	bad.vsm_vp_secure_config[2] = 2;	/* no VTL2 */
	bad.lstar = 1;
	vtl_check(c, C_SET_SECURE_CONFIG_ABI, unchanged(vcpu, &before, set_state(vcpu, &bad)),
		  EINVAL);
	bad = s0;
	bad.hv_simp = vp->simp[0].gpa | 1;	/* no KVM_CAP_HYPERV_SYNIC2 here */
	bad.lstar = 1;
	vtl_check(c, C_SET_SYNIC_INACTIVE, unchanged(vcpu, &before, set_state(vcpu, &bad)),
		  EINVAL);

	/* Bad KVM_SET_VTL_VCPU. */
	badv = v;
	badv.flags = 1;
	vtl_check(c, C_VCPU_FLAGS, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)), EINVAL);
	badv = v;
	badv.pad0 = 1;
	vtl_check(c, C_VCPU_PAD0, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)), EINVAL);
	badv = v;
	badv.pad1[0] = 1;
	vtl_check(c, C_VCPU_PAD1, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)), EINVAL);
	badv = v;
	badv.reserved[0] = 1;
	vtl_check(c, C_VCPU_RESERVED, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)), EINVAL);
	badv = v;
	badv.active_vtl = 2;
	vtl_check(c, C_VCPU_ACTIVE2, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)), EINVAL);
	badv = v;
	badv.enabled_vtls = 7;
	vtl_check(c, C_VCPU_ENABLED_VTL2, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)),
		  EINVAL);
	badv = v;
	badv.enabled_vtls = 2;
	vtl_check(c, C_VCPU_NO_VTL0, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)), EINVAL);
	badv = v;
	badv.return_vtl[1] = 1;
	vtl_check(c, C_VCPU_RETURN_VTL1, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)),
		  EINVAL);
	badv = v;
	badv.return_vtl[0] = 1;
	vtl_check(c, C_VCPU_RETURN_VTL0, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)),
		  EINVAL);
	badv = v;
	badv.return_vtl[2] = 1;
	vtl_check(c, C_VCPU_RETURN_VTL2, unchanged(vcpu, &before, set_vcpu(vcpu, &badv)),
		  EINVAL);

	/* Bad KVM_SET_VTL_PARTITION. */
	badp = p;
	badp.mbec_vtls = 2;
	vtl_check(c, C_PART_MBEC, unchanged(vcpu, &before, set_partition(vcpu->vm, &badp)),
		  EINVAL);
	badp = p;
	badp.flags = 8;
	vtl_check(c, C_PART_FLAGS, unchanged(vcpu, &before, set_partition(vcpu->vm, &badp)),
		  EINVAL);
	badp = p;
	badp.reserved[0] = 1;
	vtl_check(c, C_PART_RESERVED, unchanged(vcpu, &before, set_partition(vcpu->vm, &badp)),
		  EINVAL);
	badp = p;
	badp.enabled_vtls = 7;
	vtl_check(c, C_PART_ENABLED_VTL2,
		  unchanged(vcpu, &before, set_partition(vcpu->vm, &badp)), EINVAL);
	badp = p;
	badp.enabled_vtls = 1;
	badp.vsm_partition_config[1] = 0;
	vtl_check(c, C_PART_DISABLE_VTL1,
		  unchanged(vcpu, &before, set_partition(vcpu->vm, &badp)), EINVAL);
	badp = p;
	badp.vsm_partition_config[0] = 1;
	vtl_check(c, C_PART_CONFIG0, unchanged(vcpu, &before, set_partition(vcpu->vm, &badp)),
		  EINVAL);
	badp = p;
	badp.vsm_partition_config[1] |= BIT(7);
	vtl_check(c, C_PART_CONFIG_BITS,
		  unchanged(vcpu, &before, set_partition(vcpu->vm, &badp)), EINVAL);
	badp = p;
	badp.vsm_partition_config[2] = 1;
	vtl_check(c, C_PART_CONFIG_ABI, unchanged(vcpu, &before, set_partition(vcpu->vm, &badp)),
		  EINVAL);

	/* Values the guest will see. */
	back = s1;
	back.lstar = NEW_VTL1_LSTAR;
	vtl_check(c, C_SET_STATE1, set_state(vcpu, &back), 0);
	back = s0;
	back.kernel_gs_base = NEW_VTL0_KERNEL_GS_BASE;
	vtl_check(c, C_SET_STATE0, set_state(vcpu, &back) ? ~0ull :
		  vcpu_get_msr(vcpu, MSR_KERNEL_GS_BASE), NEW_VTL0_KERNEL_GS_BASE);

	/* Switch the active VTL back and forth. */
	vcpu_regs_get(vcpu, &regs);
	badv = v;
	badv.active_vtl = 1;
	err = set_vcpu(vcpu, &badv);
	if (err) {
		vtl_check(c, C_SWITCH_TO_VTL1, err, 0);
		return;
	}
	TEST_ASSERT_EQ(get_vcpu(vcpu, &badv), 0);
	vcpu_regs_get(vcpu, &regs1);
	vcpu_sregs_get(vcpu, &sregs);
	vtl_check(c, C_SWITCH_TO_VTL1, badv.active_vtl == 1 && regs1.rip == s1.rip &&
		  regs1.rsp == s1.rsp && sregs.cr3 == s1.cr3, true);
	TEST_ASSERT_EQ(set_vcpu(vcpu, &v), 0);
	vcpu_regs_get(vcpu, &regs1);
	vcpu_sregs_get(vcpu, &sregs);
	vtl_check(c, C_SWITCH_BACK, regs1.rip == regs.rip && regs1.rsp == regs.rsp &&
		  sregs.cr3 == s0.cr3, true);
	vtl_check(c, C_SWITCH_SHARED, regs1.rbx == regs.rbx && regs1.rcx == regs.rcx &&
		  regs1.r12 == regs.r12 && regs1.r15 == regs.r15, true);
}

/* Enable VTL1 from the host, as a VMM restoring a VM would. */
static void part_d_restore(struct vtl_checks *c)
{
	struct kvm_vtl_partition p = { .enabled_vtls = 3 };
	struct kvm_vtl_vcpu v = { .active_vtl = 0, .enabled_vtls = 3 };
	struct kvm_vtl_state s0, s1, back;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int err;

	vm = vtl_vm_create(1, guest_code, &vcpu);
	err = set_partition(vm, &p);
	TEST_ASSERT_EQ(get_partition(vm, &p), 0);
	vtl_check(c, D_SET_PARTITION, err ? ~0ull : p.enabled_vtls, 3);
	err = set_vcpu(vcpu, &v);
	TEST_ASSERT_EQ(get_vcpu(vcpu, &v), 0);
	vtl_check(c, D_SET_VCPU, err ? ~0ull : v.enabled_vtls, 3);

	err = get_state(vcpu, 1, &s1);
	vtl_check(c, D_STATE1_RESET, !err && s1.rip == 0xfff0 && s1.cs.base == 0xffff0000 &&
		  s1.cr0 == 0x60000010 && s1.pat == 0x0007040600070406ull && s1.cr8 == 0 &&
		  s1.dr7 == 0x400 && !s1.lstar && !s1.hv_guest_os_id && !s1.hv_vp_assist &&
		  !s1.hv_simp, true);

	TEST_ASSERT_EQ(get_state(vcpu, 0, &s0), 0);
	s1 = s0;
	s1.vtl = 1;
	s1.lstar = VTL1_LSTAR;
	s1.fs.base = VTL1_FS_BASE;
	err = set_state(vcpu, &s1);
	if (!err)
		err = get_state(vcpu, 1, &back);
	vtl_check(c, D_SET_STATE1, err ? ~0ull : memcmp(&back, &s1, sizeof(back)), 0);
	kvm_vm_free(vm);
}

int main(void)
{
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu;
	struct vtl_vp *vp;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));

	ksft_print_header();
	ksft_set_plan(NR_CHECKS);
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	/* Skips the test, before any result, if VSM cannot be enabled at all. */
	vm = vtl_vm_create(1, guest_code, &vcpu);

	part_a_capability(&checks);
	part_b_new_vcpu(&checks, vcpu);

	vp = vtl_vp_setup(vcpu, vtl1_handler);
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, &checks), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], 1);
	part_c_state(&checks, vcpu, vp);
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, &checks), UCALL_DONE);
	kvm_vm_free(vm);

	part_d_restore(&checks);

	vtl_checks_finish(&checks);
	ksft_finished();
}
