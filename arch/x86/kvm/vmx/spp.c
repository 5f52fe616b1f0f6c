// SPDX-License-Identifier: GPL-2.0-only
/*
 * EPT-based sub-page write permissions (SPP) for the sub-page write masks
 * of Hyper-V VTL protections (vtl/subpage.c).
 *
 * A write to a 4 KiB page that an EPT leaf maps without W, but with bit 61
 * set, is checked against a 32-bit vector (one bit per 128-byte sub-page)
 * found through the sub-page permission table (SPPT), a 4-level radix tree
 * indexed like EPT.  Writes the vector grants complete without an exit;
 * others are ordinary EPT violations.
 *
 * SPP only accelerates the software path: KVM never relies on the hardware
 * refusing a write.  A refused write faults on a present SPTE, and the
 * fault goes to the instruction emulator, which checks the exact bytes
 * against the masks, as on a machine without SPP.  So the vectors may grant
 * less than the masks (they do, below), never more.
 *
 * One SPPT per (VM, VTL), not per root: the masks do not depend on the
 * roots, and a VTL's roots are all built from the same protections.  A
 * mask change builds the tables of the 2 MiB regions it gives masks to and
 * rewrites the L1Es that exist; the caller then zaps and flushes, which
 * also drops what the CPU cached of the old vectors.  A write that still
 * meets a missing L4E/L3E/L2E (an allocation failed) is an SPPT-miss exit,
 * which builds the path and all 512 L1Es of the region.  Building eagerly
 * also keeps the tests off Bochs's SPPT-miss exit, after which Bochs was
 * seen, now and then, never to exit again.
 */
#include <linux/kvm_host.h>

#include <asm/vmx.h>

#include "../mmu.h"
#include "../vtl/vtl.h"
#include "capabilities.h"
#include "spp.h"
#include "vmx.h"

static bool __read_mostly enable_spp = true;
module_param_named(spp, enable_spp, bool, 0444);

#define SPPT_LEVELS		4
#define SPPT_ENTRY_VALID	BIT_ULL(0)
#define SPPT_ADDR_MASK		GENMASK_ULL(51, 12)
/* L1E bit 2i grants write to sub-page i; the odd bits are reserved. */
#define SPPT_VECTOR_ALL		0x5555555555555555ULL

struct vmx_sppt {
	/* Serializes building and rewriting the tables. */
	struct mutex lock;
	u64 *root[KVM_VTL_MAX_NR];
};

static struct vmx_sppt *vm_sppt(struct kvm *kvm)
{
	/* Pairs with the release in vmx_spp_enable(). */
	return smp_load_acquire(&to_kvm_vmx(kvm)->sppt);
}

static unsigned int sppt_index(gpa_t gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (PTRS_PER_PTE - 1);
}

/*
 * The hardware vector for @mask.  The SDM does not say which sub-page of a
 * write that spans two is checked (Bochs checks the first byte's).  So a
 * sub-page is granted to the hardware only if its neighbours in the page
 * are granted too: a write that spans a granted and a denied sub-page then
 * faults, whichever one is checked, and the emulator judges it byte by
 * byte.  (A write that crosses into the next page is checked against that
 * page's vector.)
 */
static u64 sppt_vector(u32 mask)
{
	u32 hw = mask & ((mask >> 1) | BIT(31)) & ((mask << 1) | BIT(0));
	u64 vector = 0;
	int i;

	for (i = 0; i < 32; i++)
		if (hw & BIT(i))
			vector |= BIT_ULL(2 * i);
	return vector;
}

/*
 * The L1 table of the 2 MiB region that holds @gpa in @vtl's SPPT, built if
 * @alloc (its L1Es filled from the masks), else NULL if it does not exist.
 */
static u64 *sppt_l1_table(struct kvm *kvm, struct vmx_sppt *sppt, u8 vtl,
			  gpa_t gpa, bool alloc)
{
	u64 *table = sppt->root[vtl], *next;
	gfn_t base;
	int level, i;

	lockdep_assert_held(&sppt->lock);
	for (level = SPPT_LEVELS; level > 1; level--) {
		u64 *entry = &table[sppt_index(gpa, level)];

		if (*entry & SPPT_ENTRY_VALID) {
			table = __va(*entry & SPPT_ADDR_MASK);
			continue;
		}
		if (!alloc)
			return NULL;
		next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!next)
			return NULL;
		kvm->stat.vtl_subpage_hw_tables++;
		if (level == 2) {
			base = gpa_to_gfn(gpa) & ~(gfn_t)(PTRS_PER_PTE - 1);
			for (i = 0; i < PTRS_PER_PTE; i++)
				next[i] = sppt_vector(kvm_vtl_subpage_vector(kvm, vtl, base + i));
		}
		/* The CPU may walk the table as soon as the entry is valid. */
		smp_wmb();
		WRITE_ONCE(*entry, __pa(next) | SPPT_ENTRY_VALID);
		table = next;
	}
	return table;
}

/*
 * SPP needs EPT, and EPT A/D bits: without them KVM takes a page whose
 * SPTE lacks W for clean, and would miss the writes SPP grants.  The SPPT
 * is indexed by GPA bits 47:12 only.  spp=0 leaves the masks to the
 * software path.
 */
void vmx_spp_hardware_setup(void)
{
	if (!enable_ept || !enable_ept_ad_bits || !cpu_has_vmx_spp() ||
	    kvm_host.maxphyaddr > 48)
		enable_spp = false;
	if (enable_spp)
		kvm_mmu_set_subpage_write_mask(VMX_EPT_SPP_BIT);
}

/*
 * Let the hardware check the writes of @kvm's VTLs against their sub-page
 * write masks.  False if it cannot, and the software path does it all.
 */
bool vmx_spp_enable(struct kvm *kvm)
{
	struct kvm_vmx *kvm_vmx = to_kvm_vmx(kvm);
	struct vmx_sppt *sppt;
	int vtl;

	if (!enable_spp)
		return false;

	sppt = kzalloc(sizeof(*sppt), GFP_KERNEL_ACCOUNT);
	if (!sppt)
		return false;
	mutex_init(&sppt->lock);
	for (vtl = 0; vtl < KVM_VTL_MAX_NR; vtl++) {
		sppt->root[vtl] = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!sppt->root[vtl])
			goto free;
	}
	/* Each vCPU loads its VTL's SPPT with its EPT root, vmx_spp_load(). */
	smp_store_release(&kvm_vmx->sppt, sppt);
	return true;

free:
	while (--vtl >= 0)
		free_page((unsigned long)sppt->root[vtl]);
	kfree(sppt);
	return false;
}

/* With the EPT root: enable SPP on the SPPT of the VTL the root is for. */
void vmx_spp_load(struct kvm_vcpu *vcpu)
{
	struct vmx_sppt *sppt = vm_sppt(vcpu->kvm);

	/* L2 runs on EPT02, to which the VTL masks do not apply. */
	if (!sppt || is_guest_mode(vcpu))
		return;
	vmcs_write64(SPPT_POINTER,
		     __pa(sppt->root[vcpu->arch.mmu->root_role.vtl]));
	secondary_exec_controls_setbit(to_vmx(vcpu), SECONDARY_EXEC_SPP);
}

/* Does VTL @vtl have sub-pages to check in GFNs [first, end)? */
static bool sppt_region_needed(struct kvm *kvm, u8 vtl, gfn_t first, gfn_t end)
{
	for (; first < end; first++)
		if (kvm_vtl_subpage_vector(kvm, vtl, first))
			return true;
	return false;
}

/*
 * The masks of GFNs [gfn, gfn + npages) changed: build the tables of the
 * regions with masks, rewrite the L1Es that exist.  The caller then zaps
 * and flushes.
 */
void vmx_spp_update(struct kvm *kvm, gfn_t gfn, u64 npages)
{
	struct vmx_sppt *sppt = vm_sppt(kvm);
	gfn_t g, region_end, end = gfn + npages;
	u64 *l1;
	int vtl;

	if (!sppt)
		return;
	mutex_lock(&sppt->lock);
	for (vtl = 0; vtl < KVM_VTL_MAX_NR; vtl++) {
		for (g = gfn; g < end; g = region_end) {
			region_end = min(end, round_up(g + 1, PTRS_PER_PTE));
			l1 = sppt_l1_table(kvm, sppt, vtl, gfn_to_gpa(g), false);
			/* A new table is filled from the masks. */
			if (!l1 && sppt_region_needed(kvm, vtl, g, region_end)) {
				sppt_l1_table(kvm, sppt, vtl, gfn_to_gpa(g), true);
				g = region_end;
				continue;
			}
			for (; l1 && g < region_end; g++)
				WRITE_ONCE(l1[g % PTRS_PER_PTE],
					   sppt_vector(kvm_vtl_subpage_vector(kvm, vtl, g)));
			cond_resched();
		}
	}
	mutex_unlock(&sppt->lock);
}

static void sppt_free_table(u64 *table, int level)
{
	int i;

	for (i = 0; level > 1 && i < PTRS_PER_PTE; i++)
		if (table[i] & SPPT_ENTRY_VALID)
			sppt_free_table(__va(table[i] & SPPT_ADDR_MASK), level - 1);
	free_page((unsigned long)table);
}

void vmx_spp_destroy(struct kvm *kvm)
{
	struct vmx_sppt *sppt = to_kvm_vmx(kvm)->sppt;
	int vtl;

	if (!sppt)
		return;
	for (vtl = 0; vtl < KVM_VTL_MAX_NR; vtl++)
		sppt_free_table(sppt->root[vtl], SPPT_LEVELS);
	kfree(sppt);
}

/*
 * Exit reason 66.  A miss (qualification bit 11) builds the missing part of
 * the active VTL's SPPT, and the write is retried.  A misconfiguration
 * means KVM wrote a bad entry: userspace gets the exit.
 */
int handle_spp(struct kvm_vcpu *vcpu)
{
	unsigned long qual = vmx_get_exit_qual(vcpu);
	struct vmx_sppt *sppt = vm_sppt(vcpu->kvm);
	gpa_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	u64 *l1;

	vmx_handle_iret_nmi_unblocking(vcpu, qual);

	if (!sppt || !(qual & SPPT_INDUCED_EXIT_MISS)) {
		vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
		vcpu->run->internal.ndata = 2;
		vcpu->run->internal.data[0] = EXIT_REASON_SPP;
		vcpu->run->internal.data[1] = qual;
		return 0;
	}

	++vcpu->stat.vtl_subpage_hw_misses;
	mutex_lock(&sppt->lock);
	l1 = sppt_l1_table(vcpu->kvm, sppt, vcpu->arch.mmu->root_role.vtl, gpa, true);
	mutex_unlock(&sppt->lock);
	return l1 ? 1 : -ENOMEM;
}
