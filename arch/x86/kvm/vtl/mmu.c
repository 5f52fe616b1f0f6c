// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-VTL memory protections in the MMU.
 *
 * A vCPU in VTL n runs on roots built for VTL n (kvm_mmu_page_role.vtl), so
 * an SPTE in such a root grants the memslot's rights intersected with what
 * VTL n may do with the GFN.  The fault path asks the store; a change to a
 * protection set zaps the affected range in the roots of the VTLs below the
 * set's owner, and only when a right was removed.
 */
#include <linux/kvm_host.h>

#include "../kvm_emulate.h"
#include "../mmu.h"
#include "../mmu/mmu_internal.h"
#include "../mmu/spte.h"
#include "../mmu/tdp_mmu.h"
#include "../hyperv_vsm.h"
#include "vtl.h"

/*
 * The HV_VSM_ACCESS_* type of an access with x86 page-fault error code
 * @pfec, and in @need the KVM_VTL_PROT_* rights it needs.
 */
static u8 pfec_access(u64 pfec, u8 *need)
{
	if (pfec & PFERR_FETCH_MASK) {
		*need = KVM_VTL_PROT_READ | KVM_VTL_PROT_KERNEL_EXEC;
		return HV_VSM_ACCESS_EXECUTE;
	}
	if (pfec & PFERR_WRITE_MASK) {
		*need = KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE;
		return HV_VSM_ACCESS_WRITE;
	}
	*need = KVM_VTL_PROT_READ;
	return HV_VSM_ACCESS_READ;
}

/*
 * Without MBEC there is one execute right, and KVM grants it only when the
 * set grants both kernel and user execute.
 */
static u8 collapse_exec(u8 prot)
{
	if ((prot & KVM_VTL_PROT_EXEC) != KVM_VTL_PROT_EXEC)
		prot &= ~KVM_VTL_PROT_EXEC;
	return prot;
}

/* What VTL @vcpu_vtl may do, given every VTL's set @packed. */
static u8 packed_rights(struct kvm_vtl_vm *vtl, u32 packed, u8 vcpu_vtl)
{
	return collapse_exec(kvm_vtl_prot_effective(packed, vcpu_vtl, vtl->nr_vtls));
}

static u8 vtl_rights(struct kvm_vtl_vm *vtl, gfn_t gfn, u8 vcpu_vtl)
{
	return packed_rights(vtl, kvm_vtl_prot_packed(&vtl->prot, gfn), vcpu_vtl);
}

/* Can VTL @vcpu_vtl map [first, last] with one SPTE: is its set uniform? */
static bool vtl_uniform(struct kvm_vtl_vm *vtl, gfn_t first, gfn_t last,
			u8 vcpu_vtl)
{
	u8 owner, bits;

	for (owner = vcpu_vtl + 1; owner < vtl->nr_vtls; owner++)
		if (kvm_vtl_prot_run(&vtl->prot, first, last, owner, &bits) != last)
			return false;
	return true;
}

/*
 * The VTL that gets the intercept: of the VTLs above @vtl whose sets deny
 * @need, the lowest (TLFS 11.5: "lower VTL first").
 */
static u8 intercepting_vtl(struct kvm_vtl_vm *vtl, gfn_t gfn, u8 vcpu_vtl, u8 need)
{
	u32 packed = kvm_vtl_prot_packed(&vtl->prot, gfn);
	u8 owner;

	for (owner = vcpu_vtl + 1; owner < vtl->nr_vtls - 1; owner++)
		if ((collapse_exec(kvm_vtl_prot_of(packed, owner)) & need) != need)
			break;
	return owner;
}

/*
 * A forbidden access becomes an intercept message to the higher VTL, which
 * is entered before the guest runs again; the access is retried when the
 * lower VTL resumes.  Userspace gets KVM_EXIT_MEMORY_FAULT as well if it
 * asked for violation exits, and instead if the higher VTL's SynIC cannot
 * take the message.
 */
static int kvm_vtl_violation(struct kvm_vcpu *vcpu,
			     struct kvm_page_fault *fault, u8 access, u8 need)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(vcpu->kvm);
	u64 flags = KVM_MEMORY_EXIT_FLAG_VTL_VIOLATION |
		    (u64)vcpu->arch.vtl << KVM_MEMORY_EXIT_VTL_SHIFT;
	int r;

	if (access == HV_VSM_ACCESS_EXECUTE)
		flags |= KVM_MEMORY_EXIT_FLAG_VTL_EXEC;
	else if (access == HV_VSM_ACCESS_WRITE)
		flags |= KVM_MEMORY_EXIT_FLAG_VTL_WRITE;
	else
		flags |= KVM_MEMORY_EXIT_FLAG_VTL_READ;

	r = kvm_hv_vsm_memory_intercept(vcpu,
					intercepting_vtl(vtl, fault->gfn, vcpu->arch.vtl, need),
					fault->addr, access, false);
	if (!r && !(READ_ONCE(vtl->flags) & KVM_VTL_PARTITION_VIOLATION_EXITS))
		return RET_PF_RETRY;

	kvm_prepare_memory_fault_exit(vcpu, gfn_to_gpa(fault->gfn), PAGE_SIZE,
				      fault->write, fault->exec, false);
	vcpu->run->memory_fault.flags |= flags;
	return -EFAULT;
}

/*
 * The fault path, after the mmu_invalidate_seq snapshot: a protection
 * change that races with this fault makes it retry.  Refuses an access the
 * active VTL may not make, else limits the SPTE's rights and size.
 */
int kvm_vtl_page_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(vcpu->kvm);
	u8 v = vcpu->arch.vtl, rights, access, need;
	bool masked;
	u32 packed;
	int level;

	if (!vtl || is_guest_mode(vcpu))
		return RET_PF_CONTINUE;

	packed = kvm_vtl_prot_packed(&vtl->prot, fault->gfn);
	rights = packed_rights(vtl, packed, v);
	access = pfec_access(fault->error_code, &need);
	masked = (rights & KVM_VTL_PROT_READ) && !(rights & KVM_VTL_PROT_WRITE) &&
		 kvm_vtl_has_write_mask(vtl, packed, v, fault->gfn);
	if ((rights & need) != need) {
		if (access != HV_VSM_ACCESS_WRITE || !masked)
			return kvm_vtl_violation(vcpu, fault, access, need);
		/*
		 * The emulator does the writes a sub-page write mask allows:
		 * all of them on the software path, and on the hardware path
		 * those the hardware refused (the SPTE is present) or never
		 * saw.  A write to a page not mapped yet maps it, for the
		 * hardware to check the write when it is retried.
		 */
		if (!vtl->subpage_hw || (fault->error_code & PFERR_PRESENT_MASK))
			return RET_PF_EMULATE;
	}

	if (!(rights & KVM_VTL_PROT_WRITE))
		fault->vtl_deny |= ACC_WRITE_MASK;
	if (!(rights & KVM_VTL_PROT_KERNEL_EXEC))
		fault->vtl_deny |= ACC_EXEC_MASK;
	fault->vtl_subpage = masked && vtl->subpage_hw;

	/*
	 * Each VTL keeps huge mappings where its own set is uniform; with the
	 * hardware path, pages with write masks are mapped 4K, as it checks
	 * sub-pages in 4K leaves only.
	 */
	for (level = fault->max_level; level > PG_LEVEL_4K; level--) {
		gfn_t first = gfn_round_for_level(fault->gfn, level);
		gfn_t last = first + KVM_PAGES_PER_HPAGE(level) - 1;

		if (vtl_uniform(vtl, first, last, v) &&
		    !(vtl->subpage_hw && kvm_vtl_write_masks_in(vtl, first, last)))
			break;
	}
	fault->max_level = level;
	return RET_PF_CONTINUE;
}

static bool vtl_allowed(struct kvm *kvm, u8 vcpu_vtl, gpa_t gpa, u8 need)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);

	if (!vtl)
		return true;
	return (vtl_rights(vtl, gpa_to_gfn(gpa), vcpu_vtl) & need) == need;
}

/*
 * May the active VTL make access @need to @gpa?  For the accesses KVM
 * makes on its behalf by GPA: hypercall input and output.
 */
bool kvm_vtl_gpa_allowed(struct kvm_vcpu *vcpu, gpa_t gpa, u8 need)
{
	return vtl_allowed(vcpu->kvm, vcpu->arch.vtl, gpa, need);
}

/*
 * May KVM fill a page for VTL @vtl: the hypercall, VP assist and SynIC
 * pages it writes into guest memory when the VTL enables them?  Only if the
 * VTL may write the page itself; KVM checks when the page is enabled.
 */
bool kvm_vtl_page_writable(struct kvm_vcpu *vcpu, u8 vtl, gpa_t gpa)
{
	return vtl_allowed(vcpu->kvm, vtl, gpa,
			   KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE);
}

/*
 * An access KVM makes for the active VTL through a GVA: the instruction
 * emulator's fetches, reads and writes, and KVM's walk of the guest page
 * tables (@pfec 0: a table is read), of @bytes at @gpa within one page.  A
 * write the VTL's sets forbid is still allowed if sub-page write masks
 * grant every sub-page it touches (subpage.c).  A forbidden one fails as a
 * #PF would, with @ex marked as a VTL violation, so that it takes the path
 * of a #PF only as far as kvm_inject_emulated_page_fault().  Nothing is
 * posted yet: a walk for the host (KVM_TRANSLATE) or for an intercept
 * message must not reach the guest.
 */
bool __kvm_vtl_access_denied(struct kvm_vcpu *vcpu, gpa_t gpa,
			     unsigned int bytes, u64 pfec,
			     struct x86_exception *ex)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(vcpu->kvm);
	u32 packed;
	u8 need;

	pfec_access(pfec, &need);
	if (is_guest_mode(vcpu))
		return false;
	/* One look at the store serves the sets and the write masks. */
	packed = kvm_vtl_prot_packed(&vtl->prot, gpa_to_gfn(gpa));
	if ((packed_rights(vtl, packed, vcpu->arch.vtl) & need) == need)
		return false;
	if (need & KVM_VTL_PROT_WRITE &&
	    kvm_vtl_subpage_write_allowed(vtl, packed, vcpu->arch.vtl, gpa, bytes)) {
		++vcpu->stat.vtl_subpage_writes;
		return false;
	}

	if (ex) {
		memset(ex, 0, sizeof(*ex));
		ex->vector = PF_VECTOR;
		ex->error_code_valid = true;
		ex->error_code = pfec & (PFERR_WRITE_MASK | PFERR_FETCH_MASK);
		ex->address = gpa;
		ex->vtl_violation = true;
	}
	return true;
}

/*
 * Where the guest would take the #PF: the access is an intercept to the
 * higher VTL instead, and RIP stays.  If the higher VTL cannot take the
 * message, nothing is delivered and the guest retries; where the hardware
 * makes the same access, its fault then exits to userspace (above).
 */
void kvm_vtl_deliver_violation(struct kvm_vcpu *vcpu, struct x86_exception *ex)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(vcpu->kvm);
	u8 access, need;

	access = pfec_access(ex->error_code, &need);
	/* The emulator's own fault: its context holds the instruction. */
	kvm_hv_vsm_memory_intercept(vcpu,
				    intercepting_vtl(vtl, gpa_to_gfn(ex->address),
						     vcpu->arch.vtl, need),
				    ex->address, access,
				    ex == &vcpu->arch.emulate_ctxt->exception);
}

/* Faults on [first, last] retry until kvm_vtl_protect_finish(). */
void kvm_vtl_protect_start(struct kvm *kvm, gfn_t first, gfn_t last)
{
	write_lock(&kvm->mmu_lock);
	kvm_mmu_invalidate_begin(kvm);
	kvm_mmu_invalidate_range_add(kvm, first, last + 1);
	write_unlock(&kvm->mmu_lock);
}

/*
 * Zap what the change made stale, in the roots of the VTLs below @owner
 * only, then flush TLBs once if anything was zapped, and end the
 * invalidation: all in one mmu_lock section.
 */
void kvm_vtl_protect_finish(struct kvm *kvm, u8 owner,
			    const struct kvm_vtl_gfn_run *runs, int nr)
{
	bool flush = false;
	int i;

	write_lock(&kvm->mmu_lock);
	for (i = 0; i < nr; i++)
		if (runs[i].removed)
			flush |= kvm_tdp_mmu_zap_vtl_leafs(kvm, runs[i].first,
							   runs[i].last + 1, owner);
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	kvm_mmu_invalidate_end(kvm);
	write_unlock(&kvm->mmu_lock);
}

/*
 * Set @owner's protection to @prot on @nr runs of GFNs, as one change:
 * one invalidation over all of them, the store locked once, and one
 * mmu_lock section that zaps the runs where a right went away and flushes
 * TLBs at most once.  Adding rights zaps nothing: an old SPTE faults and
 * is rebuilt.  Returns how many runs were applied, all of them unless the
 * store ran out of memory.
 */
int kvm_vtl_protect_runs(struct kvm *kvm, u8 owner, u8 prot,
			 struct kvm_vtl_gfn_run *runs, int nr)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	gfn_t min = runs[0].first, max = runs[0].last;
	struct kvm_vtl_prot_change chg;
	int i;

	for (i = 1; i < nr; i++) {
		min = min_t(gfn_t, min, runs[i].first);
		max = max_t(gfn_t, max, runs[i].last);
	}
	kvm_vtl_protect_start(kvm, min, max);
	mutex_lock(&vtl->prot.lock);
	for (i = 0; i < nr; i++) {
		chg = (struct kvm_vtl_prot_change){};
		if (kvm_vtl_prot_set(&vtl->prot, runs[i].first, runs[i].last,
				     owner, prot, &chg))
			break;
		runs[i].removed = chg.removed;
	}
	mutex_unlock(&vtl->prot.lock);
	kvm_vtl_protect_finish(kvm, owner, runs, i);
	return i;
}

/* A new default set changes every GFN the owner never set. */
void kvm_vtl_protect_default(struct kvm *kvm, u8 owner, u8 prot)
{
	struct kvm_vtl_vm *vtl = to_kvm_vtl(kvm);
	struct kvm_vtl_gfn_run all = { .first = 0, .last = kvm_mmu_max_gfn() };
	u8 old;

	kvm_vtl_protect_start(kvm, all.first, all.last);
	mutex_lock(&vtl->prot.lock);
	old = kvm_vtl_prot_of(vtl->prot.defaults, owner);
	kvm_vtl_prot_set_default(&vtl->prot, owner, prot);
	mutex_unlock(&vtl->prot.lock);
	all.removed = old & ~prot;
	kvm_vtl_protect_finish(kvm, owner, &all, 1);
}
