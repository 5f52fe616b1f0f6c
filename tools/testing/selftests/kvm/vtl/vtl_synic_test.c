// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-VTL SynIC and asynchronous entry into VTL1.  VTL1 enables its own VP
 * assist page, SynIC, message page and SINT0/SINT2 and returns with IF=1;
 * VTL0 has a SynIC of its own.  The host posts messages to VTL1 with
 * KVM_VTL_POST_MESSAGE while VTL0 runs: the vCPU enters VTL1 with
 * EntryReason 2, VTL1's SINT handler finds the message in VTL1's message
 * page, VTL1 returns and VTL0 continues with all its GPRs intact.  A busy
 * slot gives -EAGAIN and MessagePending.  VTL0's message page is never
 * touched.  Also the ioctl's argument checks.
 */
#include "vtl_lib.h"

#define VTL0_SINT0_VECTOR	0xf1
#define VTL1_SINT2_VECTOR	0xf2

#define MSG_TYPE		0x80000001u
#define MSG_PAYLOAD(n)		(0x4d53470000000000ull | (n))

#define SEED			0x7700000000000000ull

enum {
	SYNC_READY = 1,
	SYNC_BUSY_1,
	SYNC_BUSY_2,
	SYNC_BUSY_3,
};

enum {
	H_BAD_VTL,
	H_BAD_VTL_HUGE,
	H_BAD_SINT,
	H_FLAGS,
	H_PAD,
	H_PAYLOAD_SIZE,
	H_VTL1_NOT_ENABLED,
	H_VTL0_NO_SIMP,
	H_VTL1_SINT1_MASKED,
	H_VTL0_SINT1_MASKED,
	H_POST_1,
	H_POST_2,
	H_POST_3,
	H_POST_BUSY,
	H_PENDING_FLAG,
	H_SLOT_KEPT,
	H_POST_4,
	H_VTL0_SIMP_ZERO,
	G1_SINT0_TAKEN,
	G1_ISR_IN_VTL1,
	G1_MESSAGE,
	G1_SLOT_FREED,
	G1_ISR_BEFORE_HANDLER,
	G1_HANDLER_RSP,
	G2_GPRS,
	G2_SINT0_TAKEN,
	G2_MESSAGE,
	G3_SINT2_TAKEN,
	G4_NOT_ENTERED,
	G5_PENDING_SEEN,
	G6_SINT2_AGAIN,
	G_ENTRY_LOG,
	G_VTL0_NO_INTERRUPT,
	G_VTL0_SIMP_ZERO,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[H_BAD_VTL] = "KVM_VTL_POST_MESSAGE vtl=2: EINVAL",
	[H_BAD_VTL_HUGE] = "KVM_VTL_POST_MESSAGE vtl=0xffffffff: EINVAL",
	[H_BAD_SINT] = "KVM_VTL_POST_MESSAGE sint=16: EINVAL",
	[H_FLAGS] = "KVM_VTL_POST_MESSAGE flags=1: EINVAL",
	[H_PAD] = "KVM_VTL_POST_MESSAGE pad=1: EINVAL",
	[H_PAYLOAD_SIZE] = "KVM_VTL_POST_MESSAGE with PayloadSize 241: EINVAL",
	[H_VTL1_NOT_ENABLED] = "KVM_VTL_POST_MESSAGE to VTL1 before it is enabled: EINVAL",
	[H_VTL0_NO_SIMP] = "KVM_VTL_POST_MESSAGE to VTL0 without a message page: ENXIO",
	[H_VTL1_SINT1_MASKED] = "KVM_VTL_POST_MESSAGE to VTL1's masked SINT1: ENXIO",
	[H_VTL0_SINT1_MASKED] = "KVM_VTL_POST_MESSAGE to VTL0's masked SINT1: ENXIO",
	[H_POST_1] = "KVM_VTL_POST_MESSAGE to VTL1 SINT0 succeeds",
	[H_POST_2] = "KVM_VTL_POST_MESSAGE to VTL1 SINT0 again succeeds",
	[H_POST_3] = "KVM_VTL_POST_MESSAGE to VTL1 SINT2 succeeds",
	[H_POST_BUSY] = "KVM_VTL_POST_MESSAGE to a busy slot: EAGAIN",
	[H_PENDING_FLAG] = "the busy slot got MessagePending",
	[H_SLOT_KEPT] = "the busy slot still holds the first message",
	[H_POST_4] = "KVM_VTL_POST_MESSAGE after VTL1 freed the slot succeeds",
	[H_VTL0_SIMP_ZERO] = "VTL0's message page is untouched (host view)",
	[G1_SINT0_TAKEN] = "VTL1's SINT0 handler ran once",
	[G1_ISR_IN_VTL1] = "the SINT0 handler ran in VTL1 (VTL1's CR3)",
	[G1_MESSAGE] = "VTL1 found the message in slot 0 of its message page",
	[G1_SLOT_FREED] = "VTL1 freed slot 0",
	[G1_ISR_BEFORE_HANDLER] = "the interrupt was taken at once on the entry (IF=1)",
	[G1_HANDLER_RSP] = "VTL1 resumed on its own RSP for the interrupt entry",
	[G2_GPRS] = "VTL0's GPRs are intact across an asynchronous VTL1 entry",
	[G2_SINT0_TAKEN] = "VTL1's SINT0 handler ran for the second message",
	[G2_MESSAGE] = "VTL1 found the second message",
	[G3_SINT2_TAKEN] = "VTL1's SINT2 handler ran (slot left busy)",
	[G4_NOT_ENTERED] = "no VTL1 entry for the message that got EAGAIN",
	[G5_PENDING_SEEN] = "VTL1 sees MessagePending in its busy slot",
	[G6_SINT2_AGAIN] = "the re-posted message reaches VTL1's SINT2",
	[G_ENTRY_LOG] = "VTL1 entry reasons: 0 (first), 2, 2, 2, 1, 2",
	[G_VTL0_NO_INTERRUPT] = "no SynIC interrupt was delivered for VTL0",
	[G_VTL0_SIMP_ZERO] = "VTL0's message page is untouched (guest view)",
};

static struct vtl_vp *the_vp;
static u64 sint0_count, sint2_count, vtl0_sint_count;
static u64 isr_cr3, pending_seen;
static u64 last_type, last_payload;
static u64 entry_log, entry_nr;
static u64 isr_before_handler, handler_rsp;

static struct hv_message *vtl1_slot(struct vtl_vp *vp, int sint)
{
	return (struct hv_message *)(vp->simp[1].gva + sint * sizeof(struct hv_message));
}

static void record_message(struct hv_message *msg)
{
	WRITE_ONCE(last_type, msg->message_type);
	WRITE_ONCE(last_payload, msg->payload[0]);
}

static void vtl1_sint0_isr(struct ex_regs *regs)
{
	struct hv_message *msg = vtl1_slot(the_vp, 0);

	isr_cr3 = get_cr3();
	record_message(msg);
	WRITE_ONCE(msg->message_type, 0);
	if (msg->message_flags & HV_MESSAGE_FLAG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
	sint0_count++;
	x2apic_write_reg(APIC_EOI, 0);
}

/* Leaves the slot busy, so that the next post finds it occupied. */
static void vtl1_sint2_isr(struct ex_regs *regs)
{
	record_message(vtl1_slot(the_vp, 2));
	sint2_count++;
	x2apic_write_reg(APIC_EOI, 0);
}

static void vtl0_sint_isr(struct ex_regs *regs)
{
	vtl0_sint_count++;
	x2apic_write_reg(APIC_EOI, 0);
}

static void vtl1_setup_synic(struct vtl_vp *vp)
{
	wrmsr(HV_X64_MSR_SCONTROL, 1);
	wrmsr(HV_X64_MSR_SIMP, vp->simp[1].gpa | 1);
	wrmsr(HV_X64_MSR_SINT0, VTL1_SINT0_VECTOR);
	wrmsr(HV_X64_MSR_SINT2, VTL1_SINT2_VECTOR);
}

static u64 vtl1_handler(struct vtl_gprs *regs, struct vtl_vp *vp)
{
	struct hv_message *slot2;
	u32 reason = vtl1_enter(vp);

	if (entry_nr < 16)
		entry_log |= (u64)reason << (4 * entry_nr);
	entry_nr++;

	if (vp->vtl1_entries == 1) {	/* first entry: no VP assist page yet */
		vtl1_setup_synic(vp);
		return VTL_RETURN_FAST;
	}

	switch (reason) {
	case HV_VTL_ENTRY_INTERRUPT:
		isr_before_handler = sint0_count + sint2_count;
		handler_rsp = regs->rsp;
		/* Give VTL0 back its own RAX and RCX. */
		return vtl1_return_normal(vp, regs);
	case HV_VTL_ENTRY_VTL_CALL:
		/* VTL0 asks VTL1 to drain the busy SINT2 slot. */
		slot2 = vtl1_slot(vp, 2);
		pending_seen = slot2->message_flags & HV_MESSAGE_FLAG_PENDING;
		WRITE_ONCE(slot2->message_type, 0);
		wrmsr(HV_X64_MSR_EOM, 0);
		return vtl1_return_normal(vp, regs);
	default:
		GUEST_FAIL("unexpected VTL1 entry reason %u", reason);
	}
	return VTL_RETURN_FAST;
}

/* Bit i set: GPR i of @r is wrong after the bare ucall. */
static u64 pio_gprs_mismatch(const struct vtl_gprs *r)
{
	const u64 *reg = (const u64 *)r;
	u64 mask = 0, want;
	int i;

	for (i = 0; i < 15; i++) {
		if (&reg[i] == &r->rax)
			continue;	/* AL holds the IN result */
		else if (&reg[i] == &r->rdx)
			want = VTL_UCALL_PIO_PORT;
		else if (&reg[i] == &r->rdi)
			want = 0;
		else
			want = SEED | (u64)(i + 1) << 32 | i;
		if (reg[i] != want)
			mask |= BIT_ULL(i);
	}
	return mask;
}

static bool page_is_zero(const u64 *p)
{
	int i;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

static void guest_code(struct vtl_vp *vp)
{
	struct vtl_gprs regs = {};
	u64 *reg = (u64 *)&regs;
	u64 entries;
	int i;

	the_vp = vp;
	x2apic_enable();
	vtl0_enable_hypercalls(vp);
	vp->vtl1_rflags = VTL_RFLAGS_IF;
	vtl0_enable_vtl1(vp);
	vtl_call();		/* VTL1 sets up its SynIC */

	wrmsr(HV_X64_MSR_SCONTROL, 1);
	wrmsr(HV_X64_MSR_SIMP, vp->simp[0].gpa | 1);
	wrmsr(HV_X64_MSR_SINT0, VTL0_SINT0_VECTOR);

	GUEST_SYNC(SYNC_READY);		/* the host posts message 1 */
	VTL_CHECK(G1_SINT0_TAKEN, sint0_count, 1);
	VTL_CHECK(G1_ISR_IN_VTL1, isr_cr3, vp->vtl1_cr3);
	VTL_CHECK(G1_MESSAGE, last_type == MSG_TYPE && last_payload == MSG_PAYLOAD(1), true);
	VTL_CHECK(G1_SLOT_FREED, vtl1_slot(vp, 0)->message_type, 0);
	VTL_CHECK(G1_ISR_BEFORE_HANDLER, isr_before_handler, 1);
	VTL_CHECK(G1_HANDLER_RSP, handler_rsp, vp->vtl1_stack_top - 16);

	for (i = 0; i < 15; i++)
		reg[i] = SEED | (u64)(i + 1) << 32 | i;
	vtl_bare_ucall_regs(&regs);		/* the host posts message 2 */
	VTL_CHECK(G2_GPRS, pio_gprs_mismatch(&regs), 0);
	VTL_CHECK(G2_SINT0_TAKEN, sint0_count, 2);
	VTL_CHECK(G2_MESSAGE, last_type == MSG_TYPE && last_payload == MSG_PAYLOAD(2), true);

	GUEST_SYNC(SYNC_BUSY_1);	/* message 3 to SINT2, left in the slot */
	VTL_CHECK(G3_SINT2_TAKEN, sint2_count, 1);
	entries = vp->vtl1_entries;
	GUEST_SYNC(SYNC_BUSY_2);	/* message 4: EAGAIN */
	VTL_CHECK(G4_NOT_ENTERED, vp->vtl1_entries, entries);

	vtl_call();			/* VTL1 frees the slot */
	VTL_CHECK(G5_PENDING_SEEN, pending_seen, HV_MESSAGE_FLAG_PENDING);
	GUEST_SYNC(SYNC_BUSY_3);	/* message 4 again */
	VTL_CHECK(G6_SINT2_AGAIN, sint2_count == 2 && last_payload == MSG_PAYLOAD(4), true);

	VTL_CHECK(G_ENTRY_LOG, entry_log, 0x212220);
	VTL_CHECK(G_VTL0_NO_INTERRUPT, vtl0_sint_count, 0);
	VTL_CHECK(G_VTL0_SIMP_ZERO, page_is_zero((u64 *)vp->simp[0].gva), true);
	GUEST_DONE();
}

static int __post(struct kvm_vcpu *vcpu, u32 vtl, u32 sint, u32 flags, u32 pad, u64 n,
		  u8 payload_size)
{
	struct kvm_vtl_message m = {
		.vtl = vtl,
		.sint = sint,
		.flags = flags,
		.pad = pad,
	};
	struct hv_message *msg = (struct hv_message *)m.message;

	msg->message_type = MSG_TYPE;
	msg->payload_size = payload_size;
	msg->origination_id = 0x1234;
	msg->payload[0] = MSG_PAYLOAD(n);
	msg->payload[1] = ~MSG_PAYLOAD(n);
	return __vcpu_ioctl(vcpu, KVM_VTL_POST_MESSAGE, &m) ? -errno : 0;
}

static int post(struct kvm_vcpu *vcpu, u32 vtl, u32 sint, u32 flags, u32 pad, u64 n)
{
	return __post(vcpu, vtl, sint, flags, pad, n, 16);
}

static void handle_sync(struct kvm_vcpu *vcpu, struct vtl_vp *vp, struct ucall *uc,
			struct vtl_checks *c)
{
	struct hv_message *slot2 = addr_gva2hva(vcpu->vm, vp->simp[1].gva + 2 * 256);

	switch (uc->args[1]) {
	case SYNC_READY:
		vtl_check(c, H_VTL1_SINT1_MASKED, post(vcpu, 1, 1, 0, 0, 0), -ENXIO);
		vtl_check(c, H_VTL0_SINT1_MASKED, post(vcpu, 0, 1, 0, 0, 0), -ENXIO);
		/* A valid target, so that only the size is wrong. */
		vtl_check(c, H_PAYLOAD_SIZE, __post(vcpu, 1, 0, 0, 0, 1, 241), -EINVAL);
		vtl_check(c, H_POST_1, post(vcpu, 1, 0, 0, 0, 1), 0);
		break;
	case SYNC_BUSY_1:
		vtl_check(c, H_POST_3, post(vcpu, 1, 2, 0, 0, 3), 0);
		break;
	case SYNC_BUSY_2:
		vtl_check(c, H_POST_BUSY, post(vcpu, 1, 2, 0, 0, 4), -EAGAIN);
		vtl_check(c, H_PENDING_FLAG, slot2->message_flags & HV_MESSAGE_FLAG_PENDING,
			  HV_MESSAGE_FLAG_PENDING);
		vtl_check(c, H_SLOT_KEPT, slot2->payload[0], MSG_PAYLOAD(3));
		break;
	case SYNC_BUSY_3:
		vtl_check(c, H_POST_4, post(vcpu, 1, 2, 0, 0, 4), 0);
		break;
	default:
		TEST_FAIL("unknown sync %lu", uc->args[1]);
	}
}

int main(void)
{
	struct vtl_checks checks;
	struct kvm_vcpu *vcpu;
	struct vtl_vp *vp;
	struct kvm_vm *vm;
	bool pio_seen = false;
	struct ucall uc;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_SYNIC2));

	ksft_print_header();
	ksft_set_plan(NR_CHECKS);
	vtl_checks_init(&checks, check_names, NR_CHECKS);

	vm = vtl_vm_create(1, guest_code, &vcpu);
	vcpu_enable_cap(vcpu, KVM_CAP_HYPERV_SYNIC2, 0);
	vm_install_exception_handler(vm, VTL1_SINT0_VECTOR, vtl1_sint0_isr);
	vm_install_exception_handler(vm, VTL1_SINT2_VECTOR, vtl1_sint2_isr);
	vm_install_exception_handler(vm, VTL0_SINT0_VECTOR, vtl0_sint_isr);
	vp = vtl_vp_setup(vcpu, vtl1_handler);

	vtl_check(&checks, H_BAD_VTL, post(vcpu, 2, 0, 0, 0, 0), -EINVAL);
	vtl_check(&checks, H_BAD_VTL_HUGE, post(vcpu, ~0u, 0, 0, 0, 0), -EINVAL);
	vtl_check(&checks, H_BAD_SINT, post(vcpu, 0, 16, 0, 0, 0), -EINVAL);
	vtl_check(&checks, H_FLAGS, post(vcpu, 0, 0, 1, 0, 0), -EINVAL);
	vtl_check(&checks, H_PAD, post(vcpu, 0, 0, 0, 1, 0), -EINVAL);
	vtl_check(&checks, H_VTL1_NOT_ENABLED, post(vcpu, 1, 0, 0, 0, 0), -EINVAL);
	vtl_check(&checks, H_VTL0_NO_SIMP, post(vcpu, 0, 0, 0, 0, 0), -ENXIO);

	for (;;) {
		switch (vtl_run(vcpu, &uc, &checks)) {
		case UCALL_SYNC:
			handle_sync(vcpu, vp, &uc, &checks);
			continue;
		case UCALL_NONE:
			/* A second one means VTL0's IN was executed again. */
			TEST_ASSERT(!pio_seen, "VTL0 repeated its IN across the VTL1 entry");
			pio_seen = true;
			vtl_check(&checks, H_POST_2, post(vcpu, 1, 0, 0, 0, 2), 0);
			continue;
		}
		break;
	}

	vtl_check(&checks, H_VTL0_SIMP_ZERO,
		  page_is_zero(addr_gva2hva(vm, vp->simp[0].gva)), true);

	vtl_checks_finish(&checks);
	kvm_vm_free(vm);
	ksft_finished();
}
