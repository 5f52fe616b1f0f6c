/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-VTL memory protections: one store per VM, keyed by GFN.
 *
 * Each VTL above 0 owns a protection set: what every lower VTL may do with
 * a page (TLFS "Memory Protection Hierarchy").  The store keeps, per GFN,
 * the sets of all VTLs packed in one u32 (KVM_VTL_PROT_SHIFT(vtl)), so a
 * run of GFNs with identical protections is one entry, and GFNs that were
 * never changed cost nothing: they have the default sets, which apply
 * until the VTL changes the GFN (TLFS 6.4).
 */
#ifndef __ARCH_X86_KVM_VTL_PROT_H
#define __ARCH_X86_KVM_VTL_PROT_H

#include <linux/kvm.h>
#include <linux/kvm_types.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>

/* The bits of one VTL's set in the packed value. */
#define KVM_VTL_PROT_SHIFT(vtl)		((vtl) * 8)
#define KVM_VTL_PROT_SET_MASK(vtl)	(0xffu << KVM_VTL_PROT_SHIFT(vtl))
#define KVM_VTL_PROT_EXEC	(KVM_VTL_PROT_KERNEL_EXEC | KVM_VTL_PROT_USER_EXEC)
/* The page has a sub-page write mask for the VTLs below (not yet used). */
#define KVM_VTL_PROT_SUBPAGE		BIT(4)
#define KVM_VTL_PROT_BITS		(KVM_VTL_PROT_RWX | KVM_VTL_PROT_SUBPAGE)
/* In the store only: the VTL set this GFN's set; else it is the default. */
#define KVM_VTL_PROT_EXPLICIT		BIT(5)

/* GFNs per chunk: the unit in which fragmented protections are stored. */
#define KVM_VTL_PROT_CHUNK_SHIFT	6
#define KVM_VTL_PROT_CHUNK_PAGES	BIT(KVM_VTL_PROT_CHUNK_SHIFT)

struct kvm_vtl_prot_store {
	/*
	 * GFN ranges whose packed value is not the default.  An entry is
	 * either a value entry (xa_mk_value()) for a run of GFNs with one
	 * packed value, or a struct kvm_vtl_prot_chunk covering exactly one
	 * aligned chunk whose GFNs differ.  Readers use RCU; writers hold
	 * @lock.
	 */
	struct maple_tree mt;
	/* Serializes writers; the tree's external lock. */
	struct mutex lock;
	/* Every VTL's default set (DefaultVtlProtectionMask), packed. */
	u32 defaults;
	/* Chunk objects allocated, for the memory report. */
	unsigned long nr_chunks;
};

/* What a change did, so the caller can zap and flush no more than needed. */
struct kvm_vtl_prot_change {
	/* Some GFN's set changed. */
	bool changed;
	/* Some GFN's set lost a right: SPTEs must be zapped and TLBs flushed. */
	bool removed;
};

void kvm_vtl_prot_init(struct kvm_vtl_prot_store *s);
void kvm_vtl_prot_destroy(struct kvm_vtl_prot_store *s);
u32 kvm_vtl_prot_packed(struct kvm_vtl_prot_store *s, gfn_t gfn);
u8 kvm_vtl_prot_effective(u32 packed, u8 vtl, u8 nr_vtls);
bool kvm_vtl_prot_valid(u8 bits, bool mbec);
int kvm_vtl_prot_set(struct kvm_vtl_prot_store *s, gfn_t first, gfn_t last,
		     u8 owner, u8 bits, struct kvm_vtl_prot_change *chg);
void kvm_vtl_prot_set_default(struct kvm_vtl_prot_store *s, u8 owner, u8 bits);
gfn_t kvm_vtl_prot_run(struct kvm_vtl_prot_store *s, gfn_t gfn, gfn_t last,
		       u8 owner, u8 *bits);
size_t kvm_vtl_prot_chunk_bytes(struct kvm_vtl_prot_store *s);

static inline u8 kvm_vtl_prot_of(u32 packed, u8 owner)
{
	return (packed >> KVM_VTL_PROT_SHIFT(owner)) & 0xff;
}

#endif /* __ARCH_X86_KVM_VTL_PROT_H */
