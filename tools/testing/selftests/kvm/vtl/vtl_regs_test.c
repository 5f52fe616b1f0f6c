// SPDX-License-Identifier: GPL-2.0-only
/*
 * HvCallGetVpRegisters/HvCallSetVpRegisters across VTLs: VTL0 may not
 * touch VTL1's registers; VTL1 reads VTL0's private registers (memory and
 * fast XMM forms) and finds what VTL0 recorded before its VtlCall, writes
 * some of them (CR8, LSTAR, SFMASK, KERNEL_GS_BASE, RIP) and VTL0 runs with
 * the new values after the return.  Error cases: unknown and read-only
 * names, invalid values, bad VP index, rep count, fast-form limits.
 */
#include "vtl_lib.h"

#define VTL0_CR8		2
#define VTL0_LSTAR		0xffffffff81000080ull
#define VTL0_STAR		0x0023001000000000ull
#define VTL0_CSTAR		0xffffffff810000c0ull
#define VTL0_SFMASK		0x47700ull
#define VTL0_KERNEL_GS_BASE	0xffff888000001000ull
#define VTL0_SYSENTER_CS	0x10
/* 32-bit: on AMD, KVM keeps only the low half of the SYSENTER MSRs. */
#define VTL0_SYSENTER_EIP	0x81000100ull
#define VTL0_SYSENTER_ESP	0x90004000ull
#define VTL0_FS_BASE		0x7f0000010000ull
#define VTL0_GS_BASE		0x7f0000020000ull
#define VTL1_LSTAR		0xffffffff82000080ull

#define NEW_LSTAR		0xffffffff81000880ull
#define NEW_STAR		0x0033002000000000ull
#define NEW_SFMASK		0x700ull
#define NEW_KERNEL_GS_BASE	0xffff888000002000ull
#define NEW_CR8			9
#define UNKNOWN_REG		0x000fff00
/* Arithmetic flags change in the trampoline; RF is not architectural state here. */
#define RFLAGS_IGNORED		(VTL_RFLAGS_ARITH | BIT_ULL(16))

enum {
	V0_GET_VTL1_DENIED,
	V0_SET_VTL1_DENIED,
	V0_GET_OWN_CR3,
	V0_GET_OWN_EXPLICIT,
	V0_FAST_GET_OWN,
	V0_SET_OWN,
	V0_PARTITION_CONFIG,
	V0_SECURE_CONFIG,
	R_GET_BATCH,
	R_RIP,
	R_RSP,
	R_RFLAGS,
	R_CR0,
	R_CR3,
	R_CR4,
	R_CR8,
	R_EFER,
	R_DR7,
	R_CS,
	R_CS_BASE,
	R_DATA_SELECTORS,
	R_FS_BASE,
	R_GS_BASE,
	R_TR,
	R_TR_BASE,
	R_GDTR,
	R_IDTR,
	R_LSTAR,
	R_STAR,
	R_CSTAR,
	R_SFMASK,
	R_KERNEL_GS_BASE,
	R_SYSENTER_CS,
	R_SYSENTER_EIP,
	R_SYSENTER_ESP,
	R_PAT,
	R_GUEST_OS_ID,
	R_HYPERCALL,
	R_VP_ASSIST,
	R_VP_INDEX,
	R_APIC_BASE,
	R_FAST_GET,
	R_OWN_CR3,
	R_OWN_CR3_EXPLICIT,
	R_OWN_LSTAR,
	R_OWN_GUEST_OS_ID,
	R_OWN_VP_STATUS,
	R_GET_VTL2_DENIED,
	R_UNKNOWN_REG,
	R_REP_ZERO,
	R_BAD_VP_INDEX,
	R_OWN_VP_INDEX,
	R_FAST_GET_TOO_MANY,
	R_FAST_SET_TOO_MANY,
	R_INPUT_VTL_RESERVED,
	R_SECURE_CONFIG,
	R_SECURE_CONFIG_MBEC,
	S_MEM_SET,
	S_FAST_SET,
	S_RIP_SET,
	S_READBACK,
	S_RO_VP_INDEX,
	S_RO_APIC_BASE,
	S_RO_SVERSION,
	S_RO_VP_STATUS,
	S_RO_PARTIAL,
	S_UNKNOWN_REG,
	S_BAD_CR8,
	S_ELEM_RESERVED,
	S_VTL1_PRIVATE,
	A_ALT_RESUME,
	A_CR8,
	A_LSTAR,
	A_STAR,
	A_SFMASK,
	A_KERNEL_GS_BASE,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[V0_GET_VTL1_DENIED] = "VTL0: GetVpRegisters(input VTL 0x11) is ACCESS_DENIED",
	[V0_SET_VTL1_DENIED] = "VTL0: SetVpRegisters(input VTL 0x11) is ACCESS_DENIED",
	[V0_GET_OWN_CR3] = "VTL0: GetVpRegisters(input VTL 0x10, Cr3) reads its CR3",
	[V0_GET_OWN_EXPLICIT] = "VTL0: GetVpRegisters by own VP index reads its CR3",
	[V0_FAST_GET_OWN] = "VTL0: fast GetVpRegisters(Cr0, Cr3, Cr4, Efer) of itself",
	[V0_SET_OWN] = "VTL0: SetVpRegisters(SysenterCs) of itself, then RDMSR",
	[V0_PARTITION_CONFIG] = "VTL0: its VsmPartitionConfig does not exist: INVALID_PARAMETER",
	[V0_SECURE_CONFIG] = "VTL0: VsmVpSecureConfigVtl0 of VTL0: INVALID_PARAMETER",
	[R_GET_BATCH] = "VTL1: GetVpRegisters of 31 VTL0 registers: success, 31 reps",
	[R_RIP] = "VTL1 reads VTL0's RIP: after its VtlCall instruction",
	[R_RSP] = "VTL1 reads VTL0's RSP at the VtlCall",
	[R_RFLAGS] = "VTL1 reads VTL0's RFLAGS",
	[R_CR0] = "VTL1 reads VTL0's CR0",
	[R_CR3] = "VTL1 reads VTL0's CR3",
	[R_CR4] = "VTL1 reads VTL0's CR4",
	[R_CR8] = "VTL1 reads VTL0's CR8",
	[R_EFER] = "VTL1 reads VTL0's EFER",
	[R_DR7] = "VTL1 reads VTL0's DR7",
	[R_CS] = "VTL1 reads VTL0's CS selector, attributes, limit",
	[R_CS_BASE] = "VTL1 reads VTL0's CS base",
	[R_DATA_SELECTORS] = "VTL1 reads VTL0's DS, ES, SS, GS selectors",
	[R_FS_BASE] = "VTL1 reads VTL0's FS base",
	[R_GS_BASE] = "VTL1 reads VTL0's GS base",
	[R_TR] = "VTL1 reads VTL0's TR selector, attributes, limit",
	[R_TR_BASE] = "VTL1 reads VTL0's TR base",
	[R_GDTR] = "VTL1 reads VTL0's GDTR",
	[R_IDTR] = "VTL1 reads VTL0's IDTR",
	[R_LSTAR] = "VTL1 reads VTL0's LSTAR",
	[R_STAR] = "VTL1 reads VTL0's STAR",
	[R_CSTAR] = "VTL1 reads VTL0's CSTAR",
	[R_SFMASK] = "VTL1 reads VTL0's SFMASK",
	[R_KERNEL_GS_BASE] = "VTL1 reads VTL0's KERNEL_GS_BASE",
	[R_SYSENTER_CS] = "VTL1 reads VTL0's SYSENTER_CS",
	[R_SYSENTER_EIP] = "VTL1 reads VTL0's SYSENTER_EIP",
	[R_SYSENTER_ESP] = "VTL1 reads VTL0's SYSENTER_ESP",
	[R_PAT] = "VTL1 reads VTL0's PAT",
	[R_GUEST_OS_ID] = "VTL1 reads VTL0's GuestOsId",
	[R_HYPERCALL] = "VTL1 reads VTL0's Hypercall MSR",
	[R_VP_ASSIST] = "VTL1 reads VTL0's VpAssistPage",
	[R_VP_INDEX] = "VTL1 reads the VpIndex",
	[R_APIC_BASE] = "VTL1 reads the ApicBase",
	[R_FAST_GET] = "VTL1: fast GetVpRegisters of VTL0 matches the memory form",
	[R_OWN_CR3] = "VTL1: GetVpRegisters(current VTL, Cr3) is its own CR3",
	[R_OWN_CR3_EXPLICIT] = "VTL1: GetVpRegisters(input VTL 0x11, Cr3) is its own CR3",
	[R_OWN_LSTAR] = "VTL1: GetVpRegisters(input VTL 0x11, Lstar) is its own LSTAR",
	[R_OWN_GUEST_OS_ID] = "VTL1: its own GuestOsId is the one it set",
	[R_OWN_VP_STATUS] = "VTL1: VsmVpStatus says active VTL1, VTL0+VTL1 enabled",
	[R_GET_VTL2_DENIED] = "VTL1: GetVpRegisters(input VTL 0x12) is ACCESS_DENIED",
	[R_UNKNOWN_REG] = "GetVpRegisters with an unknown 3rd name: INVALID_PARAMETER, 2 reps",
	[R_REP_ZERO] = "GetVpRegisters with rep count 0: INVALID_HYPERCALL_INPUT",
	[R_BAD_VP_INDEX] = "GetVpRegisters of VP index 7 (no such VP): INVALID_VP_INDEX",
	[R_OWN_VP_INDEX] = "GetVpRegisters by own VP index succeeds in VTL1",
	[R_FAST_GET_TOO_MANY] = "fast GetVpRegisters with 5 names: INVALID_HYPERCALL_INPUT",
	[R_FAST_SET_TOO_MANY] = "fast SetVpRegisters with 4 elements: INVALID_HYPERCALL_INPUT",
	[R_INPUT_VTL_RESERVED] = "GetVpRegisters with input VTL 0x30: INVALID_PARAMETER",
	[R_SECURE_CONFIG] = "VTL1: VsmVpSecureConfigVtl0 = TlbLocked reads back",
	[R_SECURE_CONFIG_MBEC] = "VTL1: VsmVpSecureConfigVtl0 = Mbec: INVALID_REGISTER_VALUE",
	[S_MEM_SET] = "VTL1: SetVpRegisters(VTL0 Lstar, Cr8) succeeds",
	[S_FAST_SET] = "VTL1: fast SetVpRegisters(VTL0 Sfmask, KernelGsBase) succeeds",
	[S_RIP_SET] = "VTL1: SetVpRegisters(VTL0 Rip) succeeds",
	[S_READBACK] = "VTL1: GetVpRegisters(VTL0 Lstar) reads the value just set",
	[S_RO_VP_INDEX] = "SetVpRegisters(VpIndex): INVALID_PARAMETER",
	[S_RO_APIC_BASE] = "SetVpRegisters(ApicBase): INVALID_PARAMETER",
	[S_RO_SVERSION] = "SetVpRegisters(Sversion): INVALID_PARAMETER",
	[S_RO_VP_STATUS] = "SetVpRegisters(VsmVpStatus): INVALID_PARAMETER",
	[S_RO_PARTIAL] = "SetVpRegisters(Star, VsmPartitionStatus): INVALID_PARAMETER, 1 rep",
	[S_UNKNOWN_REG] = "SetVpRegisters with an unknown name: INVALID_PARAMETER",
	[S_BAD_CR8] = "SetVpRegisters(VTL0 Cr8 = 0x10): INVALID_REGISTER_VALUE",
	[S_ELEM_RESERVED] = "SetVpRegisters element with reserved bits: INVALID_PARAMETER",
	[S_VTL1_PRIVATE] = "VTL1's own LSTAR and CR8 unchanged by the sets on VTL0",
	[A_ALT_RESUME] = "VTL0 resumed at the RIP VTL1 set",
	[A_CR8] = "VTL0's CR8 is the value VTL1 set",
	[A_LSTAR] = "VTL0's LSTAR is the value VTL1 set",
	[A_STAR] = "VTL0's STAR is the value VTL1 set before the failing element",
	[A_SFMASK] = "VTL0's SFMASK is the value VTL1 set (fast form)",
	[A_KERNEL_GS_BASE] = "VTL0's KERNEL_GS_BASE is the value VTL1 set (fast form)",
};

/* What VTL0 records of itself before calling VTL1. */
static struct {
	u64 rflags, cr0, cr3, cr4, efer, dr7, pat, apic_base;
	u64 hypercall, vp_assist;
	u16 ds, es, ss, gs;
	struct hv_x64_segment_register cs, tr;
	struct desc_ptr gdt, idt;
} vtl0;

static struct vtl_gprs *vtl0_regs;

static const u32 batch[] = {
	HV_REG_RIP, HV_REG_RSP, HV_REG_RFLAGS, HV_REG_CR0, HV_REG_CR3, HV_REG_CR4,
	HV_REG_CR8, HV_REG_EFER, HV_REG_DR7, HV_REG_CS, HV_REG_DS, HV_REG_ES,
	HV_REG_SS, HV_REG_FS, HV_REG_GS, HV_REG_TR, HV_REG_GDTR, HV_REG_IDTR,
	HV_REG_LSTAR, HV_REG_STAR, HV_REG_CSTAR, HV_REG_SFMASK, HV_REG_KERNEL_GS_BASE,
	HV_REG_SYSENTER_CS, HV_REG_SYSENTER_EIP, HV_REG_SYSENTER_ESP, HV_REG_PAT,
	HV_REG_GUEST_OS_ID, HV_REG_HYPERCALL, HV_REG_VP_ASSIST_PAGE, HV_REG_VP_INDEX,
};

enum {
	B_RIP, B_RSP, B_RFLAGS, B_CR0, B_CR3, B_CR4, B_CR8, B_EFER, B_DR7, B_CS, B_DS,
	B_ES, B_SS, B_FS, B_GS, B_TR, B_GDTR, B_IDTR, B_LSTAR, B_STAR, B_CSTAR,
	B_SFMASK, B_KGS, B_SYSENTER_CS, B_SYSENTER_EIP, B_SYSENTER_ESP, B_PAT,
	B_GUEST_OS_ID, B_HYPERCALL, B_VP_ASSIST, B_VP_INDEX, NR_BATCH
};

kvm_static_assert(ARRAY_SIZE(batch) == NR_BATCH);

/* Selector, attributes and limit in one value, to compare them at once. */
static u64 seg_key(const struct hv_x64_segment_register *s)
{
	return s->selector | (u64)s->attributes << 16 | (u64)s->limit << 32;
}

static u64 table_key(const struct hv_x64_table_register *t)
{
	return t->base ^ t->limit;
}

static void vtl1_read_vtl0(struct vtl_vp *vp)
{
	union hv_register_value v[NR_BATCH], fast[4];
	static const u32 fast_names[4] = { HV_REG_CR0, HV_REG_CR3, HV_REG_CR4, HV_REG_EFER };
	u64 rax;

	rax = hv_get_vp_registers(&vp->hc[1], HV_VP_INDEX_SELF, HV_INPUT_VTL(0), batch,
				  NR_BATCH, v);
	VTL_REQUIRE(R_GET_BATCH, rax, HV_STATUS_SUCCESS | HV_HYPERCALL_REP_COUNT(NR_BATCH));

	VTL_CHECK(R_RIP, v[B_RIP].low, vtl_call_resume_rip());
	VTL_CHECK(R_RSP, v[B_RSP].low, vtl0_regs->rsp);
	VTL_CHECK(R_RFLAGS, v[B_RFLAGS].low & ~RFLAGS_IGNORED, vtl0.rflags & ~RFLAGS_IGNORED);
	VTL_CHECK(R_CR0, v[B_CR0].low, vtl0.cr0);
	VTL_CHECK(R_CR3, v[B_CR3].low, vtl0.cr3);
	VTL_CHECK(R_CR4, v[B_CR4].low, vtl0.cr4);
	VTL_CHECK(R_CR8, v[B_CR8].low, VTL0_CR8);
	VTL_CHECK(R_EFER, v[B_EFER].low, vtl0.efer);
	VTL_CHECK(R_DR7, v[B_DR7].low, vtl0.dr7);
	VTL_CHECK(R_CS, seg_key(&v[B_CS].seg), seg_key(&vtl0.cs));
	VTL_CHECK(R_CS_BASE, v[B_CS].seg.base, vtl0.cs.base);
	VTL_CHECK(R_DATA_SELECTORS,
		  v[B_DS].seg.selector | v[B_ES].seg.selector << 16 |
		  (u64)v[B_SS].seg.selector << 32 | (u64)v[B_GS].seg.selector << 48,
		  vtl0.ds | vtl0.es << 16 | (u64)vtl0.ss << 32 | (u64)vtl0.gs << 48);
	VTL_CHECK(R_FS_BASE, v[B_FS].seg.base, VTL0_FS_BASE);
	VTL_CHECK(R_GS_BASE, v[B_GS].seg.base, VTL0_GS_BASE);
	VTL_CHECK(R_TR, seg_key(&v[B_TR].seg), seg_key(&vtl0.tr));
	VTL_CHECK(R_TR_BASE, v[B_TR].seg.base, vtl0.tr.base);
	VTL_CHECK(R_GDTR, table_key(&v[B_GDTR].table), vtl0.gdt.address ^ vtl0.gdt.size);
	VTL_CHECK(R_IDTR, table_key(&v[B_IDTR].table), vtl0.idt.address ^ vtl0.idt.size);
	VTL_CHECK(R_LSTAR, v[B_LSTAR].low, VTL0_LSTAR);
	VTL_CHECK(R_STAR, v[B_STAR].low, VTL0_STAR);
	VTL_CHECK(R_CSTAR, v[B_CSTAR].low, VTL0_CSTAR);
	VTL_CHECK(R_SFMASK, v[B_SFMASK].low, VTL0_SFMASK);
	VTL_CHECK(R_KERNEL_GS_BASE, v[B_KGS].low, VTL0_KERNEL_GS_BASE);
	VTL_CHECK(R_SYSENTER_CS, v[B_SYSENTER_CS].low, VTL0_SYSENTER_CS);
	VTL_CHECK(R_SYSENTER_EIP, v[B_SYSENTER_EIP].low, VTL0_SYSENTER_EIP);
	VTL_CHECK(R_SYSENTER_ESP, v[B_SYSENTER_ESP].low, VTL0_SYSENTER_ESP);
	VTL_CHECK(R_PAT, v[B_PAT].low, vtl0.pat);
	VTL_CHECK(R_GUEST_OS_ID, v[B_GUEST_OS_ID].low, VTL0_GUEST_OS_ID);
	VTL_CHECK(R_HYPERCALL, v[B_HYPERCALL].low, vtl0.hypercall);
	VTL_CHECK(R_VP_ASSIST, v[B_VP_ASSIST].low, vtl0.vp_assist);
	VTL_CHECK(R_VP_INDEX, v[B_VP_INDEX].low, vp->vp_index);
	VTL_CHECK(R_APIC_BASE, vtl_get_reg(&vp->hc[1], HV_INPUT_VTL(0), HV_REG_APIC_BASE),
		  vtl0.apic_base);

	rax = hv_get_vp_registers_fast(HV_VP_INDEX_SELF, HV_INPUT_VTL(0), fast_names, 4, fast);
	VTL_CHECK(R_FAST_GET, HV_STATUS(rax) |
		  (fast[0].low != v[B_CR0].low) << 16 | (fast[1].low != v[B_CR3].low) << 17 |
		  (fast[2].low != v[B_CR4].low) << 18 | (fast[3].low != v[B_EFER].low) << 19, 0);
}

static void vtl1_read_own(struct vtl_vp *vp)
{
	struct vtl_hc *hc = &vp->hc[1];
	static const u32 bad[4] = { HV_REG_CR0, HV_REG_CR3, UNKNOWN_REG, HV_REG_CR4 };
	static const u32 five[5] = { HV_REG_CR0, HV_REG_CR3, HV_REG_CR4, HV_REG_EFER,
				     HV_REG_CR8 };
	union hv_register_value v[5] = {};
	u32 name = HV_REG_CR3;
	u64 rax;

	wrmsr(MSR_LSTAR, VTL1_LSTAR);
	VTL_CHECK(R_OWN_CR3, vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_CR3), get_cr3());
	VTL_CHECK(R_OWN_CR3_EXPLICIT, vtl_get_reg(hc, HV_INPUT_VTL(1), HV_REG_CR3), get_cr3());
	VTL_CHECK(R_OWN_LSTAR, vtl_get_reg(hc, HV_INPUT_VTL(1), HV_REG_LSTAR), VTL1_LSTAR);
	VTL_CHECK(R_OWN_GUEST_OS_ID, vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_GUEST_OS_ID),
		  VTL1_GUEST_OS_ID);
	VTL_CHECK(R_OWN_VP_STATUS, vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_STATUS),
		  0x30001);

	rax = hv_get_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL(2), &name, 1, v);
	VTL_CHECK(R_GET_VTL2_DENIED, HV_STATUS(rax), HV_STATUS_ACCESS_DENIED);
	rax = hv_get_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL(0), bad, 4, v);
	VTL_CHECK(R_UNKNOWN_REG, rax & 0xfff0000ffffull,
		  HV_STATUS_INVALID_PARAMETER | HV_HYPERCALL_REP_COUNT(2));
	rax = hv_get_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL(0), &name, 0, v);
	VTL_CHECK(R_REP_ZERO, HV_STATUS(rax), HV_STATUS_INVALID_HYPERCALL_INPUT);
	rax = hv_get_vp_registers(hc, 7, HV_INPUT_VTL(0), &name, 1, v);
	VTL_CHECK(R_BAD_VP_INDEX, HV_STATUS(rax), HV_STATUS_INVALID_VP_INDEX);
	rax = hv_get_vp_registers(hc, vp->vp_index, HV_INPUT_VTL(0), &name, 1, v);
	VTL_CHECK(R_OWN_VP_INDEX, HV_STATUS(rax), HV_STATUS_SUCCESS);
	rax = hv_get_vp_registers_fast(HV_VP_INDEX_SELF, HV_INPUT_VTL(0), five, 5, v);
	VTL_CHECK(R_FAST_GET_TOO_MANY, HV_STATUS(rax), HV_STATUS_INVALID_HYPERCALL_INPUT);
	rax = hv_set_vp_registers_fast(HV_VP_INDEX_SELF, HV_INPUT_VTL(0), five, 4, v);
	VTL_CHECK(R_FAST_SET_TOO_MANY, HV_STATUS(rax), HV_STATUS_INVALID_HYPERCALL_INPUT);
	rax = hv_get_vp_registers(hc, HV_VP_INDEX_SELF, 0x30, &name, 1, v);
	VTL_CHECK(R_INPUT_VTL_RESERVED, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);

	vtl_set_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_SECURE_CONFIG_VTL0, BIT(1));
	VTL_CHECK(R_SECURE_CONFIG,
		  vtl_get_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_SECURE_CONFIG_VTL0), BIT(1));
	vtl_set_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_VSM_VP_SECURE_CONFIG_VTL0, 0);
	name = HV_REG_VSM_VP_SECURE_CONFIG_VTL0;
	v[0].low = BIT(0);
	rax = hv_set_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL_CURRENT, &name, 1, v);
	VTL_CHECK(R_SECURE_CONFIG_MBEC, HV_STATUS(rax), HV_STATUS_INVALID_REGISTER_VALUE);
}

static u64 set_one(struct vtl_hc *hc, u32 name, u64 value)
{
	union hv_register_value v = { .low = value };

	return hv_set_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL(0), &name, 1, &v);
}

/* SetVpRegisters(VTL0 Cr8 = its current value) with a reserved field set. */
static u64 set_reserved(struct vtl_hc *hc)
{
	struct hv_vp_registers_hdr *hdr = (void *)hc->in.gva;
	struct hv_register_assoc *elem = (void *)(hdr + 1);

	vtl_fill_hdr(hdr, HV_VP_INDEX_SELF, HV_INPUT_VTL(0));
	memset(elem, 0, sizeof(*elem));
	elem->name = HV_REG_CR8;
	elem->reserved1 = 1;
	elem->value.low = NEW_CR8;
	return vtl_hypercall(HVCALL_SET_VP_REGISTERS | HV_HYPERCALL_REP_COUNT(1),
			     hc->in.gpa, 0);
}

static void vtl1_write_vtl0(struct vtl_vp *vp)
{
	static const u32 mem_names[2] = { HV_REG_LSTAR, HV_REG_CR8 };
	static const u32 fast_names[2] = { HV_REG_SFMASK, HV_REG_KERNEL_GS_BASE };
	static const u32 partial[2] = { HV_REG_STAR, HV_REG_VSM_PARTITION_STATUS };
	union hv_register_value v[2] = {};
	struct vtl_hc *hc = &vp->hc[1];
	u64 rax;

	v[0].low = NEW_LSTAR;
	v[1].low = NEW_CR8;
	rax = hv_set_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL(0), mem_names, 2, v);
	VTL_CHECK(S_MEM_SET, HV_STATUS(rax), HV_STATUS_SUCCESS);

	v[0].low = NEW_SFMASK;
	v[1].low = NEW_KERNEL_GS_BASE;
	rax = hv_set_vp_registers_fast(HV_VP_INDEX_SELF, HV_INPUT_VTL(0), fast_names, 2, v);
	VTL_CHECK(S_FAST_SET, HV_STATUS(rax), HV_STATUS_SUCCESS);

	rax = set_one(hc, HV_REG_RIP, (u64)vtl_call_alt_resume);
	VTL_CHECK(S_RIP_SET, HV_STATUS(rax), HV_STATUS_SUCCESS);
	VTL_CHECK(S_READBACK, vtl_get_reg(hc, HV_INPUT_VTL(0), HV_REG_LSTAR), NEW_LSTAR);

	VTL_CHECK(S_RO_VP_INDEX, HV_STATUS(set_one(hc, HV_REG_VP_INDEX, 5)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(S_RO_APIC_BASE, HV_STATUS(set_one(hc, HV_REG_APIC_BASE, vtl0.apic_base)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(S_RO_SVERSION, HV_STATUS(set_one(hc, HV_REG_SVERSION, 1)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(S_RO_VP_STATUS, HV_STATUS(set_one(hc, HV_REG_VSM_VP_STATUS, 0)),
		  HV_STATUS_INVALID_PARAMETER);
	v[0].low = NEW_STAR;
	v[1].low = 0x10003;
	rax = hv_set_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL(0), partial, 2, v);
	VTL_CHECK(S_RO_PARTIAL, rax & 0xfff0000ffffull,
		  HV_STATUS_INVALID_PARAMETER | HV_HYPERCALL_REP_COUNT(1));
	VTL_CHECK(S_UNKNOWN_REG, HV_STATUS(set_one(hc, UNKNOWN_REG, 0)),
		  HV_STATUS_INVALID_PARAMETER);
	VTL_CHECK(S_BAD_CR8, HV_STATUS(set_one(hc, HV_REG_CR8, 0x10)),
		  HV_STATUS_INVALID_REGISTER_VALUE);
	VTL_CHECK(S_ELEM_RESERVED, HV_STATUS(set_reserved(hc)), HV_STATUS_INVALID_PARAMETER);

	VTL_CHECK(S_VTL1_PRIVATE, (rdmsr(MSR_LSTAR) ^ VTL1_LSTAR) | vtl_get_cr8(), 0);
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	vtl1_enter(vp);
	vtl1_read_vtl0(vp);
	vtl1_read_own(vp);
	vtl1_write_vtl0(vp);
	return VTL_RETURN_FAST;
}

static void vtl0_checks(struct vtl_vp *vp)
{
	static const u32 fast_names[4] = { HV_REG_CR0, HV_REG_CR3, HV_REG_CR4, HV_REG_EFER };
	struct vtl_hc *hc = &vp->hc[0];
	union hv_register_value v[4];
	u32 name = HV_REG_CR3;
	u64 rax;

	rax = hv_get_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL(1), &name, 1, v);
	VTL_CHECK(V0_GET_VTL1_DENIED, HV_STATUS(rax), HV_STATUS_ACCESS_DENIED);
	v[0].low = 0;
	rax = hv_set_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL(1), &name, 1, v);
	VTL_CHECK(V0_SET_VTL1_DENIED, HV_STATUS(rax), HV_STATUS_ACCESS_DENIED);
	VTL_CHECK(V0_GET_OWN_CR3, vtl_get_reg(hc, HV_INPUT_VTL(0), HV_REG_CR3), get_cr3());
	rax = hv_get_vp_registers(hc, vp->vp_index, HV_INPUT_VTL_CURRENT, &name, 1, v);
	VTL_CHECK(V0_GET_OWN_EXPLICIT, HV_STATUS(rax) ? ~0ull : v[0].low, get_cr3());

	rax = hv_get_vp_registers_fast(HV_VP_INDEX_SELF, HV_INPUT_VTL_CURRENT, fast_names, 4, v);
	VTL_CHECK(V0_FAST_GET_OWN, HV_STATUS(rax) |
		  (v[0].low != get_cr0()) << 16 | (v[1].low != get_cr3()) << 17 |
		  (v[2].low != get_cr4()) << 18 | (v[3].low != rdmsr(MSR_EFER)) << 19, 0);

	vtl_set_reg(hc, HV_INPUT_VTL_CURRENT, HV_REG_SYSENTER_CS, VTL0_SYSENTER_CS);
	VTL_CHECK(V0_SET_OWN, rdmsr(MSR_IA32_SYSENTER_CS), VTL0_SYSENTER_CS);

	name = HV_REG_VSM_PARTITION_CONFIG;
	rax = hv_get_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL_CURRENT, &name, 1, v);
	VTL_CHECK(V0_PARTITION_CONFIG, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);
	name = HV_REG_VSM_VP_SECURE_CONFIG_VTL0;
	rax = hv_get_vp_registers(hc, HV_VP_INDEX_SELF, HV_INPUT_VTL_CURRENT, &name, 1, v);
	VTL_CHECK(V0_SECURE_CONFIG, HV_STATUS(rax), HV_STATUS_INVALID_PARAMETER);
}

static void guest_code(struct vtl_vp *vp)
{
	struct vtl_gprs regs = {};

	vtl0_enable_hypercalls(vp);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, vp->assist[0].gpa | 1);
	vtl0_enable_vtl1(vp);
	vtl0_checks(vp);

	vtl_set_cr8(VTL0_CR8);
	wrmsr(MSR_LSTAR, VTL0_LSTAR);
	wrmsr(MSR_STAR, VTL0_STAR);
	wrmsr(MSR_CSTAR, VTL0_CSTAR);
	wrmsr(MSR_SYSCALL_MASK, VTL0_SFMASK);
	wrmsr(MSR_KERNEL_GS_BASE, VTL0_KERNEL_GS_BASE);
	wrmsr(MSR_IA32_SYSENTER_CS, VTL0_SYSENTER_CS);
	wrmsr(MSR_IA32_SYSENTER_EIP, VTL0_SYSENTER_EIP);
	wrmsr(MSR_IA32_SYSENTER_ESP, VTL0_SYSENTER_ESP);
	wrmsr(MSR_FS_BASE, VTL0_FS_BASE);
	wrmsr(MSR_GS_BASE, VTL0_GS_BASE);

	vtl0.rflags = vtl_get_rflags();
	vtl0.cr0 = get_cr0();
	vtl0.cr3 = get_cr3();
	vtl0.cr4 = get_cr4();
	vtl0.efer = rdmsr(MSR_EFER);
	vtl0.dr7 = vtl_get_dr7();
	vtl0.pat = rdmsr(MSR_IA32_CR_PAT);
	vtl0.apic_base = rdmsr(MSR_IA32_APICBASE);
	vtl0.hypercall = rdmsr(HV_X64_MSR_HYPERCALL);
	vtl0.vp_assist = rdmsr(HV_X64_MSR_VP_ASSIST_PAGE);
	vtl0.ds = get_ds();
	vtl0.es = get_es();
	vtl0.ss = get_ss();
	vtl0.gs = get_gs();
	vtl_seg_from_gdt(&vtl0.cs, get_cs());
	vtl_seg_from_gdt(&vtl0.tr, get_tr());
	vtl0.gdt = get_gdt();
	vtl0.idt = get_idt();
	vtl0_regs = &regs;

	vtl_call_regs(&regs);

	VTL_CHECK(A_ALT_RESUME, vtl_alt_resume_count, 1);
	VTL_CHECK(A_CR8, vtl_get_cr8(), NEW_CR8);
	VTL_CHECK(A_LSTAR, rdmsr(MSR_LSTAR), NEW_LSTAR);
	VTL_CHECK(A_STAR, rdmsr(MSR_STAR), NEW_STAR);
	VTL_CHECK(A_SFMASK, rdmsr(MSR_SYSCALL_MASK), NEW_SFMASK);
	VTL_CHECK(A_KERNEL_GS_BASE, rdmsr(MSR_KERNEL_GS_BASE), NEW_KERNEL_GS_BASE);
	GUEST_DONE();
}

int main(void)
{
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));

	ksft_print_header();
	ksft_set_plan(NR_CHECKS);
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	vm = vtl_vm_create(1, guest_code, &vcpu);
	vtl_vp_setup(vcpu, vtl1_handler);

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, &checks), UCALL_DONE);

	vtl_checks_finish(&checks);
	kvm_vm_free(vm);
	ksft_finished();
}
