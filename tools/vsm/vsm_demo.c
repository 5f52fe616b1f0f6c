// SPDX-License-Identifier: GPL-2.0-only
/*
 * The end-to-end demonstration ("make run"): a VM with two virtual trust
 * levels, told step by step.  VTL0 enables VTL1; VTL1, the secure kernel,
 * enables its SynIC and memory protection and applies the boot-like
 * protection pattern of vtl_protection_perf to VTL0 memory, all with
 * HvCallModifyVtlProtectionMask handled inside KVM.  It then makes one page
 * of VTL0 data read-only; VTL0 writes it, KVM delivers the GPA intercept
 * to VTL1's SINT0, and VTL1 refuses the write by stepping VTL0 over it.
 * The host checks every step, so the demonstration fails if one does.
 */
#include <time.h>

#include "hyperv_vsm.h"
#include "vtl_script.h"

#define REGION_SLOT		10
#define SCRIPT_SLOT		9
#define DEMO_CHANGES		20000
#define DEMO_REGION_MIB		64

enum { S_VTL1_READY = 1, S_SCRIPT_DONE, S_PROTECTED, S_INTERCEPT, S_AFTER_WRITE };

static struct vtl_vp *the_vp;
static u64 data_gva, data_gpa;
static struct hv_message last_msg;
static u64 nr_msgs;

static noinline void __attribute__((naked)) vtl0_write(u64 *p, u64 v)
{
	asm volatile("movq %rsi, (%rdi)\n\t"	/* 48 89 37 */
		     "ret");
}

static void vtl1_sint0_isr(struct ex_regs *regs)
{
	vtl1_take_message(the_vp, &last_msg);
	nr_msgs++;
}

/* An intercept: show it, and refuse the write by skipping the instruction. */
static void vtl1_refuse(struct vtl_vp *vp)
{
	struct memory_intercept *m = (void *)last_msg.payload;
	u8 len = m->insn_len_cr8 & 0xf;

	GUEST_ASSERT_EQ(last_msg.message_type, HVMSG_GPA_INTERCEPT);
	GUEST_ASSERT_EQ(m->access_type, 1);
	GUEST_ASSERT_EQ(m->gpa, data_gpa);
	GUEST_PRINTF("[VTL1] SINT0: GpaIntercept from VP %u: %s at GPA 0x%lx, RIP 0x%lx,\n",
		     m->vp_index, m->access_type == 1 ? "write" : "other access",
		     m->gpa, m->rip);
	GUEST_PRINTF("[VTL1]        instruction %02x %02x %02x (%u bytes)\n",
		     m->insn_bytes[0], m->insn_bytes[1], m->insn_bytes[2], len);
	vtl1_skip_vtl0_insn(vp, len);
	GUEST_PRINTF("[VTL1] refuses the write: VTL0's RIP += %u (HvCallSetVpRegisters)\n",
		     len);
	GUEST_SYNC(S_INTERCEPT);
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	u32 reason = vtl1_enter(vp);

	if (vp->vtl1_entries == 1) {
		GUEST_PRINTF("[VTL1] first entry, on its own stack at 0x%lx\n",
			     vp->vtl1_stack_top);
		return VTL_RETURN_FAST;
	}
	if (reason == HV_VTL_ENTRY_INTERRUPT) {
		vtl1_refuse(vp);
		return vtl1_return_normal(vp, regs);
	}

	vtl1_enable_intercepts(vp);
	GUEST_PRINTF("[VTL1] SynIC on (intercepts arrive on SINT0), VTL protection on\n");
	GUEST_SYNC(S_VTL1_READY);

	vtl_script_run();
	GUEST_SYNC(S_SCRIPT_DONE);

	GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, data_gpa, R)), 0);
	GUEST_PRINTF("[VTL1] VTL0's data page at GPA 0x%lx is now read-only; back to VTL0\n",
		     data_gpa);
	GUEST_SYNC(S_PROTECTED);
	return vtl1_return_normal(vp, regs);
}

static void guest_main(struct vtl_vp *vp)
{
	u64 *data = (u64 *)data_gva;

	the_vp = vp;
	x2apic_enable();
	vtl0_enable_hypercalls(vp);
	vp->vtl1_rflags = VTL_RFLAGS_IF;
	vtl0_enable_vtl1(vp);
	GUEST_PRINTF("[VTL0] hypercall page on, VTL1 enabled on the partition and VP\n");
	vtl_call();
	GUEST_PRINTF("[VTL0] back from VTL1; HvCallVtlCall again to let it set up\n");
	*data = 0x600d;
	vtl_call();
	GUEST_PRINTF("[VTL0] writes 0xbad to its data page...\n");
	vtl0_write(data, 0xbad);
	GUEST_PRINTF("[VTL0] carries on after the write; the page holds 0x%lx\n", READ_ONCE(*data));
	GUEST_ASSERT_EQ(READ_ONCE(*data), 0x600d);
	GUEST_SYNC(S_AFTER_WRITE);
	GUEST_DONE();
}

static void expect_sync(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], stage);
}

/* What KVM's store holds for the region now, by VTL1 protection. */
static void show_store(struct kvm_vm *vm, u64 pages)
{
	struct kvm_vtl_protection_range r[64];
	struct kvm_vtl_protections g = {
		.gfn = VTL_SCRIPT_REGION_GPA >> 12,
		.end = (VTL_SCRIPT_REGION_GPA >> 12) + pages,
		.vtl = 1, .ranges = (u64)r,
	};
	u64 by_prot[16] = {}, nr_ranges = 0, i;

	while (g.gfn < g.end) {
		g.nr_ranges = ARRAY_SIZE(r);
		vm_ioctl(vm, KVM_GET_VTL_PROTECTIONS, &g);
		for (i = 0; i < g.nr_ranges; i++)
			by_prot[r[i].prot & 0xf] += r[i].npages;
		nr_ranges += g.nr_ranges;
	}
	printf("[host] KVM_GET_VTL_PROTECTIONS: %lu ranges in the region\n", nr_ranges);
	printf("[host]   %lu pages read-only, %lu read+execute, %lu untouched (RWX)\n",
	       by_prot[R], by_prot[RX], by_prot[RWX]);
	TEST_ASSERT(by_prot[R] && by_prot[RX] &&
		    by_prot[R] + by_prot[RX] + by_prot[RWX] == pages,
		    "the store does not hold what the script did");
}

int main(void)
{
	u64 pages = DEMO_REGION_MIB << 8, t0, ns;
	struct kvm_vcpu *vcpu;
	struct script script;
	struct timespec ts;
	struct kvm_vm *vm;
	struct ucall uc;
	u8 *buf;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_SYNIC2));
	printf("[host] a VM with KVM_CAP_HYPERV_VSM: VTL0 and VTL1, one vCPU\n");
	vm = vtl_vm_create_extra(1, 2048, guest_main, &vcpu);
	vcpu_enable_cap(vcpu, KVM_CAP_HYPERV_SYNIC2, 0);
	vm_install_exception_handler(vm, VTL1_SINT0_VECTOR, vtl1_sint0_isr);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, VTL_SCRIPT_REGION_GPA,
				    REGION_SLOT, pages, 0);
	buf = vtl_script_map(vm, SCRIPT_SLOT, 2048);
	data_gva = vm_vaddr_alloc_page(vm);
	data_gpa = addr_gva2gpa(vm, data_gva);
	sync_global_to_guest(vm, data_gva);
	sync_global_to_guest(vm, data_gpa);
	vtl_vp_setup(vcpu, vtl1_handler);

	script_init(&script, buf, 2048 * PAGE_SIZE, false);
	script_boot(&script, pages, DEMO_CHANGES);
	vtl_script_publish(vm, &script);
	expect_sync(vcpu, S_VTL1_READY);

	printf("[VTL1] applies the boot-like protection pattern to %d MiB of VTL0 memory:\n",
	       DEMO_REGION_MIB);
	printf("[VTL1]   %lu page changes in %lu HvCallModifyVtlProtectionMask calls\n",
	       script.pages, script.nr_calls);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	expect_sync(vcpu, S_SCRIPT_DONE);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = ts.tv_sec * 1000000000ull + ts.tv_nsec - t0;
	printf("[host] done in %lu ms, %lu ns per page (emulated CPU: compare ratios, below)\n",
	       ns / 1000000, ns / script.pages);
	show_store(vm, pages);

	expect_sync(vcpu, S_PROTECTED);
	expect_sync(vcpu, S_INTERCEPT);
	expect_sync(vcpu, S_AFTER_WRITE);
	TEST_ASSERT_EQ(*(u64 *)addr_gva2hva(vm, data_gva), 0x600d);
	sync_global_from_guest(vm, nr_msgs);
	TEST_ASSERT_EQ(nr_msgs, 1);
	printf("[host] VTL0's write never reached memory; VTL1 got %lu intercept\n", nr_msgs);
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
	printf("[host] demonstration complete\n");
	return 0;
}
