/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Virtual trust levels (VTLs): the vendor-neutral core.
 *
 * One kvm_vcpu per virtual processor holds a bank of private register state
 * per enabled VTL.  The live vCPU state is always the active VTL's; the
 * banks of the other VTLs are swapped in by kvm_vtl_switch().
 */
#ifndef __ARCH_X86_KVM_VTL_H
#define __ARCH_X86_KVM_VTL_H

#include <linux/kvm_host.h>

#include "prot.h"

/* The MSRs that are private to each VTL (TLFS "private state"). */
enum kvm_vtl_msr {
	KVM_VTL_MSR_PAT,
	KVM_VTL_MSR_SYSENTER_CS,
	KVM_VTL_MSR_SYSENTER_ESP,
	KVM_VTL_MSR_SYSENTER_EIP,
	KVM_VTL_MSR_STAR,
	KVM_VTL_MSR_LSTAR,
	KVM_VTL_MSR_CSTAR,
	KVM_VTL_MSR_SFMASK,
	KVM_VTL_MSR_KERNEL_GS_BASE,
	KVM_VTL_MSR_TSC_AUX,
	KVM_VTL_NR_MSRS,
};

extern const u32 kvm_vtl_msr_index[KVM_VTL_NR_MSRS];

/* The private state of one VTL while another VTL is active. */
struct kvm_vtl_bank {
	/* Segments, descriptor tables, CR0/3/4/8 and EFER. */
	struct kvm_sregs sregs;
	u64 rip;
	u64 rsp;
	u64 rflags;
	u64 dr7;
	u64 msrs[KVM_VTL_NR_MSRS];
	/* HV_X64_MSR_VP_ASSIST_PAGE and the PV EOI cache KVM keeps for it. */
	u64 hv_vp_assist;
	u64 pv_eoi_msr;
	struct gfn_to_hva_cache pv_eoi_cache;
};

struct kvm_vtl_start;

struct kvm_vcpu_vtl {
	/*
	 * Written with release semantics once a VTL's bank is initialized,
	 * because another vCPU may enable a VTL on this one (EnableVpVtl).
	 */
	u16 enabled;
	u8 return_vtl[KVM_VTL_MAX_NR];
	struct kvm_vtl_bank bank[KVM_VTL_MAX_NR];
	/* Hyper-V VSM per-VP, per-VTL registers. */
	u64 vina[KVM_VTL_MAX_NR];
	u64 secure_config[KVM_VTL_MAX_NR][KVM_VTL_MAX_NR];
	/* SINTs posted to a higher VTL, raised once the vCPU entered it. */
	unsigned long pending_sints[KVM_VTL_MAX_NR];
	/* A VP start the vCPU has yet to take (Hyper-V StartVirtualProcessor). */
	struct kvm_vtl_start *start;
};

struct kvm_vtl_vm {
	/* Serializes partition-wide enabling and configuration. */
	struct mutex lock;
	u8 nr_vtls;
	u16 enabled;
	u32 flags;		/* KVM_VTL_PARTITION_* */
	u64 partition_config[KVM_VTL_MAX_NR];
	/* Every VTL's memory protection set. */
	struct kvm_vtl_prot_store prot;
	/* Sub-page write masks, by GFN and owner VTL (subpage.c). */
	struct xarray write_masks;
	/* The vendor checks writes against the masks in hardware. */
	bool subpage_hw;
};

static inline struct kvm_vtl_vm *to_kvm_vtl(struct kvm *kvm)
{
	return kvm->arch.vtl;
}

static inline bool kvm_vtl_enabled(struct kvm *kvm)
{
	return !!kvm->arch.vtl;
}

static inline struct kvm_vcpu_vtl *to_vcpu_vtl(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.vtl_state;
}

static inline u16 kvm_vtl_vcpu_enabled_set(struct kvm_vcpu *vcpu)
{
	/* Pairs with the store that enables a VTL after filling its bank. */
	return smp_load_acquire(&to_vcpu_vtl(vcpu)->enabled);
}

static inline bool kvm_vtl_vcpu_enabled(struct kvm_vcpu *vcpu, u8 vtl)
{
	return vtl < KVM_VTL_MAX_NR && (kvm_vtl_vcpu_enabled_set(vcpu) & BIT(vtl));
}

int kvm_vtl_enable_cap(struct kvm *kvm, u64 nr_vtls);
void kvm_vtl_destroy_vm(struct kvm *kvm);
int kvm_vtl_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_vtl_vcpu_destroy(struct kvm_vcpu *vcpu);

void kvm_vtl_save(struct kvm_vcpu *vcpu, struct kvm_vtl_bank *bank);
int kvm_vtl_load(struct kvm_vcpu *vcpu, struct kvm_vtl_bank *bank);
bool kvm_vtl_bank_valid(struct kvm_vcpu *vcpu, struct kvm_vtl_bank *bank);
void kvm_vtl_bank_init(struct kvm_vtl_bank *bank);
int kvm_vtl_bank_set_vp_assist(struct kvm_vcpu *vcpu, struct kvm_vtl_bank *bank,
			       u64 data);
int kvm_vtl_switch(struct kvm_vcpu *vcpu, u8 to);
struct kvm_vtl_bank *kvm_vtl_sync_bank(struct kvm_vcpu *vcpu, u8 vtl);
int kvm_vtl_flush_bank(struct kvm_vcpu *vcpu, u8 vtl);

bool kvm_vtl_gfn_range_valid(u64 gfn, u64 npages);
long kvm_vtl_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp);
void kvm_vtl_set_partition_config(struct kvm *kvm, u8 vtl, u64 config);

/* mmu.c: the protections in the MMU. */
struct kvm_page_fault;
int kvm_vtl_page_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);
/* A run of GFNs [first, last] for kvm_vtl_protect_runs(). */
struct kvm_vtl_gfn_run {
	gfn_t first;
	gfn_t last;
	/* Set by kvm_vtl_protect_runs(): a right went away, zap the run. */
	bool removed;
};

void kvm_vtl_protect_start(struct kvm *kvm, gfn_t first, gfn_t last);
void kvm_vtl_protect_finish(struct kvm *kvm, u8 owner,
			    const struct kvm_vtl_gfn_run *runs, int nr);
int kvm_vtl_protect_runs(struct kvm *kvm, u8 owner, u8 prot,
			 struct kvm_vtl_gfn_run *runs, int nr);
void kvm_vtl_protect_default(struct kvm *kvm, u8 owner, u8 prot);
bool kvm_vtl_gpa_allowed(struct kvm_vcpu *vcpu, gpa_t gpa, u8 need);
bool kvm_vtl_page_writable(struct kvm_vcpu *vcpu, u8 vtl, gpa_t gpa);
long kvm_vtl_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp);

/* subpage.c: sub-page write masks. */
void kvm_vtl_write_masks_init(struct kvm_vtl_vm *vtl);
void kvm_vtl_write_masks_destroy(struct kvm_vtl_vm *vtl);
void kvm_vtl_write_masks_enable_hw(struct kvm *kvm);
bool kvm_vtl_has_write_mask(struct kvm_vtl_vm *vtl, u32 packed, u8 vcpu_vtl,
			    gfn_t gfn);
bool kvm_vtl_write_masks_in(struct kvm_vtl_vm *vtl, gfn_t first, gfn_t last);
u32 kvm_vtl_subpage_vector(struct kvm *kvm, u8 vtl, gfn_t gfn);
void kvm_vtl_dirty_logging_changed(struct kvm *kvm,
				   const struct kvm_memory_slot *slot);
bool kvm_vtl_subpage_write_allowed(struct kvm_vtl_vm *vtl, u32 packed,
				   u8 vcpu_vtl, gpa_t gpa, unsigned int bytes);
int kvm_vtl_set_write_mask(struct kvm *kvm, const struct kvm_vtl_write_mask *m);
bool kvm_vtl_guest_write_masks(struct kvm_vcpu *vcpu);
int kvm_vtl_guest_set_write_mask(struct kvm_vcpu *vcpu, gfn_t gfn, u32 npages,
				 u32 mask);
int kvm_vtl_get_write_masks(struct kvm *kvm, const struct kvm_vtl_write_masks *g);

/*
 * KVM's own accesses on the guest's behalf, through a GVA (the instruction
 * emulator, KVM's walk of the guest page tables): see vtl/mmu.c.  Built
 * only with Hyper-V support, like the rest of vtl/.
 */
struct x86_exception;
#ifdef CONFIG_KVM_HYPERV
bool __kvm_vtl_access_denied(struct kvm_vcpu *vcpu, gpa_t gpa,
			     unsigned int bytes, u64 pfec,
			     struct x86_exception *ex);
void kvm_vtl_deliver_violation(struct kvm_vcpu *vcpu, struct x86_exception *ex);

static inline bool kvm_vtl_access_denied(struct kvm_vcpu *vcpu, gpa_t gpa,
					 unsigned int bytes, u64 pfec,
					 struct x86_exception *ex)
{
	return unlikely(kvm_vtl_enabled(vcpu->kvm)) &&
	       __kvm_vtl_access_denied(vcpu, gpa, bytes, pfec, ex);
}
#else
static inline bool kvm_vtl_access_denied(struct kvm_vcpu *vcpu, gpa_t gpa,
					 unsigned int bytes, u64 pfec,
					 struct x86_exception *ex)
{
	return false;
}

static inline void kvm_vtl_deliver_violation(struct kvm_vcpu *vcpu,
					     struct x86_exception *ex)
{
}
#endif

#endif /* __ARCH_X86_KVM_VTL_H */
