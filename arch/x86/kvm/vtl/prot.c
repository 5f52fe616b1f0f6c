// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-VTL memory protections: the store (see prot.h).
 *
 * Why a maple tree with chunks: a secure kernel protects both long ranges
 * (the kernel image, a pool) and scattered single pages (page tables, one
 * structure per page).  A maple tree entry covers a range of any length in
 * one slot, so a uniform range costs the same at any size; but a slot
 * costs 16 bytes, so alternating pages stored as ranges would cost 16
 * bytes or more per page.  Where protections vary inside an aligned group
 * of 64 GFNs, the group is one chunk object instead: 4 bytes per GFN.
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "prot.h"

/*
 * No rcu_head: with one, a chunk would take a 512-byte kmalloc object
 * instead of 256, twice the 4 bytes per GFN.  Chunks are freed with
 * kvfree_rcu_mightsleep(), from the writers' sleepable context.
 */
struct kvm_vtl_prot_chunk {
	u32 val[KVM_VTL_PROT_CHUNK_PAGES];
};

static_assert(sizeof(struct kvm_vtl_prot_chunk) == 256);

/* Every VTL's set allows everything until the VTL restricts it. */
#define KVM_VTL_PROT_ALL_RWX	0x0f0f0f0fu

static gfn_t chunk_first(gfn_t gfn)
{
	return round_down(gfn, KVM_VTL_PROT_CHUNK_PAGES);
}

static gfn_t chunk_last(gfn_t gfn)
{
	return chunk_first(gfn) + KVM_VTL_PROT_CHUNK_PAGES - 1;
}

static bool is_chunk(void *e)
{
	return e && !xa_is_value(e);
}

void kvm_vtl_prot_init(struct kvm_vtl_prot_store *s)
{
	mutex_init(&s->lock);
	mt_init_flags(&s->mt, MT_FLAGS_LOCK_EXTERN | MT_FLAGS_USE_RCU);
	mt_set_external_lock(&s->mt, &s->lock);
	s->defaults = KVM_VTL_PROT_ALL_RWX;
	s->nr_chunks = 0;
}

void kvm_vtl_prot_destroy(struct kvm_vtl_prot_store *s)
{
	MA_STATE(mas, &s->mt, 0, 0);
	void *e;

	mutex_lock(&s->lock);
	mas_for_each(&mas, e, ULONG_MAX)
		if (is_chunk(e))
			kfree(e);
	/*
	 * No reader is left: free the nodes now, as exit_mmap() does for the
	 * VMA tree, rather than through the RCU-deferred walk.
	 */
	mt_clear_in_rcu(&s->mt);
	__mt_destroy(&s->mt);
	s->nr_chunks = 0;
	mutex_unlock(&s->lock);
}

/*
 * The stored value of @gfn, given the entry that covers it.  A VTL's byte
 * without KVM_VTL_PROT_EXPLICIT stands for that VTL's default set, so 0
 * (no entry) means "every VTL's default".
 */
static u32 entry_raw(void *e, gfn_t gfn)
{
	if (!e)
		return 0;
	if (xa_is_value(e))
		return xa_to_value(e);
	return READ_ONCE(((struct kvm_vtl_prot_chunk *)e)->val[gfn - chunk_first(gfn)]);
}

/* @owner's set in stored value @raw: its own, or its default. */
static u8 owner_bits(struct kvm_vtl_prot_store *s, u32 raw, u8 owner)
{
	u8 b = kvm_vtl_prot_of(raw, owner);

	if (b & KVM_VTL_PROT_EXPLICIT)
		return b & KVM_VTL_PROT_BITS;
	return kvm_vtl_prot_of(READ_ONCE(s->defaults), owner);
}

static u32 resolve(struct kvm_vtl_prot_store *s, u32 raw)
{
	u32 val = 0;
	u8 owner;

	for (owner = 0; owner < KVM_VTL_ABI_NR; owner++)
		val |= (u32)owner_bits(s, raw, owner) << KVM_VTL_PROT_SHIFT(owner);
	return val;
}

static u32 stored_raw(struct kvm_vtl_prot_store *s, gfn_t gfn)
{
	u32 raw;

	rcu_read_lock();
	raw = entry_raw(mtree_load(&s->mt, gfn), gfn);
	rcu_read_unlock();
	return raw;
}

/* Every VTL's set for @gfn, packed.  Safe without the lock. */
u32 kvm_vtl_prot_packed(struct kvm_vtl_prot_store *s, gfn_t gfn)
{
	return resolve(s, stored_raw(s, gfn));
}

/*
 * What VTL @vtl may do with a page: the intersection of the sets of every
 * VTL above it (TLFS "Memory Protection Hierarchy").
 */
u8 kvm_vtl_prot_effective(u32 packed, u8 vtl, u8 nr_vtls)
{
	u8 bits = KVM_VTL_PROT_RWX;

	while (++vtl < nr_vtls)
		bits &= kvm_vtl_prot_of(packed, vtl);
	return bits;
}

/*
 * The legal protections (TLFS 6.2): write and execute need read.  Without
 * MBEC, kernel and user execute are one right and must be equal; with it,
 * kernel-only execute is undefined and refused, as OpenHCL does.
 */
bool kvm_vtl_prot_valid(u8 bits, bool mbec)
{
	bool kx = bits & KVM_VTL_PROT_KERNEL_EXEC;
	bool ux = bits & KVM_VTL_PROT_USER_EXEC;

	if (bits & ~KVM_VTL_PROT_RWX)
		return false;
	if ((bits & ~KVM_VTL_PROT_READ) && !(bits & KVM_VTL_PROT_READ))
		return false;
	return mbec ? !(kx && !ux) : kx == ux;
}

static u32 apply_set(u32 old, u8 owner, u8 bits)
{
	return (old & ~KVM_VTL_PROT_SET_MASK(owner)) |
	       (u32)(bits | KVM_VTL_PROT_EXPLICIT) << KVM_VTL_PROT_SHIFT(owner);
}

static void note_change(struct kvm_vtl_prot_store *s,
			struct kvm_vtl_prot_change *chg, u32 old, u8 owner,
			u8 bits)
{
	chg->changed = true;
	if (owner_bits(s, old, owner) & ~bits & KVM_VTL_PROT_RWX)
		chg->removed = true;
}

static int store(struct kvm_vtl_prot_store *s, gfn_t first, gfn_t last, void *e)
{
	MA_STATE(mas, &s->mt, first, last);

	return mas_store_gfp(&mas, e, GFP_KERNEL_ACCOUNT);
}

/* One value for [first, last], merged with equal runs on either side. */
static int store_run(struct kvm_vtl_prot_store *s, gfn_t first, gfn_t last,
		     u32 val)
{
	MA_STATE(mas, &s->mt, 0, 0);
	void *e;

	if (!val)
		return store(s, first, last, NULL);
	if (first) {
		mas_set(&mas, first - 1);
		e = mas_walk(&mas);
		if (xa_is_value(e) && xa_to_value(e) == val)
			first = mas.index;
	}
	if (last != ULONG_MAX) {
		mas_set(&mas, last + 1);
		e = mas_walk(&mas);
		if (xa_is_value(e) && xa_to_value(e) == val)
			last = mas.last;
	}
	return store(s, first, last, xa_mk_value(val));
}

/*
 * A chunk object for the chunk at @first, filled from the runs that cover
 * it in one walk of the tree; GFNs no run covers stay 0 (the defaults).
 */
static struct kvm_vtl_prot_chunk *
chunk_from_runs(struct kvm_vtl_prot_store *s, gfn_t first)
{
	MA_STATE(mas, &s->mt, first, first);
	gfn_t last = first + KVM_VTL_PROT_CHUNK_PAGES - 1, gfn;
	struct kvm_vtl_prot_chunk *ch;
	void *e;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return NULL;
	mas_for_each(&mas, e, last)
		for (gfn = max_t(gfn_t, mas.index, first);
		     gfn <= min_t(gfn_t, mas.last, last); gfn++)
			ch->val[gfn - first] = xa_to_value(e);
	return ch;
}

static bool chunk_uniform(struct kvm_vtl_prot_chunk *ch)
{
	int i;

	for (i = 1; i < KVM_VTL_PROT_CHUNK_PAGES; i++)
		if (ch->val[i] != ch->val[0])
			return false;
	return true;
}

/*
 * Change [first, last], which lies in one chunk, through a chunk object:
 * the existing one, or one built from the runs that cover the chunk.  A
 * chunk that becomes uniform turns back into a run.
 */
static int set_in_chunk(struct kvm_vtl_prot_store *s, gfn_t first, gfn_t last,
			u8 owner, u8 bits, struct kvm_vtl_prot_change *chg)
{
	gfn_t base = chunk_first(first);
	struct kvm_vtl_prot_chunk *ch, *built = NULL;
	bool changed = false;
	gfn_t gfn;
	void *e;
	int r;

	e = mtree_load(&s->mt, base);
	if (is_chunk(e)) {
		ch = e;
	} else {
		built = chunk_from_runs(s, base);
		if (!built)
			return -ENOMEM;
		ch = built;
	}

	for (gfn = first; gfn <= last; gfn++) {
		u32 old = ch->val[gfn - base], val = apply_set(old, owner, bits);

		if (val == old)
			continue;
		note_change(s, chg, old, owner, bits);
		changed = true;
		/* Readers see each GFN's old or new value. */
		WRITE_ONCE(ch->val[gfn - base], val);
	}

	if (!changed) {
		kfree(built);
		return 0;
	}
	if (chunk_uniform(ch)) {
		r = store_run(s, base, base + KVM_VTL_PROT_CHUNK_PAGES - 1, ch->val[0]);
		if (r || built) {
			kfree(built);
			return r;
		}
		kvfree_rcu_mightsleep(ch);
		s->nr_chunks--;
		return 0;
	}
	if (!built)
		return 0;
	r = store(s, base, base + KVM_VTL_PROT_CHUNK_PAGES - 1, built);
	if (r) {
		kfree(built);
		return r;
	}
	s->nr_chunks++;
	return 0;
}

/*
 * Set @owner's set to @bits on [first, last].  Whole chunks that are runs
 * stay runs; a change to part of a chunk makes it a chunk object.  Cost:
 * O(entries in the range), not O(pages), outside partial chunks.  On
 * -ENOMEM the GFNs before the failing piece are changed.
 */
int kvm_vtl_prot_set(struct kvm_vtl_prot_store *s, gfn_t first, gfn_t last,
		     u8 owner, u8 bits, struct kvm_vtl_prot_change *chg)
{
	MA_STATE(mas, &s->mt, 0, 0);
	gfn_t gfn = first, end;
	u32 old, val;
	void *e;
	int r;

	lockdep_assert_held(&s->lock);
	for (;;) {
		mas_set(&mas, gfn);
		e = mas_walk(&mas);
		end = min_t(gfn_t, mas.last, last);
		r = 0;
		if (is_chunk(e)) {
			end = min(end, chunk_last(gfn));
			r = set_in_chunk(s, gfn, end, owner, bits, chg);
		} else {
			old = entry_raw(e, gfn);
			val = apply_set(old, owner, bits);
			if (val == old) {
				/* Nothing to do up to the end of this run. */
			} else if (gfn == chunk_first(gfn) &&
				   end >= chunk_last(gfn)) {
				end = chunk_first(end + 1) - 1;
				note_change(s, chg, old, owner, bits);
				r = store_run(s, gfn, end, val);
			} else {
				end = min(end, chunk_last(gfn));
				r = set_in_chunk(s, gfn, end, owner, bits, chg);
			}
		}
		if (r)
			return r;
		if (end >= last)
			return 0;
		gfn = end + 1;
	}
}

/* The default set of @owner, for GFNs whose set @owner never changed. */
void kvm_vtl_prot_set_default(struct kvm_vtl_prot_store *s, u8 owner, u8 bits)
{
	u32 defaults = s->defaults & ~KVM_VTL_PROT_SET_MASK(owner);

	lockdep_assert_held(&s->lock);
	WRITE_ONCE(s->defaults, defaults | (u32)bits << KVM_VTL_PROT_SHIFT(owner));
}

static gfn_t prot_run(struct kvm_vtl_prot_store *s, gfn_t gfn, gfn_t last,
		      u8 owner, u8 *bits)
{
	MA_STATE(mas, &s->mt, 0, 0);
	u8 run = owner_bits(s, stored_raw(s, gfn), owner);
	gfn_t end, g;
	void *e;

	*bits = run;
	for (;;) {
		mas_set(&mas, gfn);
		e = mas_walk(&mas);
		end = min_t(gfn_t, mas.last, last);
		if (is_chunk(e)) {
			end = min(end, chunk_last(gfn));
			for (g = gfn; g <= end; g++)
				if (owner_bits(s, entry_raw(e, g), owner) != run)
					return g - 1;
		} else if (owner_bits(s, entry_raw(e, gfn), owner) != run) {
			return gfn - 1;
		}
		if (end >= last)
			return last;
		gfn = end + 1;
	}
}

/*
 * The longest run from @gfn, up to @last, over which @owner's set is one
 * value (*@bits).  Returns the run's last GFN.  Safe without the lock (the
 * fault path), but then only a snapshot.
 */
gfn_t kvm_vtl_prot_run(struct kvm_vtl_prot_store *s, gfn_t gfn, gfn_t last,
		       u8 owner, u8 *bits)
{
	gfn_t end;

	rcu_read_lock();
	end = prot_run(s, gfn, last, owner, bits);
	rcu_read_unlock();
	return end;
}

size_t kvm_vtl_prot_chunk_bytes(struct kvm_vtl_prot_store *s)
{
	return READ_ONCE(s->nr_chunks) * sizeof(struct kvm_vtl_prot_chunk);
}
