// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hyper-V Virtual Secure Mode (VSM): the guest ABI of the Hyper-V TLFS
 * ("Virtual Secure Mode" chapter) on top of KVM's VTL core in vtl/.
 *
 * VTL call and return, VTL enabling and VP register access are handled here,
 * inside KVM_RUN; nothing exits to userspace.
 */
#include <linux/bitfield.h>
#include <linux/kvm_host.h>
#include <linux/unaligned.h>

#include "x86.h"
#include "lapic.h"
#include "mmu.h"
#include "fpu.h"
#include "hyperv.h"
#include "hyperv_vsm.h"
#include "kvm_cache_regs.h"
#include "kvm_emulate.h"
#include "vtl/vtl.h"

#define HV_STATUS_INVALID_PARTITION_ID		0x000d
#define HV_STATUS_INVALID_VP_INDEX		0x000e
#define HV_STATUS_INVALID_VP_STATE		0x0015
#define HV_STATUS_INVALID_REGISTER_VALUE	0x0050
#define HV_STATUS_INVALID_VTL_STATE		0x0051

/* HV_INPUT_VTL (TLFS 1.1) */
#define HV_INPUT_VTL_TARGET			GENMASK(3, 0)
#define HV_INPUT_VTL_USE_TARGET			BIT(4)
#define HV_INPUT_VTL_RESERVED			GENMASK(7, 5)

/* HV_VTL_ENTRY_REASON (TLFS 8.2) */
#define HV_VTL_ENTRY_VTL_CALL			1
#define HV_VTL_ENTRY_INTERRUPT			2

/* HV_VP_VTL_CONTROL in the VP assist page (TLFS 8.1) */
#define HV_VP_ASSIST_ENTRY_REASON		8
#define HV_VP_ASSIST_VTL_RETURN_RAX		16
#define HV_VP_ASSIST_VTL_RETURN_RCX		24

/* VtlReturn control input: bit 0 FastReturn, the rest RsvdZ (TLFS 5.4). */
#define HV_VTL_RETURN_FAST			BIT_ULL(0)

/* Register names (TLFS 7.1) */
#define HV_REG_RAX				0x00020000
#define HV_REG_RSP				0x00020004
#define HV_REG_R15				0x0002000f
#define HV_REG_RIP				0x00020010
#define HV_REG_RFLAGS				0x00020011
#define HV_REG_CR0				0x00040000
#define HV_REG_CR2				0x00040001
#define HV_REG_CR3				0x00040002
#define HV_REG_CR4				0x00040003
#define HV_REG_CR8				0x00040004
#define HV_REG_DR7				0x00050005
#define HV_REG_ES				0x00060000
#define HV_REG_TR				0x00060007
#define HV_REG_IDTR				0x00070000
#define HV_REG_GDTR				0x00070001
#define HV_REG_EFER				0x00080001
#define HV_REG_KERNEL_GS_BASE			0x00080002
#define HV_REG_APIC_BASE			0x00080003
#define HV_REG_PAT				0x00080004
#define HV_REG_SYSENTER_CS			0x00080005
#define HV_REG_SYSENTER_EIP			0x00080006
#define HV_REG_SYSENTER_ESP			0x00080007
#define HV_REG_STAR				0x00080008
#define HV_REG_LSTAR				0x00080009
#define HV_REG_CSTAR				0x0008000a
#define HV_REG_SFMASK				0x0008000b
#define HV_REG_TSC_AUX				0x0008007b
#define HV_REG_HYPERCALL			0x00090001
#define HV_REG_GUEST_OS_ID			0x00090002
#define HV_REG_VP_INDEX				0x00090003
#define HV_REG_VP_ASSIST_PAGE			0x00090013
#define HV_REG_SINT0				0x000a0000
#define HV_REG_SINT15				0x000a000f
#define HV_REG_SCONTROL				0x000a0010
#define HV_REG_SVERSION				0x000a0011
#define HV_REG_SIEFP				0x000a0012
#define HV_REG_SIMP				0x000a0013
#define HV_REG_VSM_CODE_PAGE_OFFSETS		0x000d0002
#define HV_REG_VSM_VP_STATUS			0x000d0003
#define HV_REG_VSM_PARTITION_STATUS		0x000d0004
#define HV_REG_VSM_VINA				0x000d0005
#define HV_REG_VSM_CAPABILITIES			0x000d0006
#define HV_REG_VSM_PARTITION_CONFIG		0x000d0007
#define HV_REG_VSM_VP_SECURE_CONFIG_VTL0	0x000d0010

/* HvRegisterVsmPartitionConfig bits KVM implements (TLFS 7.2) */
#define HV_VSM_CONFIG_ENABLE_VTL_PROTECTION	BIT_ULL(0)
#define HV_VSM_CONFIG_DEFAULT_MASK		GENMASK_ULL(4, 1)
#define HV_VSM_CONFIG_ZERO_MEMORY_ON_RESET	BIT_ULL(5)
#define HV_VSM_CONFIG_DENY_LOWER_VTL_STARTUP	BIT_ULL(6)
#define HV_VSM_CONFIG_SUPPORTED	(HV_VSM_CONFIG_ENABLE_VTL_PROTECTION | \
				 HV_VSM_CONFIG_DEFAULT_MASK | \
				 HV_VSM_CONFIG_ZERO_MEMORY_ON_RESET | \
				 HV_VSM_CONFIG_DENY_LOWER_VTL_STARTUP)

#define HV_VSM_CAP_DR6_SHARED			BIT_ULL(0)

/* HvRegisterVsmVpSecureConfigVtlN: only TlbLocked; no MBEC yet. */
#define HV_VSM_VP_SECURE_CONFIG_TLB_LOCKED	BIT_ULL(1)

/*
 * The hypercall page with VSM.  The offsets are KVM's own: Hyper-V does not
 * publish its layout, so guests read HvRegisterVsmCodePageOffsets.
 */
#define HV_VSM_STUB_VTL_CALL32			0x10
#define HV_VSM_STUB_VTL_CALL64			0x20
#define HV_VSM_STUB_VTL_RETURN32		0x30
#define HV_VSM_STUB_VTL_RETURN64		0x40

struct hv_vsm_vp_registers_hdr {
	u64 partition_id;
	u32 vp_index;
	u8 input_vtl;
	u8 reserved[3];
} __packed;

struct hv_vsm_register_assoc {
	u32 name;
	u32 reserved1;
	u64 reserved2;
	u64 value[2];
} __packed;

struct hv_vsm_enable_partition_vtl {
	u64 partition_id;
	u8 target_vtl;
	u8 flags;
	u8 reserved[6];
} __packed;

struct hv_vsm_segment {
	u64 base;
	u32 limit;
	u16 selector;
	u16 attributes;
} __packed;

struct hv_vsm_table {
	u16 pad[3];
	u16 limit;
	u64 base;
} __packed;

struct hv_vsm_initial_vp_context {
	u64 rip;
	u64 rsp;
	u64 rflags;
	struct hv_vsm_segment cs, ds, es, fs, gs, ss, tr, ldtr;
	struct hv_vsm_table idtr, gdtr;
	u64 efer;
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 msr_cr_pat;
} __packed;

/* HvCallEnableVpVtl and HvCallStartVirtualProcessor input (TLFS 5.3, 5.6) */
struct hv_vsm_vp_context_input {
	u64 partition_id;
	u32 vp_index;
	u8 target_vtl;
	u8 reserved[3];
	struct hv_vsm_initial_vp_context ctx;
} __packed;

static_assert(sizeof(struct hv_vsm_vp_context_input) == 240);
static_assert(sizeof(struct hv_vsm_register_assoc) == 32);

/* The largest fast input: RDX:R8 plus XMM0-XMM5 (TLFS 2.3). */
#define HV_VSM_FAST_INPUT_SIZE	(16 + 16 * HV_HYPERCALL_MAX_XMM_REGISTERS)

static inline u64 hv_vsm_result(u16 status, u32 reps)
{
	return status | ((u64)reps << HV_HYPERCALL_REP_COMP_OFFSET);
}

bool kvm_hv_vsm_hypercall_code(struct kvm_vcpu *vcpu, u16 code)
{
	/* Only vCPUs of a VM with VSM have VTL state. */
	if (!vcpu->arch.vtl_state)
		return false;

	switch (code) {
	case HVCALL_MODIFY_VTL_PROTECTION_MASK:
	case HVCALL_ENABLE_PARTITION_VTL:
	case HVCALL_ENABLE_VP_VTL:
	case HVCALL_VTL_CALL:
	case HVCALL_VTL_RETURN:
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
	case HVCALL_GET_VP_ID_FROM_APIC_ID:
	case HVCALL_START_VP:
		return true;
	}
	return false;
}

/*
 * Read a whole hypercall input, from memory or from the fast registers.
 * Memory blocks are 8-byte aligned and may not cross a page (TLFS 2.3).
 */
static u16 hv_vsm_read_input(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc,
			     void *data, size_t len)
{
	u8 fast[HV_VSM_FAST_INPUT_SIZE];

	if (hc->fast) {
		if (len > sizeof(fast))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		memcpy(fast, &hc->ingpa, 8);
		memcpy(fast + 8, &hc->outgpa, 8);
		memcpy(fast + 16, hc->xmm, sizeof(hc->xmm));
		memcpy(data, fast, len);
		return HV_STATUS_SUCCESS;
	}
	if (!IS_ALIGNED(hc->ingpa, 8))
		return HV_STATUS_INVALID_ALIGNMENT;
	if (offset_in_page(hc->ingpa) + len > PAGE_SIZE)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	/* KVM reads for the caller's VTL, under its protections. */
	if (!kvm_vtl_gpa_allowed(vcpu, hc->ingpa, KVM_VTL_PROT_READ))
		return HV_STATUS_ACCESS_DENIED;
	if (kvm_vcpu_read_guest(vcpu, hc->ingpa, data, len))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	return HV_STATUS_SUCCESS;
}

/*
 * The input block of a memory-form hypercall that hyperv.c or the VMM
 * handles is read for the caller's VTL, under its rights, like the VSM
 * calls' own: a block the caller may not read fails the call with
 * ACCESS_DENIED before KVM or the VMM reads it.  The extended (0x8001+)
 * calls are left to the VMM, which knows their input and output.
 */
u64 kvm_hv_vsm_check_memory_input(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc)
{
	switch (hc->code) {
	case HVCALL_SIGNAL_EVENT:
	case HVCALL_POST_MESSAGE:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX:
	case HVCALL_SEND_IPI:
	case HVCALL_SEND_IPI_EX:
	case HVCALL_POST_DEBUG_DATA:
	case HVCALL_RETRIEVE_DEBUG_DATA:
		if (!kvm_vtl_gpa_allowed(vcpu, hc->ingpa, KVM_VTL_PROT_READ))
			return HV_STATUS_ACCESS_DENIED;
	}
	return HV_STATUS_SUCCESS;
}

/*
 * Write output to memory, where rep element i sits at its own position, or,
 * for fast calls, to the XMM registers after the last one that held input
 * (TLFS 2.3, "XMM fast output").
 */
static u16 hv_vsm_write_output(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc,
			       size_t in_len, size_t out_off, const void *data,
			       size_t len)
{
	int reg = DIV_ROUND_UP(in_len, 16) - 1;
	sse128_t val;
	size_t off;

	if (!hc->fast) {
		if (!IS_ALIGNED(hc->outgpa, 8))
			return HV_STATUS_INVALID_ALIGNMENT;
		if (offset_in_page(hc->outgpa) + out_off + len > PAGE_SIZE)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		if (!kvm_vtl_gpa_allowed(vcpu, hc->outgpa, KVM_VTL_PROT_READ |
					 KVM_VTL_PROT_WRITE))
			return HV_STATUS_ACCESS_DENIED;
		if (kvm_vcpu_write_guest(vcpu, hc->outgpa + out_off, data, len))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		return HV_STATUS_SUCCESS;
	}

	if (reg + DIV_ROUND_UP(len, 16) > HV_HYPERCALL_MAX_XMM_REGISTERS)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	kvm_fpu_get();
	for (off = 0; off < len; off += 16, reg++) {
		memset(&val, 0, sizeof(val));
		memcpy(&val, data + off, min_t(size_t, 16, len - off));
		_kvm_write_sse_reg(reg, &val);
	}
	kvm_fpu_put();
	return HV_STATUS_SUCCESS;
}

static struct kvm_vcpu *hv_vsm_vp(struct kvm_vcpu *vcpu, u32 vp_index)
{
	if (vp_index == HV_VP_INDEX_SELF)
		return vcpu;
	return kvm_hv_vcpu_by_vpidx(vcpu->kvm, vp_index);
}

/* The next higher VTL enabled on the vCPU: a VtlCall cannot skip one. */
static int hv_vsm_higher_vtl(struct kvm_vcpu *vcpu)
{
	u16 enabled = kvm_vtl_vcpu_enabled_set(vcpu) & ~GENMASK(vcpu->arch.vtl, 0);

	return enabled ? __ffs(enabled) : -1;
}

/*
 * The active VTL's VP assist page, through the cache KVM keeps for it (and
 * swaps with the VTL's bank).
 */
static void hv_vsm_write_vp_assist(struct kvm_vcpu *vcpu, unsigned int offset,
				   void *data, unsigned int len)
{
	if (kvm_hv_assist_page_enabled(vcpu))
		kvm_write_guest_offset_cached(vcpu->kvm, &vcpu->arch.pv_eoi.data,
					      data, offset, len);
}

static u64 hv_vsm_read_vp_assist(struct kvm_vcpu *vcpu, unsigned int offset)
{
	u64 val = 0;

	if (kvm_hv_assist_page_enabled(vcpu))
		kvm_read_guest_offset_cached(vcpu->kvm, &vcpu->arch.pv_eoi.data,
					     &val, offset, sizeof(val));
	return val;
}

/* Enter a higher VTL and tell it why in its VTL control area (TLFS 8.1). */
static int hv_vsm_enter(struct kvm_vcpu *vcpu, u8 vtl, u32 reason)
{
	struct kvm_vcpu_vtl *vtls = to_vcpu_vtl(vcpu);
	u8 from = vcpu->arch.vtl;
	int r;

	r = kvm_vtl_switch(vcpu, vtl);
	if (r)
		return r;
	vtls->return_vtl[vtl] = from;
	hv_vsm_write_vp_assist(vcpu, HV_VP_ASSIST_ENTRY_REASON, &reason,
			       sizeof(reason));
	/* Interrupts the lower VTL had pending wait until it runs again. */
	if (vcpu->arch.mp_state == KVM_MP_STATE_HALTED)
		vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	return 0;
}

/* A VTL switch KVM cannot perform leaves the guest unrunnable. */
static int hv_vsm_switch_failed(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	vcpu->run->internal.ndata = 0;
	return 0;
}

/*
 * HvCallVtlCall and HvCallVtlReturn (TLFS 5.4) do not use the I/O block
 * ABI: the hypercall page stub puts the call code in RCX and the caller's
 * control input in RAX.  Bad control input is #UD, and no status is written,
 * because every general purpose register but RSP is shared between VTLs.
 */
int kvm_hv_vsm_vtl_switch_hypercall(struct kvm_vcpu *vcpu,
				    struct kvm_hv_hcall *hc)
{
	bool longmode = is_64_bit_hypercall(vcpu);
	u64 control, rax = 0, rcx = 0;
	int target, r;

	if (longmode) {
		control = kvm_rax_read(vcpu);
		if (hc->param != hc->code)
			goto ud;
	} else {
		control = (hc->param & ~0xffffffffull) | (u32)kvm_rcx_read(vcpu);
	}

	if (hc->code == HVCALL_VTL_CALL) {
		target = hv_vsm_higher_vtl(vcpu);
		if (control || target < 0)
			goto ud;
		/* The caller resumes after its call instruction. */
		if (!kvm_skip_emulated_instruction(vcpu))
			return 0;
		r = hv_vsm_enter(vcpu, target, HV_VTL_ENTRY_VTL_CALL);
		return r ? hv_vsm_switch_failed(vcpu) : 1;
	}

	target = to_vcpu_vtl(vcpu)->return_vtl[vcpu->arch.vtl];
	if ((control & ~HV_VTL_RETURN_FAST) || !vcpu->arch.vtl ||
	    !kvm_vtl_vcpu_enabled(vcpu, target))
		goto ud;

	/*
	 * A normal return restores the lower VTL's RAX and RCX from the
	 * returning VTL's VTL control area, so that a VTL entered
	 * asynchronously can return without disturbing them.  KVM does not
	 * fill these fields on entry (as OpenVMM); the higher VTL does.
	 */
	if (!(control & HV_VTL_RETURN_FAST)) {
		rax = hv_vsm_read_vp_assist(vcpu, HV_VP_ASSIST_VTL_RETURN_RAX);
		rcx = hv_vsm_read_vp_assist(vcpu, HV_VP_ASSIST_VTL_RETURN_RCX);
	}
	/* The returning VTL resumes after its VtlReturn when next entered. */
	if (!kvm_skip_emulated_instruction(vcpu))
		return 0;
	if (kvm_vtl_switch(vcpu, target))
		return hv_vsm_switch_failed(vcpu);
	if (!(control & HV_VTL_RETURN_FAST)) {
		kvm_rax_write(vcpu, rax);
		kvm_rcx_write(vcpu, rcx);
	}
	/*
	 * SINTs pending for a higher VTL are re-evaluated at once, and those
	 * of the VTL returned to are raised.
	 */
	kvm_make_request(KVM_REQ_HV_VSM_ENTRY, vcpu);
	return 1;

ud:
	kvm_queue_exception(vcpu, UD_VECTOR);
	return 1;
}

static u16 hv_vsm_enable_partition_vtl(struct kvm_vcpu *vcpu,
				       struct kvm_hv_hcall *hc)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(vcpu->kvm);
	struct hv_vsm_enable_partition_vtl in;
	u16 status;
	u8 caller = vcpu->arch.vtl;

	if (hc->rep)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = hv_vsm_read_input(vcpu, hc, &in, sizeof(in));
	if (status)
		return status;

	if (in.partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	/* No MBEC, supervisor shadow stack or HVPT yet. */
	if (in.flags || memchr_inv(in.reserved, 0, sizeof(in.reserved)))
		return HV_STATUS_INVALID_PARAMETER;
	if (!in.target_vtl || in.target_vtl >= vtl->nr_vtls)
		return HV_STATUS_INVALID_PARAMETER;

	mutex_lock(&vtl->lock);
	/*
	 * A VTL enables any lower VTL, or the next higher one if it is the
	 * highest enabled VTL below it (TLFS 5.2).  Already enabled is
	 * INVALID_VTL_STATE, as in Microsoft's OpenHCL.
	 */
	if (vtl->enabled & BIT(in.target_vtl))
		status = HV_STATUS_INVALID_VTL_STATE;
	else if (in.target_vtl > caller &&
		 (vtl->enabled & GENMASK(in.target_vtl, caller + 1)))
		status = HV_STATUS_ACCESS_DENIED;
	else
		vtl->enabled |= BIT(in.target_vtl);
	mutex_unlock(&vtl->lock);
	return status;
}

static void hv_vsm_segment_to_kvm(struct kvm_segment *k,
				  const struct hv_vsm_segment *h)
{
	u16 a = h->attributes;

	*k = (struct kvm_segment) {
		.base = h->base, .limit = h->limit, .selector = h->selector,
		.type = a & 0xf, .s = (a >> 4) & 1, .dpl = (a >> 5) & 3,
		.present = (a >> 7) & 1, .avl = (a >> 12) & 1,
		.l = (a >> 13) & 1, .db = (a >> 14) & 1, .g = (a >> 15) & 1,
	};
	k->unusable = !k->present;
}

static void hv_vsm_segment_from_kvm(struct hv_vsm_segment *h,
				    const struct kvm_segment *k)
{
	h->base = k->base;
	h->limit = k->limit;
	h->selector = k->selector;
	h->attributes = k->type | k->s << 4 | k->dpl << 5 | k->present << 7 |
			k->avl << 12 | k->l << 13 | k->db << 14 | k->g << 15;
}

/* HV_INITIAL_VP_CONTEXT names only part of the private state (TLFS 5.3). */
static void hv_vsm_apply_context(struct kvm_vtl_bank *bank,
				 const struct hv_vsm_initial_vp_context *c)
{
	struct kvm_sregs *s = &bank->sregs;

	bank->rip = c->rip;
	bank->rsp = c->rsp;
	bank->rflags = c->rflags;
	hv_vsm_segment_to_kvm(&s->cs, &c->cs);
	hv_vsm_segment_to_kvm(&s->ds, &c->ds);
	hv_vsm_segment_to_kvm(&s->es, &c->es);
	hv_vsm_segment_to_kvm(&s->fs, &c->fs);
	hv_vsm_segment_to_kvm(&s->gs, &c->gs);
	hv_vsm_segment_to_kvm(&s->ss, &c->ss);
	hv_vsm_segment_to_kvm(&s->tr, &c->tr);
	hv_vsm_segment_to_kvm(&s->ldt, &c->ldtr);
	s->idt.base = c->idtr.base;
	s->idt.limit = c->idtr.limit;
	s->gdt.base = c->gdtr.base;
	s->gdt.limit = c->gdtr.limit;
	s->efer = c->efer;
	s->cr0 = c->cr0;
	s->cr3 = c->cr3;
	s->cr4 = c->cr4;
	bank->msrs[KVM_VTL_MSR_PAT] = c->msr_cr_pat;
}

/* A fresh bank: reset state overlaid with HV_INITIAL_VP_CONTEXT. */
static void hv_vsm_bank_from_context(struct kvm_vtl_bank *bank,
				     const struct hv_vsm_initial_vp_context *c)
{
	kvm_vtl_bank_init(bank);
	hv_vsm_apply_context(bank, c);
}

/*
 * Read and check what EnableVpVtl and StartVirtualProcessor share (TLFS
 * 5.3, 5.6): the partition, the target VP, a VTL the partition can have,
 * and a context valid on the target.  @bank gets the context as a fresh
 * bank, for the check.
 */
static u16 hv_vsm_read_vp_context(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc,
				  struct hv_vsm_vp_context_input *in,
				  struct kvm_vtl_bank *bank, u8 min_vtl,
				  struct kvm_vcpu **target)
{
	u16 status;

	if (hc->rep || hc->fast)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = hv_vsm_read_input(vcpu, hc, in, sizeof(*in));
	if (status)
		return status;
	if (in->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	*target = hv_vsm_vp(vcpu, in->vp_index);
	if (!*target || !(*target)->arch.vtl_state)
		return HV_STATUS_INVALID_VP_INDEX;
	if (memchr_inv(in->reserved, 0, sizeof(in->reserved)) ||
	    in->target_vtl < min_vtl ||
	    in->target_vtl >= to_kvm_vtl(vcpu->kvm)->nr_vtls)
		return HV_STATUS_INVALID_PARAMETER;

	/* Both calls start a VTL directly in protected mode (TLFS 5.3). */
	hv_vsm_bank_from_context(bank, &in->ctx);
	if (!(in->ctx.cr0 & X86_CR0_PE) || !kvm_vtl_bank_valid(*target, bank))
		return HV_STATUS_INVALID_REGISTER_VALUE;
	return HV_STATUS_SUCCESS;
}

static u16 hv_vsm_enable_vp_vtl(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(vcpu->kvm);
	struct hv_vsm_vp_context_input *in;
	struct kvm_vtl_bank *bank;
	struct kvm_vcpu *target;
	struct kvm_vcpu_vtl *tv;
	u16 status, enabled;
	int highest;

	in = kzalloc(sizeof(*in), GFP_KERNEL_ACCOUNT);
	bank = kzalloc(sizeof(*bank), GFP_KERNEL_ACCOUNT);
	status = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!in || !bank)
		goto out;
	status = hv_vsm_read_vp_context(vcpu, hc, in, bank, 1, &target);
	if (status)
		goto out;

	mutex_lock(&vtl->lock);
	tv = to_vcpu_vtl(target);
	enabled = kvm_vtl_vcpu_enabled_set(target);
	highest = fls(enabled) - 1;
	if (!(vtl->enabled & BIT(in->target_vtl)))
		status = HV_STATUS_INVALID_VTL_STATE;
	else if (enabled & BIT(in->target_vtl))
		status = HV_STATUS_VTL_ALREADY_ENABLED;
	/*
	 * Only an equal or higher VTL may enable a VTL on a VP, except that
	 * the highest VTL enabled on the VP may enable a higher one; that is
	 * how VTL0 bootstraps VTL1 (TLFS 5.3).
	 */
	else if (vcpu->arch.vtl < in->target_vtl && vcpu->arch.vtl != highest)
		status = HV_STATUS_ACCESS_DENIED;
	else
		status = HV_STATUS_SUCCESS;
	if (!status) {
		tv->bank[in->target_vtl] = *bank;
		/* Pairs with kvm_vtl_vcpu_enabled_set(): bank before bit. */
		smp_store_release(&tv->enabled, enabled | BIT(in->target_vtl));
	}
	mutex_unlock(&vtl->lock);
out:
	kfree(bank);
	kfree(in);
	return status;
}

/* A StartVirtualProcessor the target VP has not taken yet. */
struct kvm_vtl_start {
	u8 vtl;
	struct hv_vsm_initial_vp_context ctx;
};

/*
 * kvm_vcpu_vtl.start once the VP took a start, until it waits for SIPI
 * again: a second start must fail even before the first one has made the
 * vCPU runnable.
 */
#define HV_VSM_START_TAKEN	((struct kvm_vtl_start *)ERR_PTR(-EALREADY))

/* Like INIT-SIPI, StartVirtualProcessor starts only a VP waiting for SIPI. */
static bool hv_vsm_vp_startable(struct kvm_vcpu *vcpu)
{
	int mp_state = READ_ONCE(vcpu->arch.mp_state);

	return mp_state == KVM_MP_STATE_UNINITIALIZED ||
	       mp_state == KVM_MP_STATE_INIT_RECEIVED;
}

/* DenyLowerVtlStartup set by any VTL above @vtl (TLFS 7.2). */
static bool hv_vsm_startup_denied(struct kvm *kvm, u8 vtl)
{
	struct kvm_vtl_vm *pvtl = to_kvm_vtl(kvm);

	while (++vtl < pvtl->nr_vtls)
		if (READ_ONCE(pvtl->partition_config[vtl]) &
		    HV_VSM_CONFIG_DENY_LOWER_VTL_STARTUP)
			return true;
	return false;
}

/*
 * HvCallStartVirtualProcessor (TLFS 5.6).  The status codes follow
 * OpenHCL: a VP cannot start itself, a VTL can start a VP only in its own
 * or a lower VTL, and only once that VTL is enabled on the VP.  The target
 * takes the context on its own thread, in kvm_hv_vsm_accept_start().
 */
static u16 hv_vsm_start_vp(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc)
{
	struct hv_vsm_vp_context_input *in;
	struct kvm_vtl_start *start;
	struct kvm_vtl_bank *bank;
	struct kvm_vcpu *target;
	u16 status;

	in = kzalloc(sizeof(*in), GFP_KERNEL_ACCOUNT);
	bank = kzalloc(sizeof(*bank), GFP_KERNEL_ACCOUNT);
	start = kzalloc(sizeof(*start), GFP_KERNEL_ACCOUNT);
	status = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!in || !bank || !start)
		goto out;
	status = hv_vsm_read_vp_context(vcpu, hc, in, bank, 0, &target);
	if (status)
		goto out;

	if (target == vcpu)
		status = HV_STATUS_INVALID_VP_INDEX;
	else if (in->target_vtl > vcpu->arch.vtl ||
		 hv_vsm_startup_denied(vcpu->kvm, vcpu->arch.vtl))
		status = HV_STATUS_ACCESS_DENIED;
	else if (!kvm_vtl_vcpu_enabled(target, in->target_vtl) ||
		 !hv_vsm_vp_startable(target))
		status = HV_STATUS_INVALID_VP_STATE;
	if (status)
		goto out;

	start->vtl = in->target_vtl;
	start->ctx = in->ctx;
	/* One start at a time: a second one finds the VP already started. */
	if (cmpxchg(&to_vcpu_vtl(target)->start, NULL, start)) {
		status = HV_STATUS_INVALID_VP_STATE;
		goto out;
	}
	start = NULL;
	kvm_make_request(KVM_REQ_HV_VSM_ENTRY, target);
	kvm_vcpu_kick(target);
out:
	kfree(start);
	kfree(bank);
	kfree(in);
	return status;
}

/*
 * Called where the vCPU takes INIT and SIPI.  A start that finds the VP
 * running (it took a SIPI since) is dropped, as a SIPI would be.
 */
void kvm_hv_vsm_accept_start(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vtl *vvtl = to_vcpu_vtl(vcpu);
	struct kvm_vtl_start *start;
	struct kvm_vtl_bank *bank;
	int idx, r;

	if (!vvtl)
		return;
	start = READ_ONCE(vvtl->start);
	if (!start)
		return;
	if (start == HV_VSM_START_TAKEN) {
		/* An INIT since the start: the VP can be started again. */
		if (hv_vsm_vp_startable(vcpu))
			cmpxchg(&vvtl->start, HV_VSM_START_TAKEN, NULL);
		return;
	}
	start = xchg(&vvtl->start, HV_VSM_START_TAKEN);
	/* Started by a SIPI in between: drop it, as a second SIPI would be. */
	if (!hv_vsm_vp_startable(vcpu))
		goto out;

	idx = srcu_read_lock(&vcpu->kvm->srcu);
	bank = kvm_vtl_sync_bank(vcpu, start->vtl);
	hv_vsm_apply_context(bank, &start->ctx);
	if (start->vtl == vcpu->arch.vtl)
		r = kvm_vtl_flush_bank(vcpu, start->vtl);
	else
		r = kvm_vtl_switch(vcpu, start->vtl);
	srcu_read_unlock(&vcpu->kvm->srcu, idx);
	if (!r)
		vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	else
		WRITE_ONCE(vvtl->start, NULL);
out:
	kfree(start);
}

/* HvCallGetVpIndexFromApicId input (TLFS 5.7) */
struct hv_vsm_vp_index_from_apic_id {
	u64 partition_id;
	u8 target_vtl;
	u8 pad[7];
	u32 apic_ids[];
} __packed;

/* The APIC ID the guest sees, as in the MADT KVM's VMMs build. */
static u32 hv_vsm_apic_id(struct kvm_vcpu *vcpu)
{
	if (apic_x2apic_mode(vcpu->arch.apic))
		return vcpu->vcpu_id;
	return kvm_xapic_id(vcpu->arch.apic);
}

static u64 hv_vsm_get_vp_index_from_apic_id(struct kvm_vcpu *vcpu,
					    struct kvm_hv_hcall *hc)
{
	struct hv_vsm_vp_index_from_apic_id *in;
	size_t in_len = 16 + sizeof(u32) * hc->rep_cnt;
	u32 *out = NULL;
	u16 status;
	int i = hc->rep_idx;

	if (!hc->rep_cnt || hc->rep_idx >= hc->rep_cnt)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	in = kzalloc(in_len, GFP_KERNEL_ACCOUNT);
	out = kcalloc(hc->rep_cnt, sizeof(u32), GFP_KERNEL_ACCOUNT);
	status = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!in || !out)
		goto out;
	status = hv_vsm_read_input(vcpu, hc, in, in_len);
	if (status)
		goto out;
	status = HV_STATUS_INVALID_PARTITION_ID;
	if (in->partition_id != HV_PARTITION_ID_SELF)
		goto out;
	status = HV_STATUS_INVALID_PARAMETER;
	if (memchr_inv(in->pad, 0, sizeof(in->pad)))
		goto out;
	status = HV_STATUS_INVALID_VTL_STATE;
	if (in->target_vtl >= KVM_VTL_MAX_NR ||
	    !(to_kvm_vtl(vcpu->kvm)->enabled & BIT(in->target_vtl)))
		goto out;

	status = HV_STATUS_SUCCESS;
	for (; i < hc->rep_cnt; i++) {
		struct kvm_vcpu *v;
		unsigned long idx;
		bool found = false;

		kvm_for_each_vcpu(idx, v, vcpu->kvm) {
			if (v->arch.apic && hv_vsm_apic_id(v) == in->apic_ids[i]) {
				out[i] = kvm_hv_get_vpindex(v);
				found = true;
				break;
			}
		}
		if (!found) {
			status = HV_STATUS_INVALID_PARAMETER;
			break;
		}
	}
	/* Output elements are packed u32s, as OpenVMM and Linux use them. */
	if (i > hc->rep_idx) {
		u16 wstatus = hv_vsm_write_output(vcpu, hc, in_len,
						  sizeof(u32) * hc->rep_idx,
						  out + hc->rep_idx,
						  sizeof(u32) * (i - hc->rep_idx));

		if (wstatus) {
			status = wstatus;
			i = hc->rep_idx;
		}
	}
out:
	kfree(out);
	kfree(in);
	return hv_vsm_result(status, i);
}

/*
 * The protection set a VTL applies to pages it never changed: its
 * DefaultVtlProtectionMask once EnableVtlProtection is set (TLFS 6.4).
 */
u8 kvm_hv_vsm_default_protection(u64 config)
{
	if (!(config & HV_VSM_CONFIG_ENABLE_VTL_PROTECTION))
		return KVM_VTL_PROT_RWX;
	return FIELD_GET(HV_VSM_CONFIG_DEFAULT_MASK, config);
}

bool kvm_hv_vsm_partition_config_valid(u64 config)
{
	return !(config & ~HV_VSM_CONFIG_SUPPORTED);
}

/* The VTL a Get/SetVpRegisters acts on, or an error status. */
/* The VTL an HV_INPUT_VTL names (TLFS 1.1): the caller's or a lower one. */
static u16 hv_vsm_input_vtl(struct kvm_vcpu *vcpu, u8 input_vtl, u8 *vtl)
{
	if (input_vtl & HV_INPUT_VTL_RESERVED)
		return HV_STATUS_INVALID_PARAMETER;
	*vtl = vcpu->arch.vtl;
	if (input_vtl & HV_INPUT_VTL_USE_TARGET)
		*vtl = input_vtl & HV_INPUT_VTL_TARGET;
	if (*vtl > vcpu->arch.vtl)
		return HV_STATUS_ACCESS_DENIED;
	return HV_STATUS_SUCCESS;
}

static u16 hv_vsm_register_target(struct kvm_vcpu *vcpu,
				  const struct hv_vsm_vp_registers_hdr *hdr,
				  u8 *vtl)
{
	struct kvm_vcpu *target;

	u16 status;

	if (hdr->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (memchr_inv(hdr->reserved, 0, sizeof(hdr->reserved)))
		return HV_STATUS_INVALID_PARAMETER;
	target = hv_vsm_vp(vcpu, hdr->vp_index);
	if (!target)
		return HV_STATUS_INVALID_VP_INDEX;
	/* Another VP's registers would race with that VP running. */
	if (target != vcpu)
		return HV_STATUS_ACCESS_DENIED;

	/* A VTL never reads or writes a higher VTL's state (TLFS 5.5). */
	status = hv_vsm_input_vtl(vcpu, hdr->input_vtl, vtl);
	if (status)
		return status;
	if (!kvm_vtl_vcpu_enabled(vcpu, *vtl))
		return HV_STATUS_INVALID_VTL_STATE;
	return HV_STATUS_SUCCESS;
}

static struct kvm_segment *hv_vsm_bank_segment(struct kvm_vtl_bank *bank,
					       u32 name)
{
	struct kvm_sregs *s = &bank->sregs;
	/* Es, Cs, Ss, Ds, Fs, Gs, Ldtr, Tr */
	struct kvm_segment *segs[] = {
		&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs, &s->ldt, &s->tr,
	};

	return segs[name - HV_REG_ES];
}

static int hv_vsm_bank_msr(u32 name)
{
	switch (name) {
	case HV_REG_KERNEL_GS_BASE:
		return KVM_VTL_MSR_KERNEL_GS_BASE;
	case HV_REG_PAT:
		return KVM_VTL_MSR_PAT;
	case HV_REG_SYSENTER_CS:
		return KVM_VTL_MSR_SYSENTER_CS;
	case HV_REG_SYSENTER_EIP:
		return KVM_VTL_MSR_SYSENTER_EIP;
	case HV_REG_SYSENTER_ESP:
		return KVM_VTL_MSR_SYSENTER_ESP;
	case HV_REG_STAR:
		return KVM_VTL_MSR_STAR;
	case HV_REG_LSTAR:
		return KVM_VTL_MSR_LSTAR;
	case HV_REG_CSTAR:
		return KVM_VTL_MSR_CSTAR;
	case HV_REG_SFMASK:
		return KVM_VTL_MSR_SFMASK;
	case HV_REG_TSC_AUX:
		return KVM_VTL_MSR_TSC_AUX;
	}
	return -1;
}

static u32 hv_vsm_synic_msr(u32 name)
{
	if (name >= HV_REG_SINT0 && name <= HV_REG_SINT15)
		return HV_X64_MSR_SINT0 + name - HV_REG_SINT0;
	switch (name) {
	case HV_REG_SCONTROL:
		return HV_X64_MSR_SCONTROL;
	case HV_REG_SVERSION:
		return HV_X64_MSR_SVERSION;
	case HV_REG_SIEFP:
		return HV_X64_MSR_SIEFP;
	case HV_REG_SIMP:
		return HV_X64_MSR_SIMP;
	}
	return 0;
}

static u64 hv_vsm_code_page_offsets(struct kvm_vtl_bank *bank)
{
	if ((bank->sregs.efer & EFER_LMA) && bank->sregs.cs.l)
		return HV_VSM_STUB_VTL_CALL64 | HV_VSM_STUB_VTL_RETURN64 << 12;
	return HV_VSM_STUB_VTL_CALL32 | HV_VSM_STUB_VTL_RETURN32 << 12;
}

static u16 hv_vsm_get_register(struct kvm_vcpu *vcpu, u8 vtl,
			       struct kvm_vtl_bank *bank, u32 name, u64 val[2])
{
	struct kvm_vtl_vm *pvtl = to_kvm_vtl(vcpu->kvm);
	struct kvm_vcpu_vtl *vvtl = to_vcpu_vtl(vcpu);
	struct hv_vsm_segment seg;
	struct hv_vsm_table tbl;
	int msr;

	val[0] = 0;
	val[1] = 0;
	if (name >= HV_REG_RAX && name <= HV_REG_R15 && name != HV_REG_RSP) {
		val[0] = kvm_register_read_raw(vcpu, name - HV_REG_RAX);
		return HV_STATUS_SUCCESS;
	}
	if (name >= HV_REG_ES && name <= HV_REG_TR) {
		hv_vsm_segment_from_kvm(&seg, hv_vsm_bank_segment(bank, name));
		memcpy(val, &seg, sizeof(seg));
		return HV_STATUS_SUCCESS;
	}
	msr = hv_vsm_bank_msr(name);
	if (msr >= 0) {
		val[0] = bank->msrs[msr];
		return HV_STATUS_SUCCESS;
	}
	if (hv_vsm_synic_msr(name))
		return kvm_hv_synic_vtl_get_msr(vcpu, vtl, hv_vsm_synic_msr(name),
						&val[0]) ?
		       HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
	if (name >= HV_REG_VSM_VP_SECURE_CONFIG_VTL0 &&
	    name < HV_REG_VSM_VP_SECURE_CONFIG_VTL0 + vtl) {
		val[0] = vvtl->secure_config[vtl][name - HV_REG_VSM_VP_SECURE_CONFIG_VTL0];
		return HV_STATUS_SUCCESS;
	}

	switch (name) {
	case HV_REG_RSP:
		val[0] = bank->rsp;
		break;
	case HV_REG_RIP:
		val[0] = bank->rip;
		break;
	case HV_REG_RFLAGS:
		val[0] = bank->rflags;
		break;
	case HV_REG_CR0:
		val[0] = bank->sregs.cr0;
		break;
	case HV_REG_CR2:
		val[0] = vcpu->arch.cr2;
		break;
	case HV_REG_CR3:
		val[0] = bank->sregs.cr3;
		break;
	case HV_REG_CR4:
		val[0] = bank->sregs.cr4;
		break;
	case HV_REG_CR8:
		val[0] = bank->sregs.cr8;
		break;
	case HV_REG_DR7:
		val[0] = bank->dr7;
		break;
	case HV_REG_EFER:
		val[0] = bank->sregs.efer;
		break;
	case HV_REG_APIC_BASE:
		val[0] = vcpu->arch.apic_base;
		break;
	case HV_REG_IDTR:
	case HV_REG_GDTR: {
		struct kvm_dtable *dt = name == HV_REG_IDTR ? &bank->sregs.idt :
							      &bank->sregs.gdt;

		memset(&tbl, 0, sizeof(tbl));
		tbl.base = dt->base;
		tbl.limit = dt->limit;
		memcpy(val, &tbl, sizeof(tbl));
		break;
	}
	case HV_REG_HYPERCALL:
		val[0] = to_kvm_hv(vcpu->kvm)->hv_hypercall[vtl];
		break;
	case HV_REG_GUEST_OS_ID:
		val[0] = to_kvm_hv(vcpu->kvm)->hv_guest_os_id[vtl];
		break;
	case HV_REG_VP_INDEX:
		val[0] = kvm_hv_get_vpindex(vcpu);
		break;
	case HV_REG_VP_ASSIST_PAGE:
		val[0] = bank->hv_vp_assist;
		break;
	case HV_REG_VSM_CODE_PAGE_OFFSETS:
		val[0] = hv_vsm_code_page_offsets(bank);
		break;
	case HV_REG_VSM_VP_STATUS:
		val[0] = vcpu->arch.vtl |
			 (u64)kvm_vtl_vcpu_enabled_set(vcpu) << 16;
		break;
	case HV_REG_VSM_PARTITION_STATUS:
		val[0] = pvtl->enabled | (u64)(pvtl->nr_vtls - 1) << 16;
		break;
	case HV_REG_VSM_VINA:
		val[0] = vvtl->vina[vtl];
		break;
	case HV_REG_VSM_CAPABILITIES:
		/*
		 * KVM does not bank DR6, so it is shared (bit 0, Dr6Shared,
		 * numbered LSB-first as in Microsoft's code).  No MBEC and
		 * none of the [impl] features.
		 */
		val[0] = HV_VSM_CAP_DR6_SHARED;
		break;
	case HV_REG_VSM_PARTITION_CONFIG:
		if (!vtl)
			return HV_STATUS_INVALID_PARAMETER;
		val[0] = pvtl->partition_config[vtl];
		break;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}
	return HV_STATUS_SUCCESS;
}

static u16 hv_vsm_set_partition_config(struct kvm_vcpu *vcpu, u8 vtl, u64 data)
{
	struct kvm_vtl_vm *pvtl = to_kvm_vtl(vcpu->kvm);
	u16 status = HV_STATUS_SUCCESS;
	u64 old;

	if (!vtl)
		return HV_STATUS_INVALID_PARAMETER;
	if (!kvm_hv_vsm_partition_config_valid(data))
		return HV_STATUS_INVALID_REGISTER_VALUE;

	mutex_lock(&pvtl->lock);
	old = pvtl->partition_config[vtl];
	/*
	 * EnableVtlProtection is write-once, and the default protection is
	 * fixed once protection is enabled (TLFS 6.4).
	 */
	if ((old & HV_VSM_CONFIG_ENABLE_VTL_PROTECTION) &&
	    ((old ^ data) & (HV_VSM_CONFIG_ENABLE_VTL_PROTECTION |
			     HV_VSM_CONFIG_DEFAULT_MASK)))
		status = HV_STATUS_INVALID_REGISTER_VALUE;
	else
		kvm_vtl_set_partition_config(vcpu->kvm, vtl, data);
	mutex_unlock(&pvtl->lock);
	return status;
}

/*
 * SetVpRegisters checks values only as far as the architecture requires
 * and has no side effects (TLFS 5.5): state written to an inactive VTL
 * takes effect when that VTL is next entered.
 */
static u16 hv_vsm_set_register(struct kvm_vcpu *vcpu, u8 vtl,
			       struct kvm_vtl_bank *bank, u32 name,
			       const u64 val[2])
{
	struct kvm_vcpu_vtl *vvtl = to_vcpu_vtl(vcpu);
	struct hv_vsm_segment seg;
	struct hv_vsm_table tbl;
	struct kvm_vtl_bank *trial;
	u64 data = val[0];
	u16 status = HV_STATUS_SUCCESS;
	int msr;

	if (name >= HV_REG_RAX && name <= HV_REG_R15 && name != HV_REG_RSP) {
		kvm_register_write_raw(vcpu, name - HV_REG_RAX, data);
		return HV_STATUS_SUCCESS;
	}
	if (hv_vsm_synic_msr(name)) {
		if (name == HV_REG_SVERSION)
			return HV_STATUS_INVALID_PARAMETER;
		return kvm_hv_synic_vtl_set_msr(vcpu, vtl, hv_vsm_synic_msr(name),
						data) ?
		       HV_STATUS_INVALID_REGISTER_VALUE : HV_STATUS_SUCCESS;
	}
	if (name >= HV_REG_VSM_VP_SECURE_CONFIG_VTL0 &&
	    name < HV_REG_VSM_VP_SECURE_CONFIG_VTL0 + vtl) {
		if (data & ~HV_VSM_VP_SECURE_CONFIG_TLB_LOCKED)
			return HV_STATUS_INVALID_REGISTER_VALUE;
		vvtl->secure_config[vtl][name - HV_REG_VSM_VP_SECURE_CONFIG_VTL0] = data;
		return HV_STATUS_SUCCESS;
	}

	switch (name) {
	case HV_REG_CR2:
		vcpu->arch.cr2 = data;
		return HV_STATUS_SUCCESS;
	case HV_REG_GUEST_OS_ID:
		to_kvm_hv(vcpu->kvm)->hv_guest_os_id[vtl] = data;
		return HV_STATUS_SUCCESS;
	case HV_REG_HYPERCALL:
		if (data & ~(HV_X64_MSR_HYPERCALL_PAGE_ADDRESS_MASK |
			     HV_X64_MSR_HYPERCALL_ENABLE))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		to_kvm_hv(vcpu->kvm)->hv_hypercall[vtl] = data;
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_VINA:
		vvtl->vina[vtl] = data;
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_PARTITION_CONFIG:
		return hv_vsm_set_partition_config(vcpu, vtl, data);
	}

	/* Private register state: apply to a copy, keep it if it is valid. */
	trial = kmemdup(bank, sizeof(*bank), GFP_KERNEL_ACCOUNT);
	if (!trial)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	msr = hv_vsm_bank_msr(name);
	if (msr >= 0) {
		trial->msrs[msr] = data;
	} else if (name >= HV_REG_ES && name <= HV_REG_TR) {
		memcpy(&seg, val, sizeof(seg));
		hv_vsm_segment_to_kvm(hv_vsm_bank_segment(trial, name), &seg);
	} else {
		switch (name) {
		case HV_REG_RSP:
			trial->rsp = data;
			break;
		case HV_REG_RIP:
			trial->rip = data;
			break;
		case HV_REG_RFLAGS:
			trial->rflags = data;
			break;
		case HV_REG_CR0:
			trial->sregs.cr0 = data;
			break;
		case HV_REG_CR3:
			trial->sregs.cr3 = data;
			break;
		case HV_REG_CR4:
			trial->sregs.cr4 = data;
			break;
		case HV_REG_CR8:
			trial->sregs.cr8 = data;
			break;
		case HV_REG_DR7:
			trial->dr7 = data;
			break;
		case HV_REG_EFER:
			trial->sregs.efer = data;
			break;
		case HV_REG_IDTR:
		case HV_REG_GDTR: {
			struct kvm_dtable *dt = name == HV_REG_IDTR ?
						&trial->sregs.idt : &trial->sregs.gdt;

			memcpy(&tbl, val, sizeof(tbl));
			dt->base = tbl.base;
			dt->limit = tbl.limit;
			break;
		}
		case HV_REG_VP_ASSIST_PAGE:
			if (kvm_vtl_bank_set_vp_assist(vcpu, trial, data))
				status = HV_STATUS_INVALID_REGISTER_VALUE;
			break;
		default:
			/* Unknown names, and read-only ones (TLFS 5.5). */
			status = HV_STATUS_INVALID_PARAMETER;
		}
	}
	if (!status && !kvm_vtl_bank_valid(vcpu, trial))
		status = HV_STATUS_INVALID_REGISTER_VALUE;
	if (!status)
		*bank = *trial;
	kfree(trial);
	return status;
}

static u64 hv_vsm_get_vp_registers(struct kvm_vcpu *vcpu,
				   struct kvm_hv_hcall *hc)
{
	size_t in_len = sizeof(struct hv_vsm_vp_registers_hdr) +
			sizeof(u32) * hc->rep_cnt;
	struct hv_vsm_vp_registers_hdr *hdr;
	struct kvm_vtl_bank *bank;
	u64 (*out)[2] = NULL;
	u32 *names;
	u16 status;
	u8 vtl;
	int i = hc->rep_idx;

	if (!hc->rep_cnt || hc->rep_idx >= hc->rep_cnt)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	/* Fast: names and values must fit in XMM0-XMM5 together. */
	if (hc->fast && DIV_ROUND_UP(in_len, 16) - 1 + hc->rep_cnt >
			HV_HYPERCALL_MAX_XMM_REGISTERS)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;

	hdr = kzalloc(in_len, GFP_KERNEL_ACCOUNT);
	out = kcalloc(hc->rep_cnt, sizeof(*out), GFP_KERNEL_ACCOUNT);
	status = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!hdr || !out)
		goto out;
	status = hv_vsm_read_input(vcpu, hc, hdr, in_len);
	if (!status)
		status = hv_vsm_register_target(vcpu, hdr, &vtl);
	if (status)
		goto out;

	names = (u32 *)(hdr + 1);
	bank = kvm_vtl_sync_bank(vcpu, vtl);
	for (; i < hc->rep_cnt; i++) {
		status = hv_vsm_get_register(vcpu, vtl, bank, names[i], out[i]);
		if (status)
			break;
	}
	if (i > hc->rep_idx) {
		u16 wstatus = hv_vsm_write_output(vcpu, hc, in_len,
						  sizeof(*out) * hc->rep_idx,
						  out + hc->rep_idx,
						  sizeof(*out) * (i - hc->rep_idx));

		/* Nothing was written: no element completed. */
		if (wstatus) {
			status = wstatus;
			i = hc->rep_idx;
		}
	}
out:
	kfree(out);
	kfree(hdr);
	return hv_vsm_result(status, i);
}

static u64 hv_vsm_set_vp_registers(struct kvm_vcpu *vcpu,
				   struct kvm_hv_hcall *hc)
{
	size_t in_len = sizeof(struct hv_vsm_vp_registers_hdr) +
			sizeof(struct hv_vsm_register_assoc) * hc->rep_cnt;
	struct hv_vsm_vp_registers_hdr *hdr;
	struct hv_vsm_register_assoc *regs;
	struct kvm_vtl_bank *bank;
	u16 status;
	u8 vtl;
	int i = hc->rep_idx;

	if (!hc->rep_cnt || hc->rep_idx >= hc->rep_cnt)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;

	hdr = kzalloc(in_len, GFP_KERNEL_ACCOUNT);
	if (!hdr)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	status = hv_vsm_read_input(vcpu, hc, hdr, in_len);
	if (!status)
		status = hv_vsm_register_target(vcpu, hdr, &vtl);
	if (status)
		goto out;

	regs = (struct hv_vsm_register_assoc *)(hdr + 1);
	bank = kvm_vtl_sync_bank(vcpu, vtl);
	for (; i < hc->rep_cnt; i++) {
		status = HV_STATUS_INVALID_PARAMETER;
		if (regs[i].reserved1 || regs[i].reserved2)
			break;
		status = hv_vsm_set_register(vcpu, vtl, bank, regs[i].name,
					     regs[i].value);
		if (status)
			break;
	}
	/* Every value was checked, so loading the live VTL cannot fail. */
	WARN_ON_ONCE(kvm_vtl_flush_bank(vcpu, vtl));
out:
	kfree(hdr);
	return hv_vsm_result(status, i);
}

/* HvCallModifyVtlProtectionMask input (TLFS 5.1) */
struct hv_vsm_modify_vtl_protection_mask {
	u64 partition_id;
	u32 map_flags;
	u8 input_vtl;
	u8 reserved[3];
	u64 gpn[];
} __packed;

/*
 * The protection set to change: the set the target VTL owns, which
 * restricts every lower VTL (Microsoft's reading, TLFS 13 item 4).  A VTL
 * changes its own set only once it enabled protection (OpenHCL).
 */
static u16 hv_vsm_protection_owner(struct kvm_vcpu *vcpu,
				   const struct hv_vsm_modify_vtl_protection_mask *in,
				   u8 *owner)
{
	struct kvm_vtl_vm *pvtl = to_kvm_vtl(vcpu->kvm);
	u16 status;

	if (in->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (memchr_inv(in->reserved, 0, sizeof(in->reserved)))
		return HV_STATUS_INVALID_PARAMETER;
	status = hv_vsm_input_vtl(vcpu, in->input_vtl, owner);
	if (status)
		return status;
	/* VTL0 owns no set: nothing is below it. */
	if (!*owner)
		return HV_STATUS_INVALID_PARAMETER;
	if (*owner == vcpu->arch.vtl &&
	    !(READ_ONCE(pvtl->partition_config[*owner]) &
	      HV_VSM_CONFIG_ENABLE_VTL_PROTECTION))
		return HV_STATUS_ACCESS_DENIED;
	/* Only the legal combinations (TLFS 6.2); no MBEC. */
	if (!kvm_vtl_prot_valid(in->map_flags & 0xff, false) ||
	    (in->map_flags & ~0xffu))
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

/*
 * Apply @prot to the GPNs, consecutive ones as one run, as one change with
 * at most one TLB flush.  Returns how many GPNs, in list order, were
 * applied: all of them unless KVM ran out of memory.
 */
static int hv_vsm_protect_gpns(struct kvm_vcpu *vcpu, u8 owner, u8 prot,
			       const u64 *gpn, int nr)
{
	struct kvm_vtl_gfn_run *runs;
	int i, n = 0, done;

	runs = kmalloc_array(nr, sizeof(*runs), GFP_KERNEL_ACCOUNT);
	if (!runs)
		return 0;
	for (i = 0; i < nr; i++) {
		if (n && gpn[i] == runs[n - 1].last + 1) {
			runs[n - 1].last++;
			continue;
		}
		runs[n++] = (struct kvm_vtl_gfn_run){ .first = gpn[i], .last = gpn[i] };
	}
	done = kvm_vtl_protect_runs(vcpu->kvm, owner, prot, runs, n);
	/* The GPNs of the applied runs come first in the list. */
	for (i = 0, nr = 0; i < done; i++)
		nr += runs[i].last - runs[i].first + 1;
	kfree(runs);
	return nr;
}

/*
 * The index of the first GPN in @gpn[@i..@nr) that is not guest RAM, or
 * @nr.  A run of consecutive GPNs costs one memslot lookup per memslot it
 * spans, not one per GPN.
 */
static int hv_vsm_first_invalid_gpn(struct kvm_vcpu *vcpu, const u64 *gpn,
				    int i, int nr)
{
	struct kvm_memory_slot *slot = NULL;

	for (; i < nr; i++) {
		if (slot && gpn[i] >= slot->base_gfn &&
		    gpn[i] < slot->base_gfn + slot->npages)
			continue;
		if (gpn[i] > kvm_mmu_max_gfn())
			return i;
		slot = kvm_vcpu_gfn_to_memslot(vcpu, gpn[i]);
		if (!kvm_is_visible_memslot(slot))
			return i;
	}
	return nr;
}

/*
 * HvCallModifyVtlProtectionMask (TLFS 5.1).  GPNs that are not guest RAM
 * fail the call with HV_STATUS_INVALID_PARAMETER; the elements before the
 * first such GPN are applied and counted as completed (TLFS 2.2).
 */
static u64 hv_vsm_modify_vtl_protection_mask(struct kvm_vcpu *vcpu,
					     struct kvm_hv_hcall *hc)
{
	struct hv_vsm_modify_vtl_protection_mask *in;
	size_t in_len = sizeof(*in) + sizeof(u64) * hc->rep_cnt;
	int i = hc->rep_idx, done;
	u16 status;
	u8 owner;

	if (!hc->rep_cnt || hc->rep_idx >= hc->rep_cnt)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	in = kzalloc(in_len, GFP_KERNEL_ACCOUNT);
	if (!in)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	status = hv_vsm_read_input(vcpu, hc, in, in_len);
	if (!status)
		status = hv_vsm_protection_owner(vcpu, in, &owner);
	if (status)
		goto out;

	i = hv_vsm_first_invalid_gpn(vcpu, in->gpn, i, hc->rep_cnt);
	if (i < hc->rep_cnt)
		status = HV_STATUS_INVALID_PARAMETER;
	if (i > hc->rep_idx) {
		done = hv_vsm_protect_gpns(vcpu, owner, in->map_flags,
					   in->gpn + hc->rep_idx, i - hc->rep_idx);
		if (done < i - hc->rep_idx) {
			status = HV_STATUS_INSUFFICIENT_MEMORY;
			i = hc->rep_idx + done;
		}
	}
out:
	kfree(in);
	return hv_vsm_result(status, i);
}

/*
 * With KVM_VTL_PARTITION_USERSPACE_PROTECTION the VMM, not KVM, handles
 * HvCallModifyVtlProtectionMask: it gets the call as KVM_EXIT_HYPERV_HCALL
 * and applies it with KVM_SET_VTL_PROTECTION.
 */
bool kvm_hv_vsm_hypercall_to_userspace(struct kvm_vcpu *vcpu,
				       struct kvm_hv_hcall *hc)
{
	return hc->code == HVCALL_MODIFY_VTL_PROTECTION_MASK &&
	       (READ_ONCE(to_kvm_vtl(vcpu->kvm)->flags) &
		KVM_VTL_PARTITION_USERSPACE_PROTECTION);
}

/*
 * KVM's own VTL hypercalls (<linux/kvm_vtl.h>), which the VMM enables:
 * KVM_VTL_HC_SET_WRITE_MASK lets the caller's VTL give lower VTLs write
 * access to 128-byte sub-pages of pages its own set denies W (vsm.rst
 * 4.11).  Fast form only: RDX is the GPA of the first page, R8 the page
 * count (63:32) and the mask (31:0).  Status codes as in the TLFS.
 */
u64 kvm_hv_vsm_kvm_hypercall(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc)
{
	u32 npages = hc->outgpa >> 32, mask = lower_32_bits(hc->outgpa), i;
	gfn_t gfn = gpa_to_gfn(hc->ingpa);

	if (hc->param != (KVM_VTL_HC_MARK | KVM_VTL_HC_SET_WRITE_MASK))
		return (hc->param & ~(KVM_VTL_HC_MARK | 0xffff)) ?
		       HV_STATUS_INVALID_HYPERCALL_INPUT :
		       HV_STATUS_INVALID_HYPERCALL_CODE;
	/* VTL0 owns no protection set. */
	if (!vcpu->arch.vtl)
		return HV_STATUS_ACCESS_DENIED;
	if (!npages || npages > KVM_VTL_HC_MAX_PAGES || offset_in_page(hc->ingpa))
		return HV_STATUS_INVALID_PARAMETER;
	for (i = 0; i < npages; i++)
		if (gfn + i > kvm_mmu_max_gfn() ||
		    !kvm_vcpu_is_visible_gfn(vcpu, gfn + i))
			return HV_STATUS_INVALID_PARAMETER;
	if (kvm_vtl_guest_set_write_mask(vcpu, gfn, npages, mask))
		return HV_STATUS_INSUFFICIENT_MEMORY;
	return HV_STATUS_SUCCESS;
}

u64 kvm_hv_vsm_hypercall(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc)
{
	switch (hc->code) {
	case HVCALL_ENABLE_PARTITION_VTL:
		return hv_vsm_enable_partition_vtl(vcpu, hc);
	case HVCALL_ENABLE_VP_VTL:
		return hv_vsm_enable_vp_vtl(vcpu, hc);
	case HVCALL_GET_VP_REGISTERS:
		return hv_vsm_get_vp_registers(vcpu, hc);
	case HVCALL_SET_VP_REGISTERS:
		return hv_vsm_set_vp_registers(vcpu, hc);
	case HVCALL_GET_VP_ID_FROM_APIC_ID:
		return hv_vsm_get_vp_index_from_apic_id(vcpu, hc);
	case HVCALL_START_VP:
		return hv_vsm_start_vp(vcpu, hc);
	case HVCALL_MODIFY_VTL_PROTECTION_MASK:
		return hv_vsm_modify_vtl_protection_mask(vcpu, hc);
	}
	return HV_STATUS_INVALID_HYPERCALL_CODE;
}

/*
 * Write the VTL call and return stubs into a hypercall page: the caller's
 * control input moves to RAX (ECX in 32-bit code) and the call code to RCX
 * (EAX), as in Microsoft's OpenVMM.
 */
int kvm_hv_vsm_write_vtl_stubs(struct kvm_vcpu *vcpu, gpa_t page)
{
	static const struct {
		u8 offset;
		u8 prefix[3];
		u8 prefix_len;
		u8 movimm;
		u16 code;
	} stubs[] = {
		/* mov ecx,eax; mov eax,imm32 */
		{ HV_VSM_STUB_VTL_CALL32,   { 0x89, 0xc1 }, 2, 0xb8, HVCALL_VTL_CALL },
		{ HV_VSM_STUB_VTL_RETURN32, { 0x89, 0xc1 }, 2, 0xb8, HVCALL_VTL_RETURN },
		/* mov rax,rcx; mov ecx,imm32 */
		{ HV_VSM_STUB_VTL_CALL64,   { 0x48, 0x89, 0xc8 }, 3, 0xb9, HVCALL_VTL_CALL },
		{ HV_VSM_STUB_VTL_RETURN64, { 0x48, 0x89, 0xc8 }, 3, 0xb9, HVCALL_VTL_RETURN },
	};
	u8 insn[16];
	int i, n;

	for (i = 0; i < ARRAY_SIZE(stubs); i++) {
		n = stubs[i].prefix_len;
		memcpy(insn, stubs[i].prefix, n);
		insn[n++] = stubs[i].movimm;
		put_unaligned_le32(stubs[i].code, &insn[n]);
		n += 4;
		kvm_x86_call(patch_hypercall)(vcpu, &insn[n]);
		n += 3;
		insn[n++] = 0xc3;	/* ret */
		if (kvm_vcpu_write_guest(vcpu, page + stubs[i].offset, insn, n))
			return -EFAULT;
	}
	return 0;
}

static bool hv_vsm_vtl_has_pending(struct kvm_vcpu *vcpu, int vtl)
{
	return READ_ONCE(to_vcpu_vtl(vcpu)->pending_sints[vtl]) != 0;
}

/* A VTL above the active one with SINTs waiting, the highest first. */
static int hv_vsm_pending_vtl(struct kvm_vcpu *vcpu)
{
	int vtl;

	for (vtl = KVM_VTL_MAX_NR - 1; vtl > vcpu->arch.vtl; vtl--)
		if (kvm_vtl_vcpu_enabled(vcpu, vtl) &&
		    hv_vsm_vtl_has_pending(vcpu, vtl))
			return vtl;
	return -1;
}

bool kvm_hv_vsm_entry_pending(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.vtl_state && hv_vsm_pending_vtl(vcpu) >= 0;
}

/*
 * A SINT of a VTL that is not running: the vCPU first enters that VTL and
 * only then raises the SINT, because all VTLs share one local APIC.
 */
void kvm_hv_vsm_raise_sint(struct kvm_vcpu *vcpu, u8 vtl, u32 sint)
{
	struct kvm_vcpu_vtl *vvtl = to_vcpu_vtl(vcpu);

	if (WARN_ON_ONCE(!vvtl))
		return;
	/*
	 * A SINT for a lower VTL waits until the VP runs there again; one for
	 * a higher VTL enters it.
	 */
	set_bit(sint, &vvtl->pending_sints[vtl]);
	kvm_make_request(KVM_REQ_HV_VSM_ENTRY, vcpu);
	kvm_vcpu_kick(vcpu);
}

/*
 * Interrupts for a higher VTL switch the VP to it at once, regardless of
 * either VTL's RFLAGS.IF, with entry reason "interrupt" (TLFS 10).
 */
void kvm_hv_vsm_process_entry(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vtl *vvtl = to_vcpu_vtl(vcpu);
	int vtl = hv_vsm_pending_vtl(vcpu);
	unsigned long sints;
	int sint;

	if (!vvtl)
		return;
	kvm_hv_vsm_accept_start(vcpu);
	if (vtl >= 0 && hv_vsm_enter(vcpu, vtl, HV_VTL_ENTRY_INTERRUPT))
		return;
	sints = xchg(&vvtl->pending_sints[vcpu->arch.vtl], 0);
	for_each_set_bit(sint, &sints, HV_SYNIC_SINT_COUNT)
		kvm_hv_synic_vtl_set_irq(vcpu, vcpu->arch.vtl, sint);
}

/* The x64 intercept message header (TLFS 11.3) */
struct hv_vsm_intercept_header {
	u32 vp_index;
	u8 instruction_length_cr8;	/* 3:0 instruction length, 7:4 CR8 */
	u8 access_type;
	u16 execution_state;
	struct hv_vsm_segment cs;
	u64 rip;
	u64 rflags;
} __packed;

/* HV_X64_MEMORY_INTERCEPT_MESSAGE (TLFS 11.4) */
struct hv_vsm_memory_intercept {
	struct hv_vsm_intercept_header header;
	u32 cache_type;
	u8 instruction_byte_count;
	u8 memory_access_info;
	u8 tpr_priority;
	u8 reserved;
	u64 gva;
	u64 gpa;
	u8 instruction_bytes[16];
} __packed;

static_assert(sizeof(struct hv_vsm_intercept_header) == 40);
static_assert(sizeof(struct hv_vsm_memory_intercept) == 80);

#define HV_VSM_EXEC_STATE_CR0_PE		BIT(2)
#define HV_VSM_EXEC_STATE_CR0_AM		BIT(3)
#define HV_VSM_EXEC_STATE_EFER_LMA		BIT(4)
#define HV_VSM_EXEC_STATE_DEBUG_ACTIVE		BIT(5)
#define HV_VSM_EXEC_STATE_VTL_SHIFT		7
#define HV_VSM_EXEC_STATE_INTERRUPT_SHADOW	BIT(12)

#define HV_VSM_CACHE_TYPE_WRITEBACK		6
#define HV_VSM_INTERCEPTION_SINT		0

static u16 hv_vsm_execution_state(struct kvm_vcpu *vcpu)
{
	u16 state = kvm_x86_call(get_cpl)(vcpu) & 3;

	if (kvm_is_cr0_bit_set(vcpu, X86_CR0_PE))
		state |= HV_VSM_EXEC_STATE_CR0_PE;
	if (kvm_is_cr0_bit_set(vcpu, X86_CR0_AM))
		state |= HV_VSM_EXEC_STATE_CR0_AM;
	if (is_long_mode(vcpu))
		state |= HV_VSM_EXEC_STATE_EFER_LMA;
	if (kvm_get_dr(vcpu, 7) & DR7_BP_EN_MASK)
		state |= HV_VSM_EXEC_STATE_DEBUG_ACTIVE;
	if (kvm_x86_call(get_interrupt_shadow)(vcpu))
		state |= HV_VSM_EXEC_STATE_INTERRUPT_SHADOW;
	return state | (vcpu->arch.vtl & 0xf) << HV_VSM_EXEC_STATE_VTL_SHIFT;
}

/*
 * The bytes at CS:RIP, as many of the 16 as the faulting VTL's page tables
 * map, and the length of the instruction they start with (0 if it does not
 * decode), so that the higher VTL can emulate it and skip it.  KVM reads
 * them for the higher VTL, so the lower VTL's rights to the code page do
 * not apply.  When the instruction emulator is the one that faulted, it
 * has decoded the instruction already (unless it faulted fetching it), and
 * decoding again would clobber its state.
 */
static void hv_vsm_fetch_instruction(struct kvm_vcpu *vcpu,
				     const struct kvm_segment *cs,
				     struct hv_vsm_memory_intercept *m,
				     u8 access, bool emulating)
{
	struct x86_emulate_ctxt *ctxt = vcpu->arch.emulate_ctxt;
	unsigned long linear = kvm_rip_read(vcpu);
	unsigned int n, total = 0;
	gpa_t gpa;

	if (emulating) {
		total = min_t(unsigned int, sizeof(m->instruction_bytes),
			      ctxt->fetch.end - ctxt->fetch.data);
		memcpy(m->instruction_bytes, ctxt->fetch.data, total);
		m->instruction_byte_count = total;
		if (access != HV_VSM_ACCESS_EXECUTE)
			m->header.instruction_length_cr8 =
				(ctxt->_eip - ctxt->eip) & 0xf;
		return;
	}

	if (!is_64_bit_mode(vcpu))
		linear = (u32)(linear + cs->base);
	while (total < sizeof(m->instruction_bytes)) {
		n = min_t(unsigned int, sizeof(m->instruction_bytes) - total,
			  PAGE_SIZE - offset_in_page(linear + total));
		gpa = kvm_mmu_gva_to_gpa_read(vcpu, linear + total, NULL);
		if (gpa == INVALID_GPA ||
		    kvm_vcpu_read_guest(vcpu, gpa, m->instruction_bytes + total, n))
			break;
		total += n;
	}
	m->instruction_byte_count = total;
	if (total && x86_decode_emulated_instruction(vcpu, 0, m->instruction_bytes,
						     total) == EMULATION_OK)
		m->header.instruction_length_cr8 = (ctxt->_eip - ctxt->eip) & 0xf;
}

/*
 * A lower VTL's access that VTL @to_vtl's protections forbid: post a
 * GpaIntercept message to @to_vtl's SINT0 (TLFS 11.5), which enters that
 * VTL with EntryReason 2 before the guest runs again.  The access is not
 * retired.  Fails if @to_vtl's SynIC cannot take the message.
 */
int kvm_hv_vsm_memory_intercept(struct kvm_vcpu *vcpu, u8 to_vtl, gpa_t gpa,
				u8 access, bool emulating)
{
	struct hv_vsm_memory_intercept *m;
	struct kvm_segment cs;
	struct hv_message msg;

	if (!to_hv_vcpu(vcpu))
		return -ENXIO;

	memset(&msg, 0, sizeof(msg));
	msg.header.message_type = HVMSG_GPA_INTERCEPT;
	msg.header.payload_size = sizeof(*m);
	m = (void *)msg.u.payload;

	kvm_get_segment(vcpu, &cs, VCPU_SREG_CS);
	hv_vsm_fetch_instruction(vcpu, &cs, m, access, emulating);
	m->header.vp_index = kvm_hv_get_vpindex(vcpu);
	m->header.instruction_length_cr8 |= kvm_get_cr8(vcpu) << 4;
	m->header.access_type = access;
	m->header.execution_state = hv_vsm_execution_state(vcpu);
	hv_vsm_segment_from_kvm(&m->header.cs, &cs);
	m->header.rip = kvm_rip_read(vcpu);
	m->header.rflags = kvm_get_rflags(vcpu);
	m->cache_type = HV_VSM_CACHE_TYPE_WRITEBACK;
	m->tpr_priority = kvm_get_cr8(vcpu);
	/* The GVA is not known on every vendor's exit: GvaValid stays 0. */
	m->gpa = gpa;

	return kvm_hv_synic_vtl_post(vcpu, to_vtl, HV_VSM_INTERCEPTION_SINT, &msg);
}

int kvm_hv_vsm_post_message(struct kvm_vcpu *vcpu, struct kvm_vtl_message *m)
{
	if (m->flags || m->pad || m->vtl >= KVM_VTL_MAX_NR ||
	    m->sint >= HV_SYNIC_SINT_COUNT || !kvm_vtl_vcpu_enabled(vcpu, m->vtl))
		return -EINVAL;
	if (!to_hv_vcpu(vcpu))
		return -ENXIO;
	return kvm_hv_synic_vtl_post(vcpu, m->vtl, m->sint,
				     (struct hv_message *)m->message);
}

int kvm_hv_vsm_get_vtl_msrs(struct kvm_vcpu *vcpu, u8 vtl,
			    struct kvm_vtl_state *s)
{
	struct kvm_hv *hv = to_kvm_hv(vcpu->kvm);
	int i;

	s->hv_guest_os_id = hv->hv_guest_os_id[vtl];
	s->hv_hypercall = hv->hv_hypercall[vtl];
	if (!to_hv_vcpu(vcpu))
		return 0;
	kvm_hv_synic_vtl_get_msr(vcpu, vtl, HV_X64_MSR_SCONTROL, &s->hv_scontrol);
	kvm_hv_synic_vtl_get_msr(vcpu, vtl, HV_X64_MSR_SIEFP, &s->hv_siefp);
	kvm_hv_synic_vtl_get_msr(vcpu, vtl, HV_X64_MSR_SIMP, &s->hv_simp);
	for (i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		kvm_hv_synic_vtl_get_msr(vcpu, vtl, HV_X64_MSR_SINT0 + i,
					 &s->hv_sint[i]);
	return 0;
}

bool kvm_hv_vsm_vtl_msrs_valid(struct kvm_vcpu *vcpu, u8 vtl,
			       const struct kvm_vtl_state *s)
{
	bool synic = to_hv_vcpu(vcpu) && to_hv_synic_vtl(vcpu, vtl)->active;
	int i;

	if (s->hv_hypercall & ~(HV_X64_MSR_HYPERCALL_PAGE_ADDRESS_MASK |
				HV_X64_MSR_HYPERCALL_ENABLE))
		return false;
	for (i = 0; i < KVM_VTL_ABI_NR; i++)
		if (i >= vtl ? s->vsm_vp_secure_config[i] :
			       s->vsm_vp_secure_config[i] &
			       ~HV_VSM_VP_SECURE_CONFIG_TLB_LOCKED)
			return false;
	if (synic)
		return true;
	/* Without an active SynIC, only its reset state can be set. */
	if (s->hv_scontrol || s->hv_siefp || s->hv_simp)
		return false;
	for (i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		if (s->hv_sint[i] != HV_SYNIC_SINT_MASKED && s->hv_sint[i])
			return false;
	return true;
}

void kvm_hv_vsm_set_vtl_msrs(struct kvm_vcpu *vcpu, u8 vtl,
			     const struct kvm_vtl_state *s)
{
	struct kvm_hv *hv = to_kvm_hv(vcpu->kvm);
	int i;

	hv->hv_guest_os_id[vtl] = s->hv_guest_os_id;
	hv->hv_hypercall[vtl] = s->hv_hypercall;
	if (!to_hv_vcpu(vcpu) || !to_hv_synic_vtl(vcpu, vtl)->active)
		return;
	kvm_hv_synic_vtl_set_msr(vcpu, vtl, HV_X64_MSR_SCONTROL, s->hv_scontrol);
	kvm_hv_synic_vtl_set_msr(vcpu, vtl, HV_X64_MSR_SIEFP, s->hv_siefp);
	kvm_hv_synic_vtl_set_msr(vcpu, vtl, HV_X64_MSR_SIMP, s->hv_simp);
	for (i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		kvm_hv_synic_vtl_set_msr(vcpu, vtl, HV_X64_MSR_SINT0 + i,
					 s->hv_sint[i]);
}
