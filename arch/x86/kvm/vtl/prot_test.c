// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the per-VTL protection store: range split and merge,
 * chunks, the default set, change reporting, and the memory a worst case
 * (alternating pages) costs.
 */
#include <kunit/test.h>
#include <linux/xarray.h>

#include "prot.h"

#define R	KVM_VTL_PROT_READ
#define RW	(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE)
#define RX	(KVM_VTL_PROT_READ | KVM_VTL_PROT_KERNEL_EXEC | KVM_VTL_PROT_USER_EXEC)
#define RWX	KVM_VTL_PROT_RWX

/* A maple tree node is 256 bytes and has 16 slots. */
#define NODE_BYTES	256

struct store_counts {
	unsigned long runs;	/* value entries */
	unsigned long chunks;	/* chunk entries */
};

static struct store_counts count_entries(struct kvm_vtl_prot_store *s)
{
	MA_STATE(mas, &s->mt, 0, 0);
	struct store_counts c = {};
	void *e;

	mutex_lock(&s->lock);
	mas_for_each(&mas, e, ULONG_MAX) {
		if (xa_is_value(e))
			c.runs++;
		else
			c.chunks++;
	}
	mutex_unlock(&s->lock);
	return c;
}

static u8 vtl0_rights(struct kvm_vtl_prot_store *s, gfn_t gfn)
{
	return kvm_vtl_prot_effective(kvm_vtl_prot_packed(s, gfn), 0, 2);
}

static void set(struct kunit *test, struct kvm_vtl_prot_store *s, gfn_t first,
		gfn_t last, u8 bits, struct kvm_vtl_prot_change *chg)
{
	mutex_lock(&s->lock);
	KUNIT_ASSERT_EQ(test, kvm_vtl_prot_set(s, first, last, 1, bits, chg), 0);
	mutex_unlock(&s->lock);
}

/* The run of VTL1's set that starts at @gfn: its last GFN and bits. */
static gfn_t run_of(struct kvm_vtl_prot_store *s, gfn_t gfn, gfn_t last, u8 *bits)
{
	gfn_t end;

	mutex_lock(&s->lock);
	end = kvm_vtl_prot_run(s, gfn, last, 1, bits);
	mutex_unlock(&s->lock);
	return end;
}

static struct kvm_vtl_prot_store *new_store(struct kunit *test)
{
	struct kvm_vtl_prot_store *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	kvm_vtl_prot_init(s);
	return s;
}

static void prot_default_test(struct kunit *test)
{
	struct kvm_vtl_prot_store *s = new_store(test);
	struct store_counts c;
	u8 bits;

	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 0), RWX);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 123456789), RWX);
	/* VTL1 has nothing above it: always everything. */
	KUNIT_EXPECT_EQ(test, kvm_vtl_prot_effective(kvm_vtl_prot_packed(s, 5), 1, 2), RWX);

	mutex_lock(&s->lock);
	kvm_vtl_prot_set_default(s, 1, R);
	mutex_unlock(&s->lock);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 0), R);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, (1ull << 40) - 1), R);
	KUNIT_EXPECT_EQ(test, run_of(s, 0, (1ull << 40) - 1, &bits), (1ull << 40) - 1);
	KUNIT_EXPECT_EQ(test, bits, R);
	/* The default costs no entry. */
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.runs + c.chunks, 0);

	kvm_vtl_prot_destroy(s);
}

static void prot_split_merge_test(struct kunit *test)
{
	struct kvm_vtl_prot_store *s = new_store(test);
	struct kvm_vtl_prot_change chg = {};
	struct store_counts c;
	u8 bits;

	/* Aligned whole chunks: one run. */
	set(test, s, 128, 383, R, &chg);
	KUNIT_EXPECT_TRUE(test, chg.changed);
	KUNIT_EXPECT_TRUE(test, chg.removed);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 127), RWX);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 128), R);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 383), R);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 384), RWX);
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.runs, 1);
	KUNIT_EXPECT_EQ(test, c.chunks, 0);

	/* Part of a chunk inside the run: that chunk becomes a chunk object. */
	chg = (struct kvm_vtl_prot_change) {};
	set(test, s, 200, 210, RW, &chg);
	KUNIT_EXPECT_TRUE(test, chg.changed);
	KUNIT_EXPECT_FALSE(test, chg.removed);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 199), R);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 200), RW);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 210), RW);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 211), R);
	KUNIT_EXPECT_EQ(test, run_of(s, 128, 383, &bits), 199);
	KUNIT_EXPECT_EQ(test, bits, R);
	KUNIT_EXPECT_EQ(test, run_of(s, 200, 383, &bits), 210);
	KUNIT_EXPECT_EQ(test, bits, RW);
	KUNIT_EXPECT_EQ(test, run_of(s, 211, 1000, &bits), 383);
	KUNIT_EXPECT_EQ(test, bits, R);
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.chunks, 1);
	KUNIT_EXPECT_EQ(test, c.runs, 2);

	/* The same again changes nothing. */
	chg = (struct kvm_vtl_prot_change) {};
	set(test, s, 200, 210, RW, &chg);
	KUNIT_EXPECT_FALSE(test, chg.changed);

	/* Undo: the chunk is uniform again and merges back into one run. */
	chg = (struct kvm_vtl_prot_change) {};
	set(test, s, 200, 210, R, &chg);
	KUNIT_EXPECT_TRUE(test, chg.removed);
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.chunks, 0);
	KUNIT_EXPECT_EQ(test, c.runs, 1);
	KUNIT_EXPECT_EQ(test, run_of(s, 128, 1000, &bits), 383);

	/*
	 * RWX everywhere: one explicit run, which no longer follows the
	 * default.
	 */
	set(test, s, 0, 1023, RWX, &chg);
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.runs, 1);
	KUNIT_EXPECT_EQ(test, c.chunks, 0);
	mutex_lock(&s->lock);
	kvm_vtl_prot_set_default(s, 1, R);
	mutex_unlock(&s->lock);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 1023), RWX);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 1024), R);

	kvm_vtl_prot_destroy(s);
}

static void prot_unaligned_test(struct kunit *test)
{
	struct kvm_vtl_prot_store *s = new_store(test);
	struct kvm_vtl_prot_change chg = {};
	struct store_counts c;
	gfn_t g;
	u8 bits;

	/* Partial chunks at both ends, whole chunks between. */
	set(test, s, 10, 1000, RX, &chg);
	for (g = 0; g < 1100; g++)
		KUNIT_EXPECT_EQ(test, vtl0_rights(s, g), g >= 10 && g <= 1000 ? RX : RWX);
	KUNIT_EXPECT_EQ(test, run_of(s, 10, 2000, &bits), 1000);
	KUNIT_EXPECT_EQ(test, bits, RX);
	KUNIT_EXPECT_EQ(test, run_of(s, 0, 2000, &bits), 9);
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.chunks, 2);
	KUNIT_EXPECT_EQ(test, c.runs, 1);

	/* Filling the partial chunks makes them runs, merged into one. */
	set(test, s, 0, 1023, RX, &chg);
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.chunks, 0);
	KUNIT_EXPECT_EQ(test, c.runs, 1);
	KUNIT_EXPECT_EQ(test, run_of(s, 0, 5000, &bits), 1023);

	kvm_vtl_prot_destroy(s);
}

/* A uniform range costs one entry, whatever its size. */
/* GFNs a VTL never set follow its default, in chunks too. */
static void prot_default_change_test(struct kunit *test)
{
	struct kvm_vtl_prot_store *s = new_store(test);
	struct kvm_vtl_prot_change chg = {};

	set(test, s, 10, 10, RW, &chg);
	KUNIT_EXPECT_EQ(test, count_entries(s).chunks, 1);
	mutex_lock(&s->lock);
	kvm_vtl_prot_set_default(s, 1, RX);
	mutex_unlock(&s->lock);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 9), RX);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 10), RW);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 11), RX);
	KUNIT_EXPECT_EQ(test, vtl0_rights(s, 64), RX);

	/* Removing a right from the default set's value is a removal. */
	chg = (struct kvm_vtl_prot_change) {};
	set(test, s, 11, 11, R, &chg);
	KUNIT_EXPECT_TRUE(test, chg.removed);
	chg = (struct kvm_vtl_prot_change) {};
	set(test, s, 12, 12, RX, &chg);
	KUNIT_EXPECT_TRUE(test, chg.changed);
	KUNIT_EXPECT_FALSE(test, chg.removed);
	kvm_vtl_prot_destroy(s);
}

static void prot_huge_range_test(struct kunit *test)
{
	struct kvm_vtl_prot_store *s = new_store(test);
	struct kvm_vtl_prot_change chg = {};
	struct store_counts c;
	u8 bits;

	set(test, s, 0, (1ull << 36) - 1, R, &chg);
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.runs, 1);
	KUNIT_EXPECT_EQ(test, c.chunks, 0);
	KUNIT_EXPECT_EQ(test, run_of(s, 0, 1ull << 40, &bits), (1ull << 36) - 1);
	KUNIT_EXPECT_EQ(test, bits, R);
	kvm_vtl_prot_destroy(s);
}

/*
 * Worst case: every other page protected, 64 Ki protected pages.  The tree
 * has one entry per chunk; its nodes are at least 6 of 16 slots full, so
 * at most NODE_BYTES / 6 bytes per entry (a bound, not a measurement).
 */
static void prot_alternating_test(struct kunit *test)
{
	struct kvm_vtl_prot_store *s = new_store(test);
	struct kvm_vtl_prot_change chg = {};
	const unsigned long nr = 65536;
	unsigned long i, chunk_bytes, tree_bytes;
	struct store_counts c;

	for (i = 0; i < nr; i++)
		set(test, s, 2 * i, 2 * i, R, &chg);
	for (i = 0; i < 2 * nr; i++)
		KUNIT_ASSERT_EQ(test, vtl0_rights(s, i), i & 1 ? RWX : R);

	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.chunks, 2 * nr / KVM_VTL_PROT_CHUNK_PAGES);
	KUNIT_EXPECT_EQ(test, c.runs, 0);
	chunk_bytes = kvm_vtl_prot_chunk_bytes(s);
	tree_bytes = c.chunks * NODE_BYTES / 6;
	kunit_info(test, "%lu alternating pages: %lu chunks, %lu chunk bytes, tree at most %lu bytes: %lu.%02lu bytes per protected page\n",
		   nr, c.chunks, chunk_bytes, tree_bytes,
		   (chunk_bytes + tree_bytes) / nr,
		   (chunk_bytes + tree_bytes) % nr * 100 / nr);
	KUNIT_EXPECT_LE(test, chunk_bytes + tree_bytes, 16 * nr);

	/* Protecting the pages between merges everything into one run. */
	for (i = 0; i < nr; i++)
		set(test, s, 2 * i + 1, 2 * i + 1, R, &chg);
	c = count_entries(s);
	KUNIT_EXPECT_EQ(test, c.chunks, 0);
	KUNIT_EXPECT_EQ(test, c.runs, 1);
	KUNIT_EXPECT_EQ(test, s->nr_chunks, 0);

	kvm_vtl_prot_destroy(s);
}

/* Only the owner's byte changes; another VTL's set is kept. */
static void prot_owners_test(struct kunit *test)
{
	struct kvm_vtl_prot_store *s = new_store(test);
	struct kvm_vtl_prot_change chg = {};
	u32 packed;

	mutex_lock(&s->lock);
	KUNIT_ASSERT_EQ(test, kvm_vtl_prot_set(s, 5, 5, 2, RX, &chg), 0);
	KUNIT_ASSERT_EQ(test, kvm_vtl_prot_set(s, 5, 5, 1, RW, &chg), 0);
	mutex_unlock(&s->lock);
	packed = kvm_vtl_prot_packed(s, 5);
	KUNIT_EXPECT_EQ(test, kvm_vtl_prot_of(packed, 1), RW);
	KUNIT_EXPECT_EQ(test, kvm_vtl_prot_of(packed, 2), RX);
	/* VTL0 gets what both VTL1 and VTL2 allow; VTL1 what VTL2 allows. */
	KUNIT_EXPECT_EQ(test, kvm_vtl_prot_effective(packed, 0, 3), R);
	KUNIT_EXPECT_EQ(test, kvm_vtl_prot_effective(packed, 1, 3), RX);
	KUNIT_EXPECT_EQ(test, kvm_vtl_prot_effective(packed, 2, 3), RWX);
	kvm_vtl_prot_destroy(s);
}

static struct kunit_case kvm_vtl_prot_cases[] = {
	KUNIT_CASE(prot_default_test),
	KUNIT_CASE(prot_split_merge_test),
	KUNIT_CASE(prot_unaligned_test),
	KUNIT_CASE(prot_default_change_test),
	KUNIT_CASE(prot_huge_range_test),
	KUNIT_CASE(prot_alternating_test),
	KUNIT_CASE(prot_owners_test),
	{}
};

static struct kunit_suite kvm_vtl_prot_suite = {
	.name = "kvm_vtl_prot",
	.test_cases = kvm_vtl_prot_cases,
};

kunit_test_suite(kvm_vtl_prot_suite);
