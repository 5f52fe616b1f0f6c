// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtual trust levels (VTLs): per-vCPU banks of private state, switching
 * between them inside KVM_RUN, and the userspace API to inspect and
 * migrate them.  The Hyper-V ABI on top lives in ../hyperv_vsm.c.
 */
#include <linux/kvm_host.h>

#include "../x86.h"
#include "../lapic.h"
#include "../mmu.h"
#include "../hyperv.h"
#include "../hyperv_vsm.h"
#include "../kvm_cache_regs.h"
#include "vtl.h"

const u32 kvm_vtl_msr_index[KVM_VTL_NR_MSRS] = {
	[KVM_VTL_MSR_PAT]		= MSR_IA32_CR_PAT,
	[KVM_VTL_MSR_SYSENTER_CS]	= MSR_IA32_SYSENTER_CS,
	[KVM_VTL_MSR_SYSENTER_ESP]	= MSR_IA32_SYSENTER_ESP,
	[KVM_VTL_MSR_SYSENTER_EIP]	= MSR_IA32_SYSENTER_EIP,
	[KVM_VTL_MSR_STAR]		= MSR_STAR,
	[KVM_VTL_MSR_LSTAR]		= MSR_LSTAR,
	[KVM_VTL_MSR_CSTAR]		= MSR_CSTAR,
	[KVM_VTL_MSR_SFMASK]		= MSR_SYSCALL_MASK,
	[KVM_VTL_MSR_KERNEL_GS_BASE]	= MSR_KERNEL_GS_BASE,
	[KVM_VTL_MSR_TSC_AUX]		= MSR_TSC_AUX,
};

int kvm_vtl_enable_cap(struct kvm *kvm, u64 nr_vtls)
{
	struct kvm_vtl_vm *vtl;
	int r;

	if (nr_vtls != KVM_VTL_MAX_NR)
		return -EINVAL;
	/* Per-VTL roots and protections are built on the TDP MMU only. */
	if (!tdp_enabled)
		return -EOPNOTSUPP;

	mutex_lock(&kvm->lock);
	r = -EBUSY;
	if (kvm->created_vcpus)
		goto out;
	r = -EINVAL;
	if (kvm->arch.vtl)
		goto out;
	r = -ENOMEM;
	vtl = kzalloc(sizeof(*vtl), GFP_KERNEL_ACCOUNT);
	if (!vtl)
		goto out;
	mutex_init(&vtl->lock);
	kvm_vtl_prot_init(&vtl->prot);
	kvm_vtl_write_masks_init(vtl);
	vtl->nr_vtls = nr_vtls;
	vtl->enabled = BIT(0);
	kvm->arch.vtl = vtl;
	kvm_vtl_write_masks_enable_hw(kvm);
	r = 0;
out:
	mutex_unlock(&kvm->lock);
	return r;
}

void kvm_vtl_destroy_vm(struct kvm *kvm)
{
	if (kvm->arch.vtl) {
		kvm_vtl_prot_destroy(&kvm->arch.vtl->prot);
		kvm_vtl_write_masks_destroy(kvm->arch.vtl);
	}
	kfree(kvm->arch.vtl);
	kvm->arch.vtl = NULL;
}

int kvm_vtl_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vtl *vtl;

	if (!kvm_vtl_enabled(vcpu->kvm))
		return 0;

	vtl = kzalloc(sizeof(*vtl), GFP_KERNEL_ACCOUNT);
	if (!vtl)
		return -ENOMEM;
	vtl->enabled = BIT(0);
	vcpu->arch.vtl_state = vtl;
	return 0;
}

void kvm_vtl_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.vtl_state && !IS_ERR(vcpu->arch.vtl_state->start))
		kfree(vcpu->arch.vtl_state->start);
	kfree(vcpu->arch.vtl_state);
	vcpu->arch.vtl_state = NULL;
}

static void kvm_vtl_init_segment(struct kvm_segment *seg, u16 selector,
				 u64 base, u8 type)
{
	*seg = (struct kvm_segment) {
		.base = base, .limit = 0xffff, .selector = selector,
		.type = type, .present = 1, .s = 1,
	};
}

/* The architectural INIT state, for a VTL enabled without a context. */
void kvm_vtl_bank_init(struct kvm_vtl_bank *bank)
{
	struct kvm_sregs *s = &bank->sregs;

	memset(bank, 0, sizeof(*bank));
	kvm_vtl_init_segment(&s->cs, 0xf000, 0xffff0000, 0xb);
	kvm_vtl_init_segment(&s->ds, 0, 0, 3);
	kvm_vtl_init_segment(&s->es, 0, 0, 3);
	kvm_vtl_init_segment(&s->fs, 0, 0, 3);
	kvm_vtl_init_segment(&s->gs, 0, 0, 3);
	kvm_vtl_init_segment(&s->ss, 0, 0, 3);
	kvm_vtl_init_segment(&s->tr, 0, 0, 0xb);
	s->tr.s = 0;
	kvm_vtl_init_segment(&s->ldt, 0, 0, 2);
	s->ldt.s = 0;
	s->gdt.limit = 0xffff;
	s->idt.limit = 0xffff;
	s->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
	bank->rip = 0xfff0;
	bank->rflags = X86_EFLAGS_FIXED;
	bank->dr7 = DR7_FIXED_1;
	bank->msrs[KVM_VTL_MSR_PAT] = MSR_IA32_CR_PAT_DEFAULT;
}

int kvm_vtl_bank_set_vp_assist(struct kvm_vcpu *vcpu, struct kvm_vtl_bank *bank,
			       u64 data)
{
	gpa_t gpa = data & HV_X64_MSR_VP_ASSIST_PAGE_ADDRESS_MASK;

	if (data & ~(HV_X64_MSR_VP_ASSIST_PAGE_ADDRESS_MASK |
		     HV_X64_MSR_VP_ASSIST_PAGE_ENABLE))
		return -EINVAL;

	if (data & HV_X64_MSR_VP_ASSIST_PAGE_ENABLE) {
		if (kvm_gfn_to_hva_cache_init(vcpu->kvm, &bank->pv_eoi_cache, gpa,
					      sizeof(struct hv_vp_assist_page)))
			return -EINVAL;
		bank->pv_eoi_msr = gpa | KVM_MSR_ENABLED;
	} else {
		bank->pv_eoi_msr = 0;
	}
	bank->hv_vp_assist = data;
	return 0;
}

/* Everything kvm_vtl_load() could refuse, checked before anything changes. */
bool kvm_vtl_bank_valid(struct kvm_vcpu *vcpu, struct kvm_vtl_bank *bank)
{
	static const enum kvm_vtl_msr addr_msrs[] = {
		KVM_VTL_MSR_SYSENTER_ESP, KVM_VTL_MSR_SYSENTER_EIP,
		KVM_VTL_MSR_LSTAR, KVM_VTL_MSR_CSTAR, KVM_VTL_MSR_KERNEL_GS_BASE,
	};
	int i;

	if (!kvm_is_valid_sregs(vcpu, &bank->sregs))
		return false;
	if (!kvm_pat_valid(bank->msrs[KVM_VTL_MSR_PAT]) ||
	    upper_32_bits(bank->msrs[KVM_VTL_MSR_TSC_AUX]) ||
	    upper_32_bits(bank->msrs[KVM_VTL_MSR_SFMASK]))
		return false;
	for (i = 0; i < ARRAY_SIZE(addr_msrs); i++)
		if (is_noncanonical_msr_address(bank->msrs[addr_msrs[i]], vcpu))
			return false;
	return !(bank->rflags & ~GENMASK_ULL(21, 0)) &&
	       (bank->rflags & X86_EFLAGS_FIXED) && kvm_dr7_valid(bank->dr7) &&
	       bank->sregs.cr8 <= 15;
}

void kvm_vtl_save(struct kvm_vcpu *vcpu, struct kvm_vtl_bank *bank)
{
	struct kvm_vcpu_hv *hv_vcpu = to_hv_vcpu(vcpu);
	int i;

	memset(&bank->sregs, 0, sizeof(bank->sregs));
	__get_sregs_common(vcpu, &bank->sregs);
	bank->rip = kvm_rip_read(vcpu);
	bank->rsp = kvm_rsp_read(vcpu);
	bank->rflags = kvm_get_rflags(vcpu);
	bank->dr7 = kvm_get_dr(vcpu, 7);
	for (i = 0; i < KVM_VTL_NR_MSRS; i++)
		if (__kvm_get_msr(vcpu, kvm_vtl_msr_index[i], &bank->msrs[i], true))
			bank->msrs[i] = 0;

	bank->hv_vp_assist = hv_vcpu ? hv_vcpu->hv_vapic : 0;
	bank->pv_eoi_msr = vcpu->arch.pv_eoi.msr_val;
	bank->pv_eoi_cache = vcpu->arch.pv_eoi.data;
}

int kvm_vtl_load(struct kvm_vcpu *vcpu, struct kvm_vtl_bank *bank)
{
	struct kvm_vcpu_hv *hv_vcpu = to_hv_vcpu(vcpu);
	struct kvm_sregs sregs = bank->sregs;
	int mmu_reset_needed = 0;
	int i, r;

	/* CR2 and the APIC base are shared between VTLs. */
	sregs.cr2 = vcpu->arch.cr2;
	sregs.apic_base = vcpu->arch.apic_base;
	r = __set_sregs_common(vcpu, &sregs, &mmu_reset_needed, true);
	if (r)
		return r;

	kvm_rip_write(vcpu, bank->rip);
	kvm_rsp_write(vcpu, bank->rsp);
	kvm_set_rflags(vcpu, bank->rflags);
	kvm_set_dr(vcpu, 7, bank->dr7);
	/*
	 * A value read back from KVM is accepted again; one the hardware
	 * cannot hold (e.g. TSC_AUX without RDTSCP) was saved as 0.
	 */
	for (i = 0; i < KVM_VTL_NR_MSRS; i++)
		__kvm_set_msr(vcpu, kvm_vtl_msr_index[i], bank->msrs[i], true);

	if (hv_vcpu)
		hv_vcpu->hv_vapic = bank->hv_vp_assist;
	vcpu->arch.pv_eoi.msr_val = bank->pv_eoi_msr;
	vcpu->arch.pv_eoi.data = bank->pv_eoi_cache;

	/* A VTL switch is not an instruction boundary the other VTL saw. */
	kvm_x86_call(set_interrupt_shadow)(vcpu, 0);
	kvm_mmu_reset_context(vcpu);
	/*
	 * Both VTLs share the guest's ASID/VPID, so translations one VTL
	 * cached must not leak into the other.
	 */
	kvm_make_request(KVM_REQ_TLB_FLUSH_GUEST, vcpu);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	/* The EOI exit bitmap follows the active VTL's SynIC vectors. */
	kvm_make_request(KVM_REQ_SCAN_IOAPIC, vcpu);
	return 0;
}

/* Switch the live vCPU state to VTL @to.  The caller checked it is enabled. */
int kvm_vtl_switch(struct kvm_vcpu *vcpu, u8 to)
{
	struct kvm_vcpu_vtl *vtl = to_vcpu_vtl(vcpu);
	u8 from = vcpu->arch.vtl;
	int r;

	kvm_vtl_save(vcpu, &vtl->bank[from]);
	vcpu->arch.vtl = to;
	r = kvm_vtl_load(vcpu, &vtl->bank[to]);
	if (r) {
		vcpu->arch.vtl = from;
		WARN_ON_ONCE(kvm_vtl_load(vcpu, &vtl->bank[from]));
	}
	return r;
}

/* The bank of @vtl, brought up to date first if @vtl is live. */
struct kvm_vtl_bank *kvm_vtl_sync_bank(struct kvm_vcpu *vcpu, u8 vtl)
{
	struct kvm_vtl_bank *bank = &to_vcpu_vtl(vcpu)->bank[vtl];

	if (vtl == vcpu->arch.vtl)
		kvm_vtl_save(vcpu, bank);
	return bank;
}

/* Make changes to the bank of @vtl take effect if @vtl is live. */
int kvm_vtl_flush_bank(struct kvm_vcpu *vcpu, u8 vtl)
{
	struct kvm_vtl_bank *bank = &to_vcpu_vtl(vcpu)->bank[vtl];

	if (vtl != vcpu->arch.vtl)
		return 0;
	return kvm_vtl_load(vcpu, bank);
}

static void kvm_vtl_state_from_bank(struct kvm_vtl_state *s,
				    const struct kvm_vtl_bank *bank)
{
	const struct kvm_sregs *sr = &bank->sregs;

	s->rip = bank->rip;
	s->rsp = bank->rsp;
	s->rflags = bank->rflags;
	s->cr0 = sr->cr0;
	s->cr3 = sr->cr3;
	s->cr4 = sr->cr4;
	s->cr8 = sr->cr8;
	s->efer = sr->efer;
	s->dr7 = bank->dr7;
	s->cs = sr->cs;
	s->ds = sr->ds;
	s->es = sr->es;
	s->fs = sr->fs;
	s->gs = sr->gs;
	s->ss = sr->ss;
	s->tr = sr->tr;
	s->ldt = sr->ldt;
	s->gdt = sr->gdt;
	s->idt = sr->idt;
	s->pat = bank->msrs[KVM_VTL_MSR_PAT];
	s->sysenter_cs = bank->msrs[KVM_VTL_MSR_SYSENTER_CS];
	s->sysenter_esp = bank->msrs[KVM_VTL_MSR_SYSENTER_ESP];
	s->sysenter_eip = bank->msrs[KVM_VTL_MSR_SYSENTER_EIP];
	s->star = bank->msrs[KVM_VTL_MSR_STAR];
	s->lstar = bank->msrs[KVM_VTL_MSR_LSTAR];
	s->cstar = bank->msrs[KVM_VTL_MSR_CSTAR];
	s->sfmask = bank->msrs[KVM_VTL_MSR_SFMASK];
	s->kernel_gs_base = bank->msrs[KVM_VTL_MSR_KERNEL_GS_BASE];
	s->tsc_aux = bank->msrs[KVM_VTL_MSR_TSC_AUX];
	s->hv_vp_assist = bank->hv_vp_assist;
}

static void kvm_vtl_bank_from_state(struct kvm_vtl_bank *bank,
				    const struct kvm_vtl_state *s)
{
	struct kvm_sregs *sr = &bank->sregs;

	memset(sr, 0, sizeof(*sr));
	bank->rip = s->rip;
	bank->rsp = s->rsp;
	bank->rflags = s->rflags;
	sr->cr0 = s->cr0;
	sr->cr3 = s->cr3;
	sr->cr4 = s->cr4;
	sr->cr8 = s->cr8;
	sr->efer = s->efer;
	bank->dr7 = s->dr7;
	sr->cs = s->cs;
	sr->ds = s->ds;
	sr->es = s->es;
	sr->fs = s->fs;
	sr->gs = s->gs;
	sr->ss = s->ss;
	sr->tr = s->tr;
	sr->ldt = s->ldt;
	sr->gdt = s->gdt;
	sr->idt = s->idt;
	bank->msrs[KVM_VTL_MSR_PAT] = s->pat;
	bank->msrs[KVM_VTL_MSR_SYSENTER_CS] = s->sysenter_cs;
	bank->msrs[KVM_VTL_MSR_SYSENTER_ESP] = s->sysenter_esp;
	bank->msrs[KVM_VTL_MSR_SYSENTER_EIP] = s->sysenter_eip;
	bank->msrs[KVM_VTL_MSR_STAR] = s->star;
	bank->msrs[KVM_VTL_MSR_LSTAR] = s->lstar;
	bank->msrs[KVM_VTL_MSR_CSTAR] = s->cstar;
	bank->msrs[KVM_VTL_MSR_SFMASK] = s->sfmask;
	bank->msrs[KVM_VTL_MSR_KERNEL_GS_BASE] = s->kernel_gs_base;
	bank->msrs[KVM_VTL_MSR_TSC_AUX] = s->tsc_aux;
}

static bool kvm_vtl_state_header_valid(struct kvm_vcpu *vcpu,
				       const struct kvm_vtl_state *s)
{
	return !s->flags && s->vtl < KVM_VTL_MAX_NR &&
	       kvm_vtl_vcpu_enabled(vcpu, s->vtl);
}

static int kvm_vtl_get_state(struct kvm_vcpu *vcpu, struct kvm_vtl_state *s)
{
	struct kvm_vcpu_vtl *vtl = to_vcpu_vtl(vcpu);
	u8 n = s->vtl;

	if (!kvm_vtl_state_header_valid(vcpu, s))
		return -EINVAL;

	memset(s, 0, sizeof(*s));
	s->vtl = n;
	kvm_vtl_state_from_bank(s, kvm_vtl_sync_bank(vcpu, n));
	memcpy(s->vsm_vp_secure_config, vtl->secure_config[n],
	       sizeof(vtl->secure_config[n]));
	s->vsm_vina = vtl->vina[n];
	return kvm_hv_vsm_get_vtl_msrs(vcpu, n, s);
}

static int kvm_vtl_set_state(struct kvm_vcpu *vcpu, struct kvm_vtl_state *s)
{
	struct kvm_vcpu_vtl *vtl = to_vcpu_vtl(vcpu);
	struct kvm_vtl_bank *bank, *old;
	u8 n = s->vtl;
	int r, i;

	if (!kvm_vtl_state_header_valid(vcpu, s))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(s->reserved); i++)
		if (s->reserved[i])
			return -EINVAL;

	bank = kzalloc(2 * sizeof(*bank), GFP_KERNEL_ACCOUNT);
	if (!bank)
		return -ENOMEM;
	old = bank + 1;

	r = -EINVAL;
	kvm_vtl_bank_from_state(bank, s);
	if (!kvm_vtl_bank_valid(vcpu, bank) ||
	    kvm_vtl_bank_set_vp_assist(vcpu, bank, s->hv_vp_assist) ||
	    !kvm_hv_vsm_vtl_msrs_valid(vcpu, n, s))
		goto out;

	*old = *kvm_vtl_sync_bank(vcpu, n);
	vtl->bank[n] = *bank;
	r = kvm_vtl_flush_bank(vcpu, n);
	if (r) {
		vtl->bank[n] = *old;
		WARN_ON_ONCE(kvm_vtl_flush_bank(vcpu, n));
		goto out;
	}
	memcpy(vtl->secure_config[n], s->vsm_vp_secure_config,
	       sizeof(vtl->secure_config[n]));
	vtl->vina[n] = s->vsm_vina;
	kvm_hv_vsm_set_vtl_msrs(vcpu, n, s);
out:
	kfree(bank);
	return r;
}

static void kvm_vtl_get_vcpu(struct kvm_vcpu *vcpu, struct kvm_vtl_vcpu *v)
{
	struct kvm_vcpu_vtl *vtl = to_vcpu_vtl(vcpu);

	memset(v, 0, sizeof(*v));
	v->active_vtl = vcpu->arch.vtl;
	v->enabled_vtls = kvm_vtl_vcpu_enabled_set(vcpu);
	memcpy(v->return_vtl, vtl->return_vtl, sizeof(vtl->return_vtl));
}

static bool kvm_vtl_vcpu_config_valid(struct kvm_vcpu *vcpu,
				      const struct kvm_vtl_vcpu *v)
{
	u16 partition = to_kvm_vtl(vcpu->kvm)->enabled;
	int i;

	if (v->flags || v->pad0 || memchr_inv(v->pad1, 0, sizeof(v->pad1)) ||
	    memchr_inv(v->reserved, 0, sizeof(v->reserved)))
		return false;
	if (!(v->enabled_vtls & BIT(0)) || (v->enabled_vtls & ~partition) ||
	    v->active_vtl >= KVM_VTL_MAX_NR ||
	    !(v->enabled_vtls & BIT(v->active_vtl)))
		return false;
	/* A VtlReturn goes to a lower enabled VTL; VTL0 has none. */
	if (v->return_vtl[0])
		return false;
	for (i = 1; i < KVM_VTL_ABI_NR; i++)
		if (v->return_vtl[i] >= max(i, 1) || (i >= KVM_VTL_MAX_NR ?
		    v->return_vtl[i] : !(v->enabled_vtls & BIT(v->return_vtl[i]))))
			return false;
	return true;
}

static int kvm_vtl_set_vcpu(struct kvm_vcpu *vcpu, const struct kvm_vtl_vcpu *v)
{
	struct kvm_vcpu_vtl *vtl = to_vcpu_vtl(vcpu);
	u16 enabled = kvm_vtl_vcpu_enabled_set(vcpu);
	u16 added = v->enabled_vtls & ~enabled;
	int i, r;

	if (!kvm_vtl_vcpu_config_valid(vcpu, v))
		return -EINVAL;

	/* A VTL enabled from userspace starts from the INIT state. */
	for (i = 0; i < KVM_VTL_MAX_NR; i++)
		if (added & BIT(i))
			kvm_vtl_bank_init(&vtl->bank[i]);
	if (v->active_vtl != vcpu->arch.vtl &&
	    !kvm_vtl_bank_valid(vcpu, &vtl->bank[v->active_vtl]))
		return -EINVAL;

	/* Pairs with kvm_vtl_vcpu_enabled_set(): banks before the bit. */
	smp_store_release(&vtl->enabled, v->enabled_vtls);
	if (v->active_vtl != vcpu->arch.vtl) {
		r = kvm_vtl_switch(vcpu, v->active_vtl);
		if (r) {
			/* As above. */
			smp_store_release(&vtl->enabled, enabled);
			return r;
		}
	}
	memcpy(vtl->return_vtl, v->return_vtl, sizeof(vtl->return_vtl));
	return 0;
}

long kvm_vtl_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp)
{
	union {
		struct kvm_vtl_state state;
		struct kvm_vtl_vcpu vcpu;
		struct kvm_vtl_message msg;
	} *u;
	long r;
	int idx;

	/* Only vCPUs of a VM with VSM have VTL state. */
	if (!vcpu->arch.vtl_state)
		return -ENOTTY;

	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return -ENOMEM;

	/*
	 * kvm_arch_vcpu_ioctl() has loaded the vCPU; loading a VTL's state
	 * looks up memslots (VP assist page, PDPTRs).
	 */
	idx = srcu_read_lock(&vcpu->kvm->srcu);
	switch (ioctl) {
	case KVM_GET_VTL_STATE:
		r = -EFAULT;
		if (copy_from_user(&u->state, argp, sizeof(u->state)))
			break;
		r = kvm_vtl_get_state(vcpu, &u->state);
		if (!r && copy_to_user(argp, &u->state, sizeof(u->state)))
			r = -EFAULT;
		break;
	case KVM_SET_VTL_STATE:
		r = -EFAULT;
		if (copy_from_user(&u->state, argp, sizeof(u->state)))
			break;
		r = kvm_vtl_set_state(vcpu, &u->state);
		break;
	case KVM_GET_VTL_VCPU:
		kvm_vtl_get_vcpu(vcpu, &u->vcpu);
		r = 0;
		if (copy_to_user(argp, &u->vcpu, sizeof(u->vcpu)))
			r = -EFAULT;
		break;
	case KVM_SET_VTL_VCPU:
		r = -EFAULT;
		if (copy_from_user(&u->vcpu, argp, sizeof(u->vcpu)))
			break;
		r = kvm_vtl_set_vcpu(vcpu, &u->vcpu);
		break;
	case KVM_VTL_POST_MESSAGE:
		r = -EFAULT;
		if (copy_from_user(&u->msg, argp, sizeof(u->msg)))
			break;
		r = kvm_hv_vsm_post_message(vcpu, &u->msg);
		break;
	default:
		r = -ENOTTY;
	}
	srcu_read_unlock(&vcpu->kvm->srcu, idx);
	kfree(u);
	return r;
}

/*
 * A VTL's VsmPartitionConfig, and with it its default protection set.
 * The caller holds the partition lock and checked the value.
 */
void kvm_vtl_set_partition_config(struct kvm *kvm, u8 vtl, u64 config)
{
	struct kvm_vtl_vm *pvtl = to_kvm_vtl(kvm);

	u8 prot = kvm_hv_vsm_default_protection(config);

	lockdep_assert_held(&pvtl->lock);
	WRITE_ONCE(pvtl->partition_config[vtl], config);
	if (kvm_vtl_prot_of(READ_ONCE(pvtl->prot.defaults), vtl) != prot)
		kvm_vtl_protect_default(kvm, vtl, prot);
}

static int kvm_vtl_set_partition(struct kvm *kvm,
				 const struct kvm_vtl_partition *p)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	int i;

	if ((p->flags & ~KVM_VTL_PARTITION_FLAGS) || p->mbec_vtls ||
	    memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	if (!(p->enabled_vtls & BIT(0)) ||
	    (p->enabled_vtls & ~GENMASK(vtl->nr_vtls - 1, 0)))
		return -EINVAL;
	/* vCPUs may run in an enabled VTL: there is no disabling. */
	if (vtl->enabled & ~p->enabled_vtls)
		return -EINVAL;
	if (p->vsm_partition_config[0])
		return -EINVAL;
	for (i = 1; i < KVM_VTL_ABI_NR; i++)
		if (i >= KVM_VTL_MAX_NR ? p->vsm_partition_config[i] :
		    !kvm_hv_vsm_partition_config_valid(p->vsm_partition_config[i]))
			return -EINVAL;

	mutex_lock(&vtl->lock);
	vtl->enabled = p->enabled_vtls;
	WRITE_ONCE(vtl->flags, p->flags);
	for (i = 1; i < KVM_VTL_MAX_NR; i++)
		kvm_vtl_set_partition_config(kvm, i, p->vsm_partition_config[i]);
	mutex_unlock(&vtl->lock);
	return 0;
}

/* Is [gfn, gfn + npages) a non-empty range of GFNs the MMU can map? */
bool kvm_vtl_gfn_range_valid(u64 gfn, u64 npages)
{
	return npages && gfn + npages > gfn &&
	       gfn + npages - 1 <= kvm_mmu_max_gfn();
}

static int kvm_vtl_set_protection(struct kvm *kvm,
				  const struct kvm_vtl_protection *p)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	struct kvm_vtl_gfn_run run = {
		.first = p->gfn, .last = p->gfn + p->npages - 1,
	};

	if (p->pad || p->flags || memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	if (!p->vtl || p->vtl >= vtl->nr_vtls ||
	    !kvm_vtl_prot_valid(p->prot, false) ||
	    !kvm_vtl_gfn_range_valid(p->gfn, p->npages))
		return -EINVAL;

	return kvm_vtl_protect_runs(kvm, p->vtl, p->prot, &run, 1) ? 0 : -ENOMEM;
}

static int kvm_vtl_get_protections(struct kvm *kvm, struct kvm_vtl_protections *p)
{
	struct kvm_vtl_protection_range __user *out = u64_to_user_ptr(p->ranges);
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	struct kvm_vtl_protection_range range = {};
	u32 n = 0;
	gfn_t last;
	u8 bits;
	int r = 0;

	if (memchr_inv(p->pad, 0, sizeof(p->pad)) || p->flags || p->pad2 ||
	    memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	if (!p->vtl || p->vtl >= vtl->nr_vtls || p->gfn >= p->end ||
	    !kvm_vtl_gfn_range_valid(p->gfn, p->end - p->gfn))
		return -EINVAL;

	mutex_lock(&vtl->prot.lock);
	while (n < p->nr_ranges && p->gfn < p->end) {
		last = kvm_vtl_prot_run(&vtl->prot, p->gfn, p->end - 1, p->vtl, &bits);
		range.gfn = p->gfn;
		range.npages = last - p->gfn + 1;
		range.prot = bits & KVM_VTL_PROT_RWX;
		if (copy_to_user(&out[n], &range, sizeof(range))) {
			r = -EFAULT;
			break;
		}
		n++;
		p->gfn = last + 1;
	}
	mutex_unlock(&vtl->prot.lock);
	p->nr_ranges = n;
	return r;
}

long kvm_vtl_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	union {
		struct kvm_vtl_protection set;
		struct kvm_vtl_protections get;
		struct kvm_vtl_write_mask set_mask;
		struct kvm_vtl_write_masks get_masks;
	} u;
	struct kvm_vtl_partition p;
	int r;

	if (!vtl)
		return -ENOTTY;

	switch (ioctl) {
	case KVM_GET_VTL_PARTITION:
		memset(&p, 0, sizeof(p));
		mutex_lock(&vtl->lock);
		p.enabled_vtls = vtl->enabled;
		p.flags = vtl->flags;
		memcpy(p.vsm_partition_config, vtl->partition_config,
		       sizeof(vtl->partition_config));
		mutex_unlock(&vtl->lock);
		return copy_to_user(argp, &p, sizeof(p)) ? -EFAULT : 0;
	case KVM_SET_VTL_PARTITION:
		if (copy_from_user(&p, argp, sizeof(p)))
			return -EFAULT;
		return kvm_vtl_set_partition(kvm, &p);
	case KVM_SET_VTL_PROTECTION:
		if (copy_from_user(&u.set, argp, sizeof(u.set)))
			return -EFAULT;
		return kvm_vtl_set_protection(kvm, &u.set);
	case KVM_GET_VTL_PROTECTIONS:
		if (copy_from_user(&u.get, argp, sizeof(u.get)))
			return -EFAULT;
		r = kvm_vtl_get_protections(kvm, &u.get);
		if (r)
			return r;
		return copy_to_user(argp, &u.get, sizeof(u.get)) ? -EFAULT : 0;
	case KVM_SET_VTL_WRITE_MASK:
		if (copy_from_user(&u.set_mask, argp, sizeof(u.set_mask)))
			return -EFAULT;
		return kvm_vtl_set_write_mask(kvm, &u.set_mask);
	case KVM_GET_VTL_WRITE_MASKS:
		if (copy_from_user(&u.get_masks, argp, sizeof(u.get_masks)))
			return -EFAULT;
		return kvm_vtl_get_write_masks(kvm, &u.get_masks);
	}
	return -ENOTTY;
}
