// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sub-page (128-byte) write masks: a KVM extension to VTL protections (the
 * TLFS has none, 6.6).  Where a VTL's protection set lacks W for a page, a
 * 32-bit mask can give the lower VTLs write access to some of its 32
 * sub-pages.  The mask is kept apart from the set, so changing the set
 * keeps it: granting W makes it moot, removing W again brings it back.
 *
 * The software path works everywhere.  A page whose set lacks W is never
 * mapped writable, so every write to it faults; for a page with a mask,
 * the fault is handed to the instruction emulator, whose write is checked
 * here byte range by byte range (see __kvm_vtl_access_denied()): a write
 * that touches only granted sub-pages is done, any other is a violation.
 *
 * Where the vendor can check sub-page writes in hardware (Intel SPP,
 * vmx/spp.c), KVM uses it from the VM's start, and the TDP MMU marks the
 * 4K leaves of pages with masks for it: granted writes then complete
 * without an exit.  A write the hardware refuses still takes the software
 * path, which has the last word.
 */
#include <linux/kvm_host.h>

#include "../mmu/tdp_mmu.h"
#include "vtl.h"

/* One xarray slot per (GFN, owner VTL), holding the mask as a value. */
static unsigned long mask_index(gfn_t gfn, u8 owner)
{
	return (unsigned long)gfn * KVM_VTL_ABI_NR + owner;
}

void kvm_vtl_write_masks_init(struct kvm_vtl_vm *vtl)
{
	xa_init(&vtl->write_masks);
}

void kvm_vtl_write_masks_destroy(struct kvm_vtl_vm *vtl)
{
	xa_destroy(&vtl->write_masks);
}

/* At VSM enabling, before any vCPU: the path is chosen once per VM. */
void kvm_vtl_write_masks_enable_hw(struct kvm *kvm)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);

	vtl->subpage_hw = kvm_x86_call(vtl_subpage_enable)(kvm);
	kvm->stat.vtl_subpage_hw = vtl->subpage_hw;
}

static u32 write_mask(struct kvm_vtl_vm *vtl, gfn_t gfn, u8 owner)
{
	void *e = xa_load(&vtl->write_masks, mask_index(gfn, owner));

	return xa_is_value(e) ? xa_to_value(e) : 0;
}

/* Does any VTL have a mask for a GFN in [first, last]? */
bool kvm_vtl_write_masks_in(struct kvm_vtl_vm *vtl, gfn_t first, gfn_t last)
{
	unsigned long index = mask_index(first, 0);

	return xa_find(&vtl->write_masks, &index,
		       mask_index(last, KVM_VTL_ABI_NR - 1), XA_PRESENT);
}

/*
 * What the hardware may grant VTL @vcpu_vtl on @gfn: the sub-pages every
 * VTL above grants.  A VTL without a mask grants none, even if its set
 * gives W: the hardware then refuses more than it must, which the
 * software path corrects, and never allows what it must not.
 */
u32 kvm_vtl_subpage_vector(struct kvm *kvm, u8 vcpu_vtl, gfn_t gfn)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	u32 vector = vcpu_vtl + 1 < vtl->nr_vtls ? U32_MAX : 0;
	u8 owner;

	for (owner = vcpu_vtl + 1; owner < vtl->nr_vtls; owner++)
		vector &= write_mask(vtl, gfn, owner);
	return vector;
}
EXPORT_SYMBOL_GPL(kvm_vtl_subpage_vector);

/* Does a VTL above @vcpu_vtl that denies W on @gfn have a mask for it? */
bool kvm_vtl_has_write_mask(struct kvm_vtl_vm *vtl, u32 packed, u8 vcpu_vtl,
			    gfn_t gfn)
{
	u8 owner;

	for (owner = vcpu_vtl + 1; owner < vtl->nr_vtls; owner++)
		if (!(kvm_vtl_prot_of(packed, owner) & KVM_VTL_PROT_WRITE) &&
		    write_mask(vtl, gfn, owner))
			return true;
	return false;
}

/*
 * May VTL @vcpu_vtl write [gpa, gpa + bytes), which lies in one page, given
 * every VTL's set @packed?  Each VTL above it must give W, or R and a mask
 * granting every sub-page the write touches.
 */
bool kvm_vtl_subpage_write_allowed(struct kvm_vtl_vm *vtl, u32 packed,
				   u8 vcpu_vtl, gpa_t gpa, unsigned int bytes)
{
	unsigned int first = offset_in_page(gpa) / KVM_VTL_SUBPAGE_SIZE;
	unsigned int last = (offset_in_page(gpa) + bytes - 1) / KVM_VTL_SUBPAGE_SIZE;
	u32 touched = GENMASK(last, first);
	u8 owner, set;

	for (owner = vcpu_vtl + 1; owner < vtl->nr_vtls; owner++) {
		set = kvm_vtl_prot_of(packed, owner);
		if (set & KVM_VTL_PROT_WRITE)
			continue;
		if (!(set & KVM_VTL_PROT_READ) ||
		    (write_mask(vtl, gpa_to_gfn(gpa), owner) & touched) != touched)
			return false;
	}
	return true;
}

static bool write_mask_args_valid(struct kvm_vtl_vm *vtl, u64 gfn, u64 npages,
				  u8 owner)
{
	return owner && owner < vtl->nr_vtls && kvm_vtl_gfn_range_valid(gfn, npages);
}

/*
 * Give GFNs [gfn, gfn + npages) @owner's mask @mask; *@narrowed says
 * whether some GFN lost sub-pages, for the caller to wait for the emulated
 * writes that may have seen the old mask (they run under kvm->srcu).
 */
static int write_mask_apply(struct kvm_vtl_vm *vtl, u64 gfn, u64 npages,
			    u8 owner, u32 mask, bool *narrowed)
{
	void *old;
	u64 i;

	for (i = 0; i < npages; i++) {
		old = mask ? xa_store(&vtl->write_masks, mask_index(gfn + i, owner),
				      xa_mk_value(mask), GFP_KERNEL_ACCOUNT) :
			     xa_erase(&vtl->write_masks, mask_index(gfn + i, owner));
		if (xa_is_err(old))
			return xa_err(old);
		if (xa_is_value(old) && (xa_to_value(old) & ~mask))
			*narrowed = true;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/*
 * Change the masks, and on the hardware path what it checks: the vendor's
 * tables, then the lower VTLs' SPTEs of the range (so that pages that
 * gained or lost masks are rebuilt, split to 4K or not) and the TLBs,
 * which may cache the old permissions.  Faults in the range retry until
 * all that is done.
 */
static int write_mask_change(struct kvm *kvm, u64 gfn, u64 npages, u8 owner,
			     u32 mask, bool *narrowed)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	struct kvm_vtl_gfn_run run = {
		.first = gfn, .last = gfn + npages - 1, .removed = true,
	};
	int r;

	if (!vtl->subpage_hw)
		return write_mask_apply(vtl, gfn, npages, owner, mask, narrowed);

	kvm_vtl_protect_start(kvm, run.first, run.last);
	r = write_mask_apply(vtl, gfn, npages, owner, mask, narrowed);
	kvm_x86_call(vtl_subpage_update)(kvm, gfn, npages);
	kvm_vtl_protect_finish(kvm, owner, &run, 1);
	return r;
}

/*
 * The hardware path grants writes without a fault, which dirty logging
 * would not see: while a memslot logs dirty pages, its pages with masks
 * are not marked for the hardware (tdp_mmu.c).  Rebuild them when that
 * changes.  Called once the memslot's new flags are visible to faults.
 */
void kvm_vtl_dirty_logging_changed(struct kvm *kvm,
				   const struct kvm_memory_slot *slot)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	gfn_t last = slot->base_gfn + slot->npages - 1;
	unsigned long index;
	bool flush = false;
	void *entry;

	if (!vtl || !vtl->subpage_hw)
		return;

	write_lock(&kvm->mmu_lock);
	xa_for_each_range(&vtl->write_masks, index, entry,
			  mask_index(slot->base_gfn, 0),
			  mask_index(last, KVM_VTL_ABI_NR - 1))
		flush |= kvm_tdp_mmu_zap_vtl_leafs(kvm, index / KVM_VTL_ABI_NR,
						   index / KVM_VTL_ABI_NR + 1,
						   KVM_VTL_ABI_NR);
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	write_unlock(&kvm->mmu_lock);
}

/*
 * KVM_SET_VTL_WRITE_MASK.  A mask that takes sub-pages away returns only
 * once no write allowed by the old mask can still land.
 */
int kvm_vtl_set_write_mask(struct kvm *kvm, const struct kvm_vtl_write_mask *m)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	bool narrowed = false;
	int r;

	if (memchr_inv(m->pad, 0, sizeof(m->pad)) || m->flags || m->pad2 ||
	    memchr_inv(m->reserved, 0, sizeof(m->reserved)) ||
	    !write_mask_args_valid(vtl, m->gfn, m->npages, m->vtl))
		return -EINVAL;

	r = write_mask_change(kvm, m->gfn, m->npages, m->vtl, m->mask, &narrowed);
	if (narrowed)
		synchronize_srcu(&kvm->srcu);
	return r;
}

/* Did the VMM let the guest set write masks (KVM_VTL_HC_SET_WRITE_MASK)? */
bool kvm_vtl_guest_write_masks(struct kvm_vcpu *vcpu)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(vcpu->kvm);

	return vtl && (READ_ONCE(vtl->flags) & KVM_VTL_PARTITION_GUEST_WRITE_MASKS);
}

/*
 * KVM_VTL_HC_SET_WRITE_MASK from the active VTL, for its own set: the
 * same as the ioctl, from the vCPU, which leaves kvm->srcu to wait.
 */
int kvm_vtl_guest_set_write_mask(struct kvm_vcpu *vcpu, gfn_t gfn, u32 npages,
				 u32 mask)
	__must_hold(&vcpu->kvm->srcu)
{
	bool narrowed = false;
	int r;

	r = write_mask_change(vcpu->kvm, gfn, npages, vcpu->arch.vtl, mask,
			      &narrowed);
	if (narrowed) {
		kvm_vcpu_srcu_read_unlock(vcpu);
		synchronize_srcu(&vcpu->kvm->srcu);
		kvm_vcpu_srcu_read_lock(vcpu);
	}
	return r;
}

/* KVM_GET_VTL_WRITE_MASKS */
int kvm_vtl_get_write_masks(struct kvm *kvm, const struct kvm_vtl_write_masks *g)
{
	u32 __user *out = u64_to_user_ptr(g->masks);
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	u64 i;
	u32 mask;

	if (memchr_inv(g->pad, 0, sizeof(g->pad)) || g->flags ||
	    memchr_inv(g->reserved, 0, sizeof(g->reserved)) ||
	    !write_mask_args_valid(vtl, g->gfn, g->npages, g->vtl))
		return -EINVAL;

	for (i = 0; i < g->npages; i++) {
		mask = write_mask(vtl, g->gfn + i, g->vtl);
		if (put_user(mask, &out[i]))
			return -EFAULT;
		cond_resched();
	}
	return 0;
}
