// SPDX-License-Identifier: GPL-2.0-only
/*
 * VSM end to end on one vCPU: the guest reads the VSM status registers,
 * checks the enabling errors with their exact TLFS status codes, enables
 * VTL1, and calls into it through the hypercall page.  VTL1 runs on its own
 * stack, changes shared registers and returns.  The host then inspects both
 * VTLs through the VTL ioctls.
 */
#include "vtl_lib.h"

#define NR_CALLS			100

struct test_pages {
	u64 input[512];
	u64 output[512];
	struct hv_enable_vp_vtl ctx;
};

/* Filled in by the host. */
static vm_vaddr_t pages_gva;
static vm_paddr_t pages_gpa;
static vm_paddr_t hcall_gpa;
static void *hcall_page;
/* Read by the VTL1 code in asm, so not static. */
u64 smoke_return_stub;

/*
 * VTL1: count entries in R13, report its RSP in R14, and return fast so
 * that the shared registers reach VTL0 as they are.  The next VtlCall
 * resumes after the call to the stub.
 */
static void __attribute__((naked)) smoke_vtl1_entry(void)
{
	asm volatile("1:	inc %r13\n\t"
		     "mov %rsp, %r14\n\t"
		     "mov $1, %rcx\n\t"
		     "call *smoke_return_stub(%rip)\n\t"
		     "jmp 1b\n\t");
}

static u64 smoke_get_register(u32 name)
{
	struct test_pages *p = (void *)pages_gva;
	vm_paddr_t gpa = pages_gpa;

	memset(p->input, 0, 24);
	p->input[0] = HV_PARTITION_ID_SELF;
	p->input[1] = HV_VP_INDEX_SELF;
	*(u32 *)&p->input[2] = name;
	hyperv_hypercall(HVCALL_GET_VP_REGISTERS | (1ull << 32), gpa,
			 gpa + offsetof(struct test_pages, output));
	return p->output[0];
}

static u16 smoke_enable_partition_vtl(u64 partition_id, u8 vtl)
{
	struct test_pages *p = (void *)pages_gva;
	u64 status;

	p->input[0] = partition_id;
	p->input[1] = vtl;
	GUEST_ASSERT(!__hyperv_hypercall(HVCALL_ENABLE_PARTITION_VTL, pages_gpa,
					 0, &status));
	return status;
}

static u16 smoke_enable_vp_vtl(u32 vp_index)
{
	struct test_pages *p = (void *)pages_gva;
	u64 status;

	p->ctx.vp_index = vp_index;
	GUEST_ASSERT(!__hyperv_hypercall(HVCALL_ENABLE_VP_VTL,
					 pages_gpa + offsetof(struct test_pages, ctx),
					 0, &status));
	return status;
}

static void guest_code(void)
{
	u64 status, offsets, call_stub, r13, r14, rsp_before, rsp_after;
	int i;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, hcall_gpa | 1);

	/* TLFS 7.2: EnabledVtlSet 15:0, MaximumVtl 19:16. */
	GUEST_ASSERT_EQ(smoke_get_register(HV_REG_VSM_PARTITION_STATUS), 0x10001);
	/* ActiveVtl 3:0, EnabledVtlSet 31:16. */
	GUEST_ASSERT_EQ(smoke_get_register(HV_REG_VSM_VP_STATUS), 0x10000);

	GUEST_ASSERT_EQ(smoke_enable_partition_vtl(0, 1), HV_STATUS_INVALID_PARTITION_ID);
	GUEST_ASSERT_EQ(smoke_enable_partition_vtl(HV_PARTITION_ID_SELF, 0),
			HV_STATUS_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(smoke_enable_partition_vtl(HV_PARTITION_ID_SELF, 2),
			HV_STATUS_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(smoke_enable_vp_vtl(HV_VP_INDEX_SELF), HV_STATUS_INVALID_VTL_STATE);
	GUEST_ASSERT_EQ(smoke_enable_partition_vtl(HV_PARTITION_ID_SELF, 1), 0);
	GUEST_ASSERT_EQ(smoke_enable_partition_vtl(HV_PARTITION_ID_SELF, 1),
			HV_STATUS_INVALID_VTL_STATE);
	GUEST_ASSERT_EQ(smoke_enable_vp_vtl(0xffffffff), HV_STATUS_INVALID_VP_INDEX);
	GUEST_ASSERT_EQ(smoke_enable_vp_vtl(HV_VP_INDEX_SELF), 0);
	GUEST_ASSERT_EQ(smoke_enable_vp_vtl(HV_VP_INDEX_SELF), HV_STATUS_VTL_ALREADY_ENABLED);
	GUEST_ASSERT_EQ(smoke_get_register(HV_REG_VSM_PARTITION_STATUS), 0x10003);
	GUEST_ASSERT_EQ(smoke_get_register(HV_REG_VSM_VP_STATUS), 0x30000);

	/* A VTL never reads a higher VTL's state (TLFS 5.5). */
	{
		struct test_pages *p = (void *)pages_gva;

		p->input[0] = HV_PARTITION_ID_SELF;
		p->input[1] = HV_VP_INDEX_SELF | (0x11ull << 32);
		*(u32 *)&p->input[2] = HV_REG_RSP;
		GUEST_ASSERT(!__hyperv_hypercall(HVCALL_GET_VP_REGISTERS | (1ull << 32),
						 pages_gpa, pages_gpa +
						 offsetof(struct test_pages, output),
						 &status));
		GUEST_ASSERT_EQ(status & 0xffff, HV_STATUS_ACCESS_DENIED);
	}

	offsets = smoke_get_register(HV_REG_VSM_CODE_PAGE_OFFSETS);
	call_stub = (u64)hcall_page + (offsets & 0xfff);
	smoke_return_stub = (u64)hcall_page + ((offsets >> 12) & 0xfff);
	GUEST_SYNC(offsets);

	for (i = 1; i <= NR_CALLS; i++) {
		asm volatile("mov %%rsp, %[before]\n\t"
			     "xor %%r13d, %%r13d\n\t"
			     "xor %%ecx, %%ecx\n\t"
			     "call *%[stub]\n\t"
			     "mov %%rsp, %[after]\n\t"
			     "mov %%r13, %[r13]\n\t"
			     "mov %%r14, %[r14]\n\t"
			     : [before] "=&r"(rsp_before), [after] "=&r"(rsp_after),
			       [r13] "=&r"(r13), [r14] "=&r"(r14)
			     : [stub] "m"(call_stub)
			     : "rax", "rcx", "r13", "r14", "cc", "memory");
		GUEST_ASSERT_EQ(rsp_before, rsp_after);
		GUEST_ASSERT_EQ(r13, 1);
		GUEST_ASSERT_NE(r14, rsp_before);
	}
	GUEST_SYNC(r14);
	GUEST_DONE();
}

static u16 smoke_attributes(const struct kvm_segment *s)
{
	return s->type | s->s << 4 | s->dpl << 5 | s->present << 7 |
	       s->avl << 12 | s->l << 13 | s->db << 14 | s->g << 15;
}

static void smoke_segment(struct hv_x64_segment_register *h, const struct kvm_segment *s)
{
	h->base = s->base;
	h->limit = s->limit;
	h->selector = s->selector;
	h->attributes = smoke_attributes(s);
}

static void build_vtl1_context(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			       struct test_pages *p, vm_vaddr_t stack_top)
{
	struct hv_enable_vp_vtl *in = &p->ctx;
	struct hv_initial_vp_context *c = &in->ctx;
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	memset(in, 0, sizeof(*in));
	in->partition_id = HV_PARTITION_ID_SELF;
	in->target_vtl = 1;
	c->rip = (u64)smoke_vtl1_entry;
	c->rsp = stack_top;
	c->rflags = 0x2;
	smoke_segment(&c->cs, &sregs.cs);
	smoke_segment(&c->ds, &sregs.ds);
	smoke_segment(&c->es, &sregs.es);
	smoke_segment(&c->fs, &sregs.fs);
	smoke_segment(&c->gs, &sregs.gs);
	smoke_segment(&c->ss, &sregs.ss);
	smoke_segment(&c->tr, &sregs.tr);
	smoke_segment(&c->ldtr, &sregs.ldt);
	c->idtr.base = sregs.idt.base;
	c->idtr.limit = sregs.idt.limit;
	c->gdtr.base = sregs.gdt.base;
	c->gdtr.limit = sregs.gdt.limit;
	c->efer = sregs.efer;
	c->cr0 = sregs.cr0;
	c->cr3 = sregs.cr3;
	c->cr4 = sregs.cr4;
	c->msr_cr_pat = 0x0007040600070406ull;
}

int main(int argc, char *argv[])
{
	struct kvm_vtl_state state;
	struct kvm_vtl_vcpu vtl_vcpu;
	vm_vaddr_t stack, hcall_gva;
	struct kvm_vcpu *vcpu;
	struct test_pages *p;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 offsets = 0;
	int stage;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	ksft_print_header();
	ksft_set_plan(4);

	vm = vm_create_barebones();
	TEST_ASSERT(__vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 3) && errno == EINVAL,
		    "three VTLs must be refused");
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 2);
	kvm_vm_free(vm);

	vm = __vm_create(VM_SHAPE_DEFAULT, 1, 0);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 2);
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	vcpu_set_hv_cpuid(vcpu);
	TEST_ASSERT(__vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 2) && errno == EBUSY,
		    "enabling VSM after a vCPU exists must fail with EBUSY");
	ksft_test_result_pass("KVM_CAP_HYPERV_VSM: 2 VTLs only, before vCPUs\n");

	pages_gva = vm_vaddr_alloc_pages(vm, 3);
	pages_gpa = addr_gva2gpa(vm, pages_gva);
	hcall_gva = vm_vaddr_alloc_page(vm);
	hcall_gpa = addr_gva2gpa(vm, hcall_gva);
	hcall_page = (void *)hcall_gva;
	stack = vm_vaddr_alloc_pages(vm, VTL1_STACK_PAGES);
	sync_global_to_guest(vm, pages_gva);
	sync_global_to_guest(vm, pages_gpa);
	sync_global_to_guest(vm, hcall_gpa);
	sync_global_to_guest(vm, hcall_page);

	p = addr_gva2hva(vm, pages_gva);
	build_vtl1_context(vm, vcpu, p, stack + VTL1_STACK_PAGES * PAGE_SIZE);

	for (stage = 0;; stage++) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		case UCALL_SYNC:
			if (stage == 0) {
				offsets = uc.args[1];
				ksft_test_result_pass("VSM status and enabling, offsets %#lx\n",
						      offsets);
			}
			continue;
		case UCALL_DONE:
			break;
		default:
			TEST_FAIL("unexpected ucall");
		}
		break;
	}
	ksft_test_result_pass("%d VTL call/return round trips through the hypercall page\n",
			      NR_CALLS);

	vcpu_ioctl(vcpu, KVM_GET_VTL_VCPU, &vtl_vcpu);
	TEST_ASSERT_EQ(vtl_vcpu.active_vtl, 0);
	TEST_ASSERT_EQ(vtl_vcpu.enabled_vtls, 3);
	memset(&state, 0, sizeof(state));
	state.vtl = 1;
	vcpu_ioctl(vcpu, KVM_GET_VTL_STATE, &state);
	/* VTL1 waits at the stub's RET, its return address on its stack. */
	TEST_ASSERT_EQ(state.rip, hcall_gva + ((offsets >> 12) & 0xfff) + 11);
	TEST_ASSERT_EQ(state.rsp, stack + VTL1_STACK_PAGES * PAGE_SIZE - 8);
	state.vtl = 5;
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_GET_VTL_STATE, &state) && errno == EINVAL,
		    "VTL 5 must be refused");
	ksft_test_result_pass("KVM_GET_VTL_VCPU / KVM_GET_VTL_STATE see VTL1 parked\n");

	kvm_vm_free(vm);
	ksft_finished();
}
