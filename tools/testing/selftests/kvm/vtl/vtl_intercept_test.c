// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory intercepts (TLFS 11): VTL1 enables its SynIC and protection,
 * removes W from a data page and X from a code page, and makes a page
 * unreadable.  VTL0's forbidden write, read and execute each enter VTL1
 * with EntryReason 2; VTL1's SINT0 handler finds an HvMessageTypeGpaIntercept
 * message in slot 0 of its message page, checked field by field.  VTL1
 * then either skips the instruction (RIP += InstructionLength through
 * HvCallSetVpRegisters), after which the write has not landed, or grants
 * the right and returns, after which VTL0's retried write lands.  With
 * KVM_VTL_PARTITION_VIOLATION_EXITS userspace also sees the violation.
 */
#include "vtl_lib.h"

#define R	KVM_VTL_PROT_READ
#define RW	(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE)
#define RWX	KVM_VTL_PROT_RWX

enum { ACC_READ, ACC_WRITE, ACC_EXEC };

/* What VTL1 does with an intercept. */
enum { SKIP = 1, GRANT };

static struct vtl_vp *the_vp;
static u64 data_gva, data_gpa, code_gva, code_gpa, secret_gva, secret_gpa;
static u64 overlay_gva, overlay_gpa;

/* Set by VTL1's SINT0 handler: the last message, and how many arrived. */
static struct hv_message last_msg;
static u64 nr_msgs;
/* Set by VTL0 before each violation: what VTL1 should do. */
static u64 action;
/* Set by VTL0 before a VtlCall: VTL1 protects this page so. */
static u64 cmd_gpa, cmd_prot;
static bool vtl1_set_up, fep;
static u64 last_reason;

/* VTL0's faulting instructions, at known addresses and of known length. */
static noinline void __attribute__((naked)) vtl0_write(u64 *p, u64 v)
{
	asm volatile("movq %rsi, (%rdi)\n\t"	/* 48 89 37 */
		     "ret");
}

static noinline u64 __attribute__((naked)) vtl0_read(u64 *p, u64 old)
{
	asm volatile("movq %rsi, %rax\n\t"
		     "movq (%rdi), %rax\n\t"	/* 48 8b 07 */
		     "ret");
}

/* The same write, through KVM's instruction emulator (forced emulation). */
static noinline void __attribute__((naked)) vtl0_emulated_write(u64 *p, u64 v)
{
	asm volatile(KVM_FEP
		     "movq %rsi, (%rdi)\n\t"
		     "ret");
}

#define FEP_LEN		5

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

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	struct memory_intercept *m = (void *)last_msg.payload;
	u32 reason = vtl1_enter(vp);

	last_reason = reason;
	if (vp->vtl1_entries == 1)
		return VTL_RETURN_FAST;

	if (reason == HV_VTL_ENTRY_VTL_CALL && vtl1_set_up) {
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, cmd_gpa, cmd_prot)), 0);
		return vtl1_return_normal(vp, regs);
	}
	if (reason == HV_VTL_ENTRY_VTL_CALL) {
		/* Set-up, at VTL0's request. */
		vtl1_set_up = true;
		vtl1_enable_intercepts(vp);
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, data_gpa, R)), 0);
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, code_gpa, RW)), 0);
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, secret_gpa, 0)), 0);
		return vtl1_return_normal(vp, regs);
	}

	GUEST_ASSERT_EQ(reason, HV_VTL_ENTRY_INTERRUPT);
	if (action == SKIP)
		vtl1_skip_vtl0_insn(vp, m->insn_len_cr8 & 0xf);
	else
		GUEST_ASSERT_EQ(HV_STATUS(vtl1_protect(vp, m->gpa & ~0xfffull, RWX)), 0);
	/* Give VTL0 back its own RAX and RCX. */
	return vtl1_return_normal(vp, regs);
}

enum {
	G_TYPE,
	G_PAYLOAD_SIZE,
	G_VP_INDEX,
	G_INSN_LEN,
	G_CR8,
	G_ACCESS_WRITE,
	G_EXEC_STATE,
	G_CS,
	G_RIP,
	G_RFLAGS,
	G_CACHE_TYPE,
	G_INSN_COUNT,
	G_INSN_BYTES,
	G_ACCESS_INFO,
	G_GVA,
	G_GPA,
	G_REASON,
	G_SKIPPED,
	G_GRANT_LANDS,
	G_READ_ACCESS,
	G_READ_GPA,
	G_READ_SKIPPED,
	G_EXEC_ACCESS,
	G_EXEC_GPA,
	G_EXEC_RIP,
	G_EXEC_RAN,
	G_MSG_COUNT,
	G_HC_IN_DENIED,
	G_HC_OUT_DENIED,
	G_HC_OUT_UNTOUCHED,
	G_SIMP_GP,
	G_SIEFP_GP,
	G_HCALL_PAGE_GP,
	G_ASSIST_GP,
	G_OVERLAY_INTACT,
	G_EMUL_ACCESS,
	G_EMUL_RIP,
	G_EMUL_LEN,
	G_EMUL_SKIPPED,
	H_EXIT_FLAGS,
	H_EXIT_GPA,
	H_THEN_VTL1,
	H_SECRET_KEPT,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[G_TYPE] = "message type HvMessageTypeGpaIntercept (0x80000001)",
	[G_PAYLOAD_SIZE] = "payload size 80",
	[G_VP_INDEX] = "header: VP index 0",
	[G_INSN_LEN] = "header: instruction length 3 (mov %rsi,(%rdi))",
	[G_CR8] = "header: CR8 0",
	[G_ACCESS_WRITE] = "header: access type 1 (write)",
	[G_EXEC_STATE] = "header: execution state CPL0, CR0.PE, EFER.LMA, VTL0",
	[G_CS] = "header: VTL0's CS selector, base, limit and attributes",
	[G_RIP] = "header: RIP of the faulting instruction",
	[G_RFLAGS] = "header: VTL0's RFLAGS",
	[G_CACHE_TYPE] = "cache type write-back (6)",
	[G_INSN_COUNT] = "16 instruction bytes",
	[G_INSN_BYTES] = "instruction bytes start 48 89 37 c3",
	[G_ACCESS_INFO] = "memory access info 0 (GVA not reported)",
	[G_GVA] = "GVA 0",
	[G_GPA] = "GPA of the write, offset included",
	[G_REASON] = "VTL1 entered with EntryReason 2 (interrupt)",
	[G_SKIPPED] = "VTL1 skipped the write: VTL0 continued, the page is unchanged",
	[G_GRANT_LANDS] = "VTL1 granted W: VTL0's retried write landed",
	[G_READ_ACCESS] = "read of an unreadable page: access type 0",
	[G_READ_GPA] = "read: GPA of the read",
	[G_READ_SKIPPED] = "read skipped by VTL1: RAX unchanged",
	[G_EXEC_ACCESS] = "execute of a non-executable page: access type 2",
	[G_EXEC_GPA] = "execute: GPA of the code page",
	[G_EXEC_RIP] = "execute: RIP is the code page",
	[G_EXEC_RAN] = "after VTL1 granted X, the code ran",
	[G_MSG_COUNT] = "one message per violation (4 so far)",
	[G_HC_IN_DENIED] = "hypercall input in a page VTL0 may not read: ACCESS_DENIED",
	[G_HC_OUT_DENIED] = "hypercall output in a page VTL0 may not write: ACCESS_DENIED",
	[G_HC_OUT_UNTOUCHED] = "the protected output page is untouched",
	[G_SIMP_GP] = "SIMP on a page VTL0 may not write: #GP",
	[G_SIEFP_GP] = "SIEFP on a page VTL0 may not write: #GP",
	[G_HCALL_PAGE_GP] = "hypercall page on a page VTL0 may not write: #GP",
	[G_ASSIST_GP] = "VP assist page on a page VTL0 may not write: #GP",
	[G_OVERLAY_INTACT] = "KVM cleared or wrote nothing there",
	[G_EMUL_ACCESS] = "emulated write to a read-only page: an intercept, access write",
	[G_EMUL_RIP] = "emulated write: RIP of the emulated mov",
	[G_EMUL_LEN] = "emulated write: instruction length 3",
	[G_EMUL_SKIPPED] = "emulated write skipped by VTL1: the page is unchanged",
	[H_EXIT_FLAGS] = "with violation exits: KVM_EXIT_MEMORY_FAULT, VTL0 write",
	[H_EXIT_GPA] = "with violation exits: the page's GPA",
	[H_THEN_VTL1] = "after the exit, VTL1 still gets the intercept (6 messages)",
	[H_SECRET_KEPT] = "the unreadable page still holds what VTL0 wrote before",
};

static void guest_main(struct vtl_vp *vp)
{
	struct memory_intercept *m = (void *)last_msg.payload;
	u64 *data = (u64 *)data_gva, *secret = (u64 *)secret_gva;
	union hv_register_value values[1];
	u64 rflags, val, before;
	u32 names[1];

	the_vp = vp;
	x2apic_enable();
	vtl0_enable_hypercalls(vp);
	vp->vtl1_rflags = VTL_RFLAGS_IF;
	vtl0_enable_vtl1(vp);
	vtl_call();			/* VTL1's first entry */
	*data = 0x1111;
	*secret = 0x5ec;
	vtl_call();			/* SynIC and protections */

	/* A write VTL1 skips. */
	action = SKIP;
	rflags = vtl_get_rflags();
	vtl0_write(data + 1, 0x2222);
	VTL_CHECK(G_TYPE, last_msg.message_type, HVMSG_GPA_INTERCEPT);
	VTL_CHECK(G_PAYLOAD_SIZE, last_msg.payload_size, 80);
	VTL_CHECK(G_VP_INDEX, m->vp_index, 0);
	VTL_CHECK(G_INSN_LEN, m->insn_len_cr8 & 0xf, 3);
	VTL_CHECK(G_CR8, m->insn_len_cr8 >> 4, 0);
	VTL_CHECK(G_ACCESS_WRITE, m->access_type, ACC_WRITE);
	VTL_CHECK(G_EXEC_STATE, m->execution_state, BIT(2) | BIT(4));
	VTL_CHECK(G_CS, m->cs_selector == get_cs() && m->cs_base == 0 &&
		  (m->cs_attributes & 0x20ff) == 0x209b, true);
	VTL_CHECK(G_RIP, m->rip, (u64)vtl0_write);
	VTL_CHECK(G_RFLAGS, m->rflags & ~0x8d5ull, rflags & ~0x8d5ull);
	VTL_CHECK(G_CACHE_TYPE, m->cache_type, 6);
	VTL_CHECK(G_INSN_COUNT, m->insn_byte_count, 16);
	VTL_CHECK(G_INSN_BYTES, *(u32 *)m->insn_bytes, 0xc3378948u);
	VTL_CHECK(G_ACCESS_INFO, m->access_info, 0);
	VTL_CHECK(G_GVA, m->gva, 0);
	VTL_CHECK(G_GPA, m->gpa, data_gpa + 8);
	VTL_CHECK(G_REASON, last_reason, HV_VTL_ENTRY_INTERRUPT);
	VTL_CHECK(G_SKIPPED, READ_ONCE(data[1]) == 0 && READ_ONCE(data[0]) == 0x1111, true);

	/* A write VTL1 allows by granting W. */
	action = GRANT;
	vtl0_write(data + 2, 0x3333);
	VTL_CHECK(G_GRANT_LANDS, READ_ONCE(data[2]), 0x3333);

	/* A read VTL1 skips: RAX keeps what it had. */
	action = SKIP;
	val = vtl0_read(secret, 0x77);
	VTL_CHECK(G_READ_ACCESS, m->access_type, ACC_READ);
	VTL_CHECK(G_READ_GPA, m->gpa, secret_gpa);
	VTL_CHECK(G_READ_SKIPPED, val, 0x77);

	/* An execute VTL1 allows by granting X. */
	action = GRANT;
	((void (*)(void))code_gva)();
	VTL_CHECK(G_EXEC_ACCESS, m->access_type, ACC_EXEC);
	VTL_CHECK(G_EXEC_GPA, m->gpa, code_gpa);
	VTL_CHECK(G_EXEC_RIP, m->rip, code_gva);
	VTL_CHECK(G_EXEC_RAN, READ_ONCE(*(u8 *)(code_gva + 64)), 1);
	VTL_CHECK(G_MSG_COUNT, nr_msgs, 4);

	/* KVM reads hypercall input and writes output under VTL0's rights. */
	names[0] = HV_REG_RIP;
	GUEST_ASSERT_EQ(HV_STATUS(hv_get_vp_registers(&vp->hc[0], HV_VP_INDEX_SELF,
						      HV_INPUT_VTL_CURRENT, names, 1,
						      values)), 0);
	vtl0_protect(vp->hc[0].in.gpa, 0);
	VTL_CHECK(G_HC_IN_DENIED,
		  HV_STATUS(vtl_hypercall(HVCALL_GET_VP_REGISTERS | HV_HYPERCALL_REP_COUNT(1),
					  vp->hc[0].in.gpa, vp->hc[0].out.gpa)),
		  HV_STATUS_ACCESS_DENIED);
	vtl0_protect(vp->hc[0].in.gpa, RWX);
	before = *(u64 *)vp->hc[0].out.gva;
	vtl0_protect(vp->hc[0].out.gpa, R);
	VTL_CHECK(G_HC_OUT_DENIED,
		  HV_STATUS(vtl_hypercall(HVCALL_GET_VP_REGISTERS | HV_HYPERCALL_REP_COUNT(1),
					  vp->hc[0].in.gpa, vp->hc[0].out.gpa)),
		  HV_STATUS_ACCESS_DENIED);
	VTL_CHECK(G_HC_OUT_UNTOUCHED, *(u64 *)vp->hc[0].out.gva, before);
	vtl0_protect(vp->hc[0].out.gpa, RWX);

	/* KVM enables no overlay page it would write over read-only memory. */
	*(u64 *)overlay_gva = 0x0ce1;
	vtl0_protect(overlay_gpa, R);
	VTL_CHECK(G_SIMP_GP, wrmsr_safe(HV_X64_MSR_SIMP, overlay_gpa | 1), GP_VECTOR);
	VTL_CHECK(G_SIEFP_GP, wrmsr_safe(HV_X64_MSR_SIEFP, overlay_gpa | 1), GP_VECTOR);
	VTL_CHECK(G_HCALL_PAGE_GP, wrmsr_safe(HV_X64_MSR_HYPERCALL, overlay_gpa | 1),
		  GP_VECTOR);
	VTL_CHECK(G_ASSIST_GP, wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE, overlay_gpa | 1),
		  GP_VECTOR);
	VTL_CHECK(G_OVERLAY_INTACT, *(u64 *)overlay_gva, 0x0ce1);
	vtl0_protect(overlay_gpa, RWX);

	/* The instruction emulator's write is checked like the guest's. */
	if (fep) {
		vtl0_protect(data_gpa, R);
		action = SKIP;
		vtl0_emulated_write(data + 4, 0x5555);
		VTL_CHECK(G_EMUL_ACCESS, nr_msgs == 5 && m->access_type == ACC_WRITE, true);
		VTL_CHECK(G_EMUL_RIP, m->rip, (u64)vtl0_emulated_write + FEP_LEN);
		VTL_CHECK(G_EMUL_LEN, m->insn_len_cr8 & 0xf, 3);
		VTL_CHECK(G_EMUL_SKIPPED, READ_ONCE(data[4]), 0);
	}

	/* With violation exits on: the host sees it, then VTL1 handles it. */
	GUEST_SYNC(1);
	action = SKIP;
	vtl0_write(secret + 1, 0x4444);
	VTL_CHECK(H_THEN_VTL1, nr_msgs, fep ? 6 : 5);
	GUEST_DONE();
}

int main(void)
{
	struct kvm_vtl_partition part;
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int r, i, old_fep = 0, one = 1;
	u8 *code;

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
	data_gva = vm_vaddr_alloc_page(vm);
	data_gpa = addr_gva2gpa(vm, data_gva);
	secret_gva = vm_vaddr_alloc_page(vm);
	secret_gpa = addr_gva2gpa(vm, secret_gva);
	code_gva = vm_vaddr_alloc_page(vm);
	code_gpa = addr_gva2gpa(vm, code_gva);
	overlay_gva = vm_vaddr_alloc_page(vm);
	overlay_gpa = addr_gva2gpa(vm, overlay_gva);
	sync_global_to_guest(vm, overlay_gva);
	sync_global_to_guest(vm, overlay_gpa);
	code = addr_gva2hva(vm, code_gva);
	/* movb $1, 64(code) (RIP-relative, 7 bytes); ret */
	code[0] = 0xc6;
	code[1] = 0x05;
	*(u32 *)&code[2] = 64 - 7;
	code[6] = 1;
	code[7] = 0xc3;
	sync_global_to_guest(vm, data_gva);
	sync_global_to_guest(vm, data_gpa);
	sync_global_to_guest(vm, secret_gva);
	sync_global_to_guest(vm, secret_gpa);
	sync_global_to_guest(vm, code_gva);
	sync_global_to_guest(vm, code_gpa);
	sync_global_to_guest(vm, fep);
	vtl_vp_setup(vcpu, vtl1_handler);

	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, &checks), UCALL_SYNC);
	TEST_ASSERT(!__vm_ioctl(vm, KVM_GET_VTL_PARTITION, &part), "KVM_GET_VTL_PARTITION");
	part.flags = KVM_VTL_PARTITION_VIOLATION_EXITS;
	TEST_ASSERT(!__vm_ioctl(vm, KVM_SET_VTL_PARTITION, &part), "KVM_SET_VTL_PARTITION");

	r = __vcpu_run(vcpu);
	vtl_check(&checks, H_EXIT_FLAGS,
		  r == -1 && errno == EFAULT &&
		  vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT &&
		  vcpu->run->memory_fault.flags ==
		  (KVM_MEMORY_EXIT_FLAG_VTL_VIOLATION | KVM_MEMORY_EXIT_FLAG_VTL_WRITE), true);
	vtl_check(&checks, H_EXIT_GPA, vcpu->run->memory_fault.gpa, secret_gpa);
	TEST_ASSERT_EQ(vtl_run(vcpu, &uc, &checks), UCALL_DONE);
	vtl_check(&checks, H_SECRET_KEPT,
		  ((u64 *)addr_gva2hva(vm, secret_gva))[0] == 0x5ec &&
		  ((u64 *)addr_gva2hva(vm, secret_gva))[1] == 0, true);

	if (!fep)
		for (i = G_EMUL_ACCESS; i <= G_EMUL_SKIPPED; i++)
			if (!checks.seen[i]) {
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
