/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scripts of HvCallModifyVtlProtectionMask calls, for VTL1 guest code to
 * replay: the host writes each call's input block (header and GPNs) into
 * a script region of guest memory, with a descriptor (offset, rep count)
 * per call, and VTL1 issues the calls with vtl_script_run().  The GPNs
 * are pages of a region of VTL0 memory at VTL_SCRIPT_REGION_GPA.
 *
 * script_boot() is the boot-like pattern and script_sweep() the batch
 * sweep that Documentation/virt/kvm/vsm.rst ("vtl_protection_perf")
 * defines.
 */
#ifndef SELFTEST_KVM_VTL_SCRIPT_H
#define SELFTEST_KVM_VTL_SCRIPT_H

#include "hyperv_vsm.h"

#define VTL_SCRIPT_REGION_GPA	(4ull << 30)
#define VTL_SCRIPT_GPA		(3ull << 30)

/* A memory-form input holds 510 GPNs after its 16-byte header (TLFS 2.3). */
#define VTL_SCRIPT_MAX_BATCH	510
#define VTL_SCRIPT_HDR_BYTES	16

#define R	KVM_VTL_PROT_READ
#define RW	(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE)
#define RX	(KVM_VTL_PROT_READ | KVM_VTL_PROT_KERNEL_EXEC | KVM_VTL_PROT_USER_EXEC)
#define RWX	KVM_VTL_PROT_RWX

/* One hypercall of a script: its input block's offset and its rep count. */
struct call_desc {
	u32 off;
	u32 nr;
};

/* Shared with the guest: where the script is and what to expect. */
static u64 script_gva, nr_calls, desc_off, expect_floor;

/*
 * VTL1: issue the script's calls.  Each must succeed, or, for a "floor"
 * script, fail with the partition id its input blocks carry.
 */
static inline void vtl_script_run(void)
{
	const struct call_desc *d = (void *)(script_gva + READ_ONCE(desc_off));
	u64 i, n = READ_ONCE(nr_calls), rax, want;

	for (i = 0; i < n; i++) {
		rax = vtl_hypercall(HVCALL_MODIFY_VTL_PROTECTION_MASK |
				    HV_HYPERCALL_REP_COUNT(d[i].nr),
				    VTL_SCRIPT_GPA + d[i].off, 0);
		want = expect_floor ? HV_STATUS_INVALID_PARTITION_ID :
		       HV_HYPERCALL_REP_COUNT(d[i].nr);
		GUEST_ASSERT_EQ(rax, want);
	}
}

struct script {
	u8 *buf;		/* the script region, host view */
	u64 size;
	u64 used;		/* input blocks, then the descriptors */
	struct call_desc *desc;
	u64 nr_calls, max_calls;
	u64 pages;		/* page changes */
	u32 cur;		/* the open call */
	bool floor;
};

static u64 script_rng;

static inline u64 script_rnd(u64 n)
{
	script_rng ^= script_rng >> 12;
	script_rng ^= script_rng << 25;
	script_rng ^= script_rng >> 27;
	return (script_rng * 0x2545f4914f6cdd1dull) % n;
}

/* Open a call with protection @prot: its input block does not cross a page. */
static inline void script_call_open(struct script *s, u8 prot, u32 nr)
{
	struct hv_modify_vtl_protection_mask *in;
	u64 len = VTL_SCRIPT_HDR_BYTES + 8 * nr;

	if (PAGE_SIZE - s->used % PAGE_SIZE < len)
		s->used = (s->used + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	TEST_ASSERT(s->used + len <= s->size && s->nr_calls < s->max_calls, "script too big");
	in = (void *)(s->buf + s->used);
	in->partition_id = s->floor ? 0 : HV_PARTITION_ID_SELF;
	in->map_flags = prot;
	in->input_vtl = HV_INPUT_VTL_CURRENT;
	memset(in->reserved, 0, sizeof(in->reserved));
	s->cur = s->nr_calls++;
	s->desc[s->cur] = (struct call_desc){ .off = s->used, .nr = 0 };
	s->used += VTL_SCRIPT_HDR_BYTES;
}

static inline void script_call_add(struct script *s, u64 page)
{
	*(u64 *)(s->buf + s->used) = (VTL_SCRIPT_REGION_GPA >> 12) + page;
	s->used += 8;
	s->desc[s->cur].nr++;
	s->pages++;
}

static inline void script_init(struct script *s, u8 *buf, u64 size, bool floor)
{
	s->buf = buf;
	s->size = size;
	s->floor = floor;
	s->used = 0;
	s->nr_calls = 0;
	s->pages = 0;
	/* The descriptors fill the last quarter of the region. */
	s->max_calls = size / 4 / sizeof(struct call_desc);
	s->desc = (void *)(buf + size - s->max_calls * sizeof(struct call_desc));
	s->size = size - s->max_calls * sizeof(struct call_desc);
}

/* A call of @n consecutive pages from @first, split at VTL_SCRIPT_MAX_BATCH. */
static inline void script_range(struct script *s, u8 prot, u64 first, u64 n, u64 budget)
{
	u64 i, k;

	n = min(n, budget - s->pages);
	for (i = 0; i < n; i += k) {
		k = min(n - i, (u64)VTL_SCRIPT_MAX_BATCH);
		script_call_open(s, prot, k);
		while (s->desc[s->cur].nr < k)
			script_call_add(s, first + i + s->desc[s->cur].nr);
	}
}

/*
 * The boot-like pattern (vsm.rst, "vtl_protection_perf").  The region's
 * first half holds images: code of 16-240 pages, data of 8-56 pages, and
 * 16 untouched pages, placed one after the other and wrapping around.
 * For each image: the code loses W and X (one call), the data loses W
 * (one call), 1-16 calls of 1-16 random odd pages of the second half (the
 * pool) lose W, the code gets X back (RX, one call), and 0-7 calls of 1-16
 * pool pages protected earlier get everything back.  Until @budget page
 * changes; the last call may be cut short.
 */
static inline void script_boot(struct script *s, u64 region_pages, u64 budget)
{
	u64 half = region_pages / 2, pos = 0, nc, nd, k, j, n, p;
	u64 *held = calloc(budget, sizeof(u64)), nr_held = 0;

	TEST_ASSERT(held, "calloc");
	script_rng = 0x5eed;
	while (s->pages < budget) {
		nc = 16 + script_rnd(225);
		nd = 8 + script_rnd(49);
		if (pos + nc + nd + 16 > half)
			pos = 0;
		script_range(s, R, pos, nc, budget);
		script_range(s, R, pos + nc, nd, budget);
		for (k = 1 + script_rnd(16); k && s->pages < budget; k--) {
			n = min(1 + script_rnd(16), budget - s->pages);
			script_call_open(s, R, n);
			for (j = 0; j < n; j++) {
				p = half + (script_rnd(half / 2) * 2 + 1);
				script_call_add(s, p);
				held[nr_held++] = p;
			}
		}
		script_range(s, RX, pos, nc, budget);
		for (k = script_rnd(8); k && nr_held && s->pages < budget; k--) {
			n = min(min(1 + script_rnd(16), nr_held), budget - s->pages);
			script_call_open(s, RWX, n);
			for (j = 0; j < n; j++) {
				/* Take a random held page out of the list. */
				u64 idx = script_rnd(nr_held);

				script_call_add(s, held[idx]);
				held[idx] = held[--nr_held];
			}
		}
		pos += nc + nd + 16;
	}
	free(held);
}

/*
 * Sweep: @n pages lose W and X, then get everything back, @batch GPNs per
 * call.  Contiguous: pages 0..n-1 in order.  Scattered: page i*97 mod the
 * region size, so no two GPNs of a call are adjacent.
 */
static inline void script_sweep(struct script *s, u64 region_pages, u64 n, u32 batch,
				bool scattered)
{
	u8 prot[2] = { R, RWX };
	u64 i, pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			if (i % batch == 0)
				script_call_open(s, prot[pass], min((u64)batch, n - i));
			script_call_add(s, scattered ? (i * 97) % region_pages : i);
		}
}

/* Give the guest a script region of @pages pages at VTL_SCRIPT_GPA. */
static inline u8 *vtl_script_map(struct kvm_vm *vm, u32 slot, u64 pages)
{
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, VTL_SCRIPT_GPA, slot, pages, 0);
	script_gva = vm_vaddr_unused_gap(vm, pages * PAGE_SIZE, KVM_UTIL_MIN_VADDR);
	virt_map(vm, script_gva, VTL_SCRIPT_GPA, pages);
	sync_global_to_guest(vm, script_gva);
	return addr_gpa2hva(vm, VTL_SCRIPT_GPA);
}

/* The script is in guest memory: tell VTL1 where its descriptors are. */
static inline void vtl_script_publish(struct kvm_vm *vm, struct script *s)
{
	nr_calls = s->nr_calls;
	desc_off = (u8 *)s->desc - s->buf;
	expect_floor = s->floor;
	sync_global_to_guest(vm, nr_calls);
	sync_global_to_guest(vm, desc_off);
	sync_global_to_guest(vm, expect_floor);
}

#endif /* SELFTEST_KVM_VTL_SCRIPT_H */
