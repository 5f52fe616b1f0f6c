// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM's own accesses to guest memory for VTL0 honour VTL1's protections,
 * like the guest's: the hardware's and KVM's walk of VTL0's page tables,
 * the instruction emulator's fetch, the input of the Hyper-V hypercalls
 * KVM handles outside VSM, and the reference TSC page.
 *
 * VTL1 enables its SynIC and protection.  A data page sits alone at 1 GiB,
 * so that its last-level page table maps nothing else; VTL1 makes that
 * table unreadable.  VTL0's read of the data page then enters VTL1 with a
 * GPA intercept for the table, whether the hardware walks it or KVM does
 * (forced emulation); VTL1 grants access and VTL0's read completes.  An
 * emulated instruction whose last bytes lie on a page without X is an
 * execute intercept for that page, not a #UD.  Hypercall input VTL0 may not
 * read gives ACCESS_DENIED, and the TSC page cannot be enabled on memory
 * VTL0 may not write.
 */
#include "vtl_lib.h"

#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE	0x0002
#define HVCALL_SEND_IPI				0x000b
#define HVCALL_POST_MESSAGE			0x005c

#define RW	(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE)
#define RWX	KVM_VTL_PROT_RWX

enum { ACC_READ, ACC_WRITE, ACC_EXEC };

#define DATA_VALUE	0xda7a5eedull
#define FEP_LEN		5

static struct vtl_vp *the_vp;
static u64 data_gva, pte_gpa, straddle_gva, code_b_gpa, tsc_gpa;
static bool fep;

/* Set by VTL1's SINT0 handler. */
static struct hv_message last_msg;
static u64 nr_msgs;
/* Set by VTL0 before a VtlCall: VTL1 protects this page so. */
static u64 cmd_gpa, cmd_prot;
static bool vtl1_set_up;

static noinline u64 __attribute__((naked)) vtl0_read(u64 *p)
{
	asm volatile("movq (%rdi), %rax\n\t"
		     "ret");
}

static noinline u64 __attribute__((naked)) vtl0_emulated_read(u64 *p)
{
	asm volatile(KVM_FEP
		     "movq (%rdi), %rax\n\t"	/* 48 8b 07 */
		     "ret");
}

static void vtl0_protect(u64 gpa, u8 prot)
{
	cmd_gpa = gpa;
	cmd_prot = prot;
	vtl_call();
}

static void vtl1_sint0_isr(struct ex_regs *regs)
{
	vtl1_take_message(the_vp, &last_msg);
	nr_msgs++;
}

/* VTL1: set up on the first call, protect on request, grant on intercepts. */
static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	struct memory_intercept *m = (void *)last_msg.payload;
	u32 reason = vtl1_enter(vp);

	if (vp->vtl1_entries == 1)
		return VTL_RETURN_FAST;

	if (reason == HV_VTL_ENTRY_VTL_CALL && !vtl1_set_up) {
		vtl1_set_up = true;
		vtl1_enable_intercepts(vp);
	} else if (reason == HV_VTL_ENTRY_VTL_CALL) {
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, cmd_gpa, cmd_prot)), 0);
	} else {
		GUEST_ASSERT_EQ(reason, HV_VTL_ENTRY_INTERRUPT);
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, m->gpa & ~0xfffull, RWX)), 0);
	}
	return vtl1_return_normal(vp, regs);
}

enum {
	G_WARM_READ,
	G_HW_WALK_MSG,
	G_HW_WALK_GPA,
	G_HW_WALK_ACCESS,
	G_HW_WALK_READ,
	G_EMUL_WALK_MSG,
	G_EMUL_WALK_GPA,
	G_EMUL_WALK_ACCESS,
	G_EMUL_WALK_RIP,
	G_EMUL_WALK_LEN,
	G_EMUL_WALK_READ,
	G_FETCH_MSG,
	G_FETCH_ACCESS,
	G_FETCH_GPA,
	G_FETCH_RIP,
	G_FETCH_READ,
	G_FLUSH_DENIED,
	G_IPI_DENIED,
	G_POST_DENIED,
	G_FLUSH_ALLOWED,
	G_TSC_GP,
	G_TSC_ALLOWED,
	G_MSG_COUNT,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[G_WARM_READ] = "VTL0 reads the data page at 1 GiB",
	[G_HW_WALK_MSG] = "table unreadable, hardware walk: one GPA intercept",
	[G_HW_WALK_GPA] = "hardware walk: the GPA is in the table page",
	[G_HW_WALK_ACCESS] = "hardware walk: access read, or write where the walk sets A/D",
	[G_HW_WALK_READ] = "after VTL1 granted access, the read returned the data",
	[G_EMUL_WALK_MSG] = "table unreadable, KVM's walk (forced emulation): one GPA intercept",
	[G_EMUL_WALK_GPA] = "KVM's walk: the GPA of the PTE it reads",
	[G_EMUL_WALK_ACCESS] = "KVM's walk: access type 0 (read)",
	[G_EMUL_WALK_RIP] = "KVM's walk: RIP of the emulated mov",
	[G_EMUL_WALK_LEN] = "KVM's walk: instruction length 3",
	[G_EMUL_WALK_READ] = "after VTL1 granted access, the read returned the data",
	[G_FETCH_MSG] = "emulated fetch from a page without X: a GPA intercept, not #UD",
	[G_FETCH_ACCESS] = "emulated fetch: access type 2 (execute)",
	[G_FETCH_GPA] = "emulated fetch: the GPA of the page without X",
	[G_FETCH_RIP] = "emulated fetch: RIP of the instruction after the prefix",
	[G_FETCH_READ] = "after VTL1 granted X, the instruction ran",
	[G_FLUSH_DENIED] = "HvCallFlushVirtualAddressSpace, input unreadable: ACCESS_DENIED",
	[G_IPI_DENIED] = "HvCallSendSyntheticClusterIpi, input unreadable: ACCESS_DENIED",
	[G_POST_DENIED] = "HvCallPostMessage, input unreadable: ACCESS_DENIED",
	[G_FLUSH_ALLOWED] = "HvCallFlushVirtualAddressSpace, input readable: success",
	[G_TSC_GP] = "reference TSC page on a page VTL0 may not write: #GP",
	[G_TSC_ALLOWED] = "reference TSC page on a writable page: accepted",
	[G_MSG_COUNT] = "one intercept per violation",
};

static void guest_main(struct vtl_vp *vp)
{
	struct memory_intercept *m = (void *)last_msg.payload;
	u64 *data = (u64 *)data_gva;
	u64 *in = (u64 *)vp->hc[0].in.gva;
	u64 in_gpa = vp->hc[0].in.gpa, pt_gpa = pte_gpa & ~0xfffull;
	u64 val, msgs = 0;

	the_vp = vp;
	x2apic_enable();
	vtl0_enable_hypercalls(vp);
	vp->vtl1_rflags = VTL_RFLAGS_IF;
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1's first entry */
	vtl_call();			/* SynIC and protection */

	/* A first read sets the accessed bits of the walk. */
	VTL_CHECK(G_WARM_READ, vtl0_read(data), DATA_VALUE);

	vtl0_protect(pt_gpa, 0);
	val = vtl0_read(data);
	VTL_CHECK(G_HW_WALK_MSG, nr_msgs == ++msgs &&
		  last_msg.message_type == HVMSG_GPA_INTERCEPT, true);
	VTL_CHECK(G_HW_WALK_GPA, m->gpa & ~0xfffull, pt_gpa);
	VTL_CHECK(G_HW_WALK_ACCESS, m->access_type == ACC_READ ||
		  m->access_type == ACC_WRITE, true);
	VTL_CHECK(G_HW_WALK_READ, val, DATA_VALUE);

	if (fep) {
		vtl0_protect(pt_gpa, 0);
		val = vtl0_emulated_read(data);
		VTL_CHECK(G_EMUL_WALK_MSG, nr_msgs, ++msgs);
		VTL_CHECK(G_EMUL_WALK_GPA, m->gpa, pte_gpa);
		VTL_CHECK(G_EMUL_WALK_ACCESS, m->access_type, ACC_READ);
		VTL_CHECK(G_EMUL_WALK_RIP, m->rip, (u64)vtl0_emulated_read + FEP_LEN);
		VTL_CHECK(G_EMUL_WALK_LEN, m->insn_len_cr8 & 0xf, 3);
		VTL_CHECK(G_EMUL_WALK_READ, val, DATA_VALUE);

		vtl0_protect(code_b_gpa, RW);
		val = ((u64 (*)(u64 *))straddle_gva)(data);
		VTL_CHECK(G_FETCH_MSG, nr_msgs, ++msgs);
		VTL_CHECK(G_FETCH_ACCESS, m->access_type, ACC_EXEC);
		VTL_CHECK(G_FETCH_GPA, m->gpa, code_b_gpa);
		VTL_CHECK(G_FETCH_RIP, m->rip, straddle_gva + FEP_LEN);
		VTL_CHECK(G_FETCH_READ, val, DATA_VALUE);
	}

	/* Flush all address spaces on all processors, if KVM reads it. */
	in[0] = 0;
	in[1] = BIT(0) | BIT(1);
	in[2] = 0;
	vtl0_protect(in_gpa, 0);
	VTL_CHECK(G_FLUSH_DENIED,
		  HV_STATUS(vtl_hypercall(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, in_gpa, 0)),
		  HV_STATUS_ACCESS_DENIED);
	VTL_CHECK(G_IPI_DENIED, HV_STATUS(vtl_hypercall(HVCALL_SEND_IPI, in_gpa, 0)),
		  HV_STATUS_ACCESS_DENIED);
	VTL_CHECK(G_POST_DENIED, HV_STATUS(vtl_hypercall(HVCALL_POST_MESSAGE, in_gpa, 0)),
		  HV_STATUS_ACCESS_DENIED);
	vtl0_protect(in_gpa, RWX);
	VTL_CHECK(G_FLUSH_ALLOWED,
		  HV_STATUS(vtl_hypercall(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, in_gpa, 0)),
		  HV_STATUS_SUCCESS);

	vtl0_protect(tsc_gpa, KVM_VTL_PROT_READ);
	VTL_CHECK(G_TSC_GP, wrmsr_safe(HV_X64_MSR_REFERENCE_TSC, tsc_gpa | 1), GP_VECTOR);
	vtl0_protect(tsc_gpa, RWX);
	VTL_CHECK(G_TSC_ALLOWED, wrmsr_safe(HV_X64_MSR_REFERENCE_TSC, tsc_gpa | 1), 0);
	wrmsr(HV_X64_MSR_REFERENCE_TSC, 0);

	VTL_CHECK(G_MSG_COUNT, nr_msgs, msgs);
	GUEST_DONE();
}

/*
 * FEP plus "mov (%rdi), %rax" end page A; its last byte and "ret" start
 * page B, so the emulator fetches from B after the CPU ran only on A.
 */
static u64 place_straddling_code(struct kvm_vm *vm)
{
	static const u8 head[] = { 0x0f, 0x0b, 'k', 'v', 'm', 0x48, 0x8b };
	static const u8 tail[] = { 0x07, 0xc3 };
	u64 code_gva = vm_vaddr_alloc(vm, 2 * PAGE_SIZE, KVM_UTIL_MIN_VADDR);
	u64 start = code_gva + PAGE_SIZE - sizeof(head);

	memcpy(addr_gva2hva(vm, start), head, sizeof(head));
	memcpy(addr_gva2hva(vm, code_gva + PAGE_SIZE), tail, sizeof(tail));
	code_b_gpa = addr_gva2gpa(vm, code_gva + PAGE_SIZE);
	return start;
}

int main(void)
{
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int i, old_fep = 0, one = 1;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_SYNIC2));
	ksft_print_header();
	ksft_set_plan(NR_CHECKS);
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	fep = vtl_fep_param("r", &old_fep) && vtl_fep_param("w", &one);
	if (!fep)
		ksft_print_msg("cannot set kvm.force_emulation_prefix: no emulator checks\n");
	vm = vtl_vm_create(1, guest_main, &vcpu);
	vcpu_enable_cap(vcpu, KVM_CAP_HYPERV_SYNIC2, 0);
	vm_install_exception_handler(vm, VTL1_SINT0_VECTOR, vtl1_sint0_isr);

	/* Alone in its 1 GiB, so that its page table maps nothing else. */
	data_gva = vm_vaddr_alloc(vm, PAGE_SIZE, 1ull << 30);
	*(u64 *)addr_gva2hva(vm, data_gva) = DATA_VALUE;
	pte_gpa = addr_hva2gpa(vm, vm_get_page_table_entry(vm, data_gva));
	straddle_gva = place_straddling_code(vm);
	tsc_gpa = addr_gva2gpa(vm, vm_vaddr_alloc_page(vm));
	sync_global_to_guest(vm, data_gva);
	sync_global_to_guest(vm, pte_gpa);
	sync_global_to_guest(vm, straddle_gva);
	sync_global_to_guest(vm, code_b_gpa);
	sync_global_to_guest(vm, tsc_gpa);
	sync_global_to_guest(vm, fep);
	vtl_vp_setup(vcpu, vtl1_handler);

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, &checks), UCALL_DONE);

	if (!fep)
		for (i = G_EMUL_WALK_MSG; i <= G_FETCH_READ; i++) {
			checks.seen[i] = true;
			ksft_test_result_skip("%s\n", check_names[i]);
		}
	/* Later tests in the same boot must not see forced emulation. */
	if (fep)
		TEST_ASSERT(vtl_fep_param("w", &old_fep), "restoring " VTL_FEP_PARAM);
	vtl_checks_finish(&checks);
	kvm_vm_free(vm);
	ksft_finished();
}
