/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the Hyper-V Virtual Secure Mode (VSM) selftests: a VM with
 * VTL0 and VTL1, the VSM hypercalls issued directly with vmcall/vmmcall,
 * and the VTL call/return trampolines of a minimal "secure kernel".
 *
 * Guest ABI reminders (Documentation/virt/kvm/vsm.rst):
 *  - All GPRs except RSP are shared between the VTLs and KVM saves none of
 *    them.  vtl_call_asm() saves the callee-saved registers on VTL0's own
 *    stack; vtl1_entry saves all of VTL0's GPRs on VTL1's stack on every
 *    entry (synchronous or not) and reloads them before its VtlReturn.
 *  - VtlCall: RCX = 0x11, RAX = 0.  VtlReturn: RCX = 0x12, RAX = 0 (normal:
 *    VTL0's RAX/RCX come from VTL1's VP assist page +16/+24) or 1 (fast).
 *  - VTL1 starts at ctx.rip on the first VtlCall and later resumes right
 *    after the hypercall instruction of its own last VtlReturn.
 *  - The FPU/SSE state is shared too and vtl1_entry does not save it: VTL1
 *    code may clobber XMM registers.  That is harmless for VTL0 as long as
 *    it enters or is interrupted into VTL1 only across function calls (all
 *    XMM registers are caller-saved), which holds for these tests.
 *
 * VTL1's stack: the initial context gives VTL1 RSP = top - 16, and the
 * quadword at that address holds the guest address of the VP's struct
 * vtl_vp.  vtl1_entry always finds it there because VTL1 resumes with the
 * RSP of its last VtlReturn, which is that same value.
 *
 * Each test is a single translation unit, so the trampolines live here as
 * top-level assembly.
 */
#ifndef SELFTEST_KVM_VTL_LIB_H
#define SELFTEST_KVM_VTL_LIB_H

#include <errno.h>
#include <string.h>

#include <linux/kvm.h>
#include <linux/kvm_vtl.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"
#include "apic.h"

/* Hypercall codes (TLFS) that hyperv.h does not have. */
#define HVCALL_MODIFY_VTL_PROTECTION_MASK	0x000c
#define HVCALL_ENABLE_PARTITION_VTL		0x000d
#define HVCALL_ENABLE_VP_VTL			0x000f
#define HVCALL_VTL_CALL				0x0011
#define HVCALL_VTL_RETURN			0x0012
#define HVCALL_START_VIRTUAL_PROCESSOR		0x0099
#define HVCALL_GET_VP_INDEX_FROM_APIC_ID	0x009a

#define HV_STATUS_INVALID_PARTITION_ID		0x000d
#define HV_STATUS_INVALID_VP_INDEX		0x000e
#define HV_STATUS_INVALID_VP_STATE		0x0015
#define HV_STATUS_INVALID_REGISTER_VALUE	0x0050
#define HV_STATUS_INVALID_VTL_STATE		0x0051
#define HV_STATUS_VTL_ALREADY_ENABLED		0x0086

#define HV_PARTITION_ID_SELF			((u64)-1)
#define HV_VP_INDEX_SELF			0xfffffffeu
#define HV_ANY_VP				0xffffffffu
/* HV_INPUT_VTL: bit 4 says "use the VTL in bits 3:0". */
#define HV_INPUT_VTL(vtl)			(0x10 | (vtl))
#define HV_INPUT_VTL_CURRENT			0

#define HV_HYPERCALL_REP_COUNT(n)		((u64)(n) << 32)
#define HV_STATUS(rax)				((rax) & 0xffff)
#define HV_REPS_COMPLETED(rax)			(((rax) >> 32) & 0xfff)

/* VtlReturn control input. */
#define VTL_RETURN_NORMAL			0
#define VTL_RETURN_FAST				1

/* HV_VTL_ENTRY_REASON, at VTL1's VP assist page + 8. */
#define HV_VTL_ENTRY_VTL_CALL			1
#define HV_VTL_ENTRY_INTERRUPT			2

#define HV_VP_ASSIST_ENTRY_REASON		8
#define HV_VP_ASSIST_VTL_RETURN_RAX		16
#define HV_VP_ASSIST_VTL_RETURN_RCX		24

/* CPUID 0x40000003 bits for VSM that hyperv.h does not name. */
#define HV_ACCESS_VSM						\
	KVM_X86_CPU_FEATURE(HYPERV_CPUID_FEATURES, 0, EBX, 16)
#define HV_ACCESS_VP_REGISTERS					\
	KVM_X86_CPU_FEATURE(HYPERV_CPUID_FEATURES, 0, EBX, 17)
#define HV_START_VIRTUAL_PROCESSOR				\
	KVM_X86_CPU_FEATURE(HYPERV_CPUID_FEATURES, 0, EBX, 21)
#define HV_X64_HYPERCALL_XMM_OUTPUT_AVAILABLE			\
	KVM_X86_CPU_FEATURE(HYPERV_CPUID_FEATURES, 0, EDX, 15)

/* Register names for HvCallGetVpRegisters/HvCallSetVpRegisters. */
#define HV_REG_VSM_CODE_PAGE_OFFSETS		0x000d0002
#define HV_REG_VSM_VP_STATUS			0x000d0003
#define HV_REG_VSM_PARTITION_STATUS		0x000d0004
#define HV_REG_VSM_VINA				0x000d0005
#define HV_REG_VSM_CAPABILITIES			0x000d0006
#define HV_REG_VSM_PARTITION_CONFIG		0x000d0007
#define HV_REG_VSM_VP_SECURE_CONFIG_VTL0	0x000d0010
#define HV_REG_RAX				0x00020000
#define HV_REG_RBX				0x00020003
#define HV_REG_RSP				0x00020004
#define HV_REG_R12				0x0002000c
#define HV_REG_RIP				0x00020010
#define HV_REG_RFLAGS				0x00020011
#define HV_REG_CR0				0x00040000
#define HV_REG_CR2				0x00040001
#define HV_REG_CR3				0x00040002
#define HV_REG_CR4				0x00040003
#define HV_REG_CR8				0x00040004
#define HV_REG_DR7				0x00050005
#define HV_REG_ES				0x00060000
#define HV_REG_CS				0x00060001
#define HV_REG_SS				0x00060002
#define HV_REG_DS				0x00060003
#define HV_REG_FS				0x00060004
#define HV_REG_GS				0x00060005
#define HV_REG_LDTR				0x00060006
#define HV_REG_TR				0x00060007
#define HV_REG_IDTR				0x00070000
#define HV_REG_GDTR				0x00070001
#define HV_REG_EFER				0x00080001
#define HV_REG_KERNEL_GS_BASE			0x00080002
#define HV_REG_APIC_BASE			0x00080003
#define HV_REG_PAT				0x00080004
#define HV_REG_SYSENTER_CS			0x00080005
#define HV_REG_SYSENTER_EIP			0x00080006
#define HV_REG_SYSENTER_ESP			0x00080007
#define HV_REG_STAR				0x00080008
#define HV_REG_LSTAR				0x00080009
#define HV_REG_CSTAR				0x0008000a
#define HV_REG_SFMASK				0x0008000b
#define HV_REG_TSC_AUX				0x0008007b
#define HV_REG_HYPERCALL			0x00090001
#define HV_REG_GUEST_OS_ID			0x00090002
#define HV_REG_VP_INDEX				0x00090003
#define HV_REG_VP_ASSIST_PAGE			0x00090013
#define HV_REG_SINT0				0x000a0000
#define HV_REG_SCONTROL				0x000a0010
#define HV_REG_SVERSION				0x000a0011
#define HV_REG_SIEFP				0x000a0012
#define HV_REG_SIMP				0x000a0013

#define VTL_RFLAGS_IF				BIT_ULL(9)
#define VTL_RFLAGS_AC				BIT_ULL(18)
/* CF, PF, AF, ZF, SF, OF: clobbered by ordinary code. */
#define VTL_RFLAGS_ARITH			0x8d5ull

/* What VTL0 and VTL1 write to their HV_X64_MSR_GUEST_OS_ID. */
#define VTL0_GUEST_OS_ID			HYPERV_LINUX_OS_ID
#define VTL1_GUEST_OS_ID			(HYPERV_LINUX_OS_ID | 0x5ec)

#define VTL1_STACK_PAGES			4

/* The ucall port of lib/x86_64/ucall.c. */
#define VTL_UCALL_PIO_PORT			0x1000

struct hv_x64_segment_register {
	u64 base;
	u32 limit;
	u16 selector;
	u16 attributes;
} __packed;

struct hv_x64_table_register {
	u16 pad[3];
	u16 limit;
	u64 base;
} __packed;

struct hv_initial_vp_context {
	u64 rip;
	u64 rsp;
	u64 rflags;
	struct hv_x64_segment_register cs;
	struct hv_x64_segment_register ds;
	struct hv_x64_segment_register es;
	struct hv_x64_segment_register fs;
	struct hv_x64_segment_register gs;
	struct hv_x64_segment_register ss;
	struct hv_x64_segment_register tr;
	struct hv_x64_segment_register ldtr;
	struct hv_x64_table_register idtr;
	struct hv_x64_table_register gdtr;
	u64 efer;
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 msr_cr_pat;
} __packed;

struct hv_enable_partition_vtl {
	u64 partition_id;
	u8 target_vtl;
	u8 flags;
	u8 reserved[6];
} __packed;

/* Input of HvCallEnableVpVtl and HvCallStartVirtualProcessor. */
struct hv_enable_vp_vtl {
	u64 partition_id;
	u32 vp_index;
	u8 target_vtl;
	u8 reserved[3];
	struct hv_initial_vp_context ctx;
} __packed;

struct hv_vp_registers_hdr {
	u64 partition_id;
	u32 vp_index;
	u8 input_vtl;
	u8 reserved[3];
} __packed;

union hv_register_value {
	struct {
		u64 low;
		u64 high;
	};
	struct hv_x64_segment_register seg;
	struct hv_x64_table_register table;
};

struct hv_register_assoc {
	u32 name;
	u32 reserved1;
	u64 reserved2;
	union hv_register_value value;
};

struct hv_message {
	u32 message_type;
	u8 payload_size;
	u8 message_flags;
	u16 reserved;
	u64 origination_id;
	u64 payload[30];
} __packed;

#define HV_MESSAGE_FLAG_PENDING			BIT(0)

/* The vector VTL1's tests give SINT0, where memory intercepts arrive. */
#define VTL1_SINT0_VECTOR			0xf0

/* HV_X64_MEMORY_INTERCEPT_MESSAGE (TLFS 11), the GpaIntercept payload. */
#define HVMSG_GPA_INTERCEPT			0x80000001u

struct memory_intercept {
	u32 vp_index;
	u8 insn_len_cr8;
	u8 access_type;
	u16 execution_state;
	u64 cs_base;
	u32 cs_limit;
	u16 cs_selector;
	u16 cs_attributes;
	u64 rip;
	u64 rflags;
	u32 cache_type;
	u8 insn_byte_count;
	u8 access_info;
	u8 tpr_priority;
	u8 reserved;
	u64 gva;
	u64 gpa;
	u8 insn_bytes[16];
} __packed;

kvm_static_assert(sizeof(struct memory_intercept) == 80);

kvm_static_assert(sizeof(struct hv_initial_vp_context) == 224);
kvm_static_assert(sizeof(struct hv_enable_vp_vtl) == 240);
kvm_static_assert(sizeof(struct hv_enable_partition_vtl) == 16);
kvm_static_assert(sizeof(struct hv_vp_registers_hdr) == 16);
kvm_static_assert(sizeof(union hv_register_value) == 16);
kvm_static_assert(sizeof(struct hv_register_assoc) == 32);
kvm_static_assert(sizeof(struct hv_message) == 256);

/*
 * The shared GPRs as vtl1_entry saves them on VTL1's stack (lowest address
 * first, i.e. in reverse push order), and as vtl_call_asm() loads and
 * stores them around a VtlCall.  The offsets are used by the assembly.
 *
 * @rsp is not a shared register: for vtl_call_asm() it is VTL0's RSP at
 * the hypercall instruction (raw vmcall path), for vtl1_entry it is VTL1's
 * RSP when it was entered.  Neither trampoline loads it.
 */
struct vtl_gprs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 rsp;
};

/* The trampolines below use these offsets. */
kvm_static_assert(sizeof(struct vtl_gprs) == 128);
kvm_static_assert(offsetof(struct vtl_gprs, rbp) == 64);
kvm_static_assert(offsetof(struct vtl_gprs, rdi) == 72);
kvm_static_assert(offsetof(struct vtl_gprs, rax) == 112);
kvm_static_assert(offsetof(struct vtl_gprs, rsp) == 120);

/* A guest page: its guest virtual and guest physical address. */
struct vtl_page {
	u64 gva;
	u64 gpa;
};

/* The hypercall input and output pages one VTL uses on one VP. */
struct vtl_hc {
	struct vtl_page in;
	struct vtl_page out;
};

/*
 * Per-VP state shared by the host, VTL0 and VTL1 (one page of guest memory
 * per vCPU).  The first two fields are used by vtl1_entry.
 */
struct vtl_vp {
	/* u64 (*)(struct vtl_gprs *, struct vtl_vp *): returns the VtlReturn control. */
	u64 vtl1_handler;
	/* 0: VtlReturn with a raw vmcall, else the address of a VtlReturn stub. */
	u64 vtl1_ret_stub;

	u32 vcpu_id;
	u32 vp_index;
	struct vtl_hc hc[KVM_VTL_MAX_NR];
	struct vtl_page hcall_page[KVM_VTL_MAX_NR];
	struct vtl_page assist[KVM_VTL_MAX_NR];
	struct vtl_page simp[KVM_VTL_MAX_NR];
	u64 vtl1_stack_base;
	u64 vtl1_stack_top;
	/* GPA of VTL1's top-level page table: a copy of VTL0's. */
	u64 vtl1_cr3;

	/* Initial context choices, used by vtl_init_vp_context(). */
	u64 vtl1_rflags;
	u64 vtl1_fs_base;

	/* Kept by VTL1 (vtl1_enter()). */
	u64 vtl1_ready;
	u64 vtl1_entries;
	u32 last_entry_reason;
	u32 pad;

	/* Free for the test. */
	u64 test[32];
};

kvm_static_assert(offsetof(struct vtl_vp, vtl1_handler) == 0);
kvm_static_assert(offsetof(struct vtl_vp, vtl1_ret_stub) == 8);
kvm_static_assert(sizeof(struct vtl_vp) <= PAGE_SIZE);

/* The trampolines, below. */
void vtl1_entry(void);
void vtl_call_asm(struct vtl_gprs *regs, void *stub);
void vtl_bare_ucall_regs(struct vtl_gprs *regs);
extern char vtl1_after_vmcall[], vtl1_after_vmmcall[];
extern char vtl_call_after_vmcall[], vtl_call_after_vmmcall[];
extern char vtl_call_alt_resume[];

/* Incremented when VTL0 resumes at vtl_call_alt_resume instead. */
u64 vtl_alt_resume_count;

/*
 * vtl1_entry: VTL1's entry point (ctx.rip) and, through its own "jmp",
 * the place where every later entry resumes.
 *
 * It pushes all of VTL0's GPRs (plus a slot holding VTL1's RSP) on VTL1's
 * stack, calls vp->vtl1_handler(regs, vp), puts the handler's return value
 * (the VtlReturn control input) in the saved RAX, reloads all GPRs from the
 * (possibly edited) frame and issues VtlReturn: through vp->vtl1_ret_stub
 * if that is set (stub convention: RCX = control input), otherwise with a
 * raw vmcall/vmmcall, RCX = 0x12 and RAX = control input.  For a normal
 * return the handler must have put VTL0's RAX/RCX in the VP assist page.
 *
 * Alignment: RSP = top - 16 at entry is 16-byte aligned, 8 + 15 * 8 = 128
 * bytes of frame keep it so for the call.
 */
asm("\t.pushsection .text\n"
	"\t.balign 16\n"
	"\t.global vtl1_entry\n"
	"\t.type vtl1_entry, @function\n"
	"vtl1_entry:\n"
	"\tsub $8, %rsp\n"
	"\tpush %rax\n"
	"\tpush %rbx\n"
	"\tpush %rcx\n"
	"\tpush %rdx\n"
	"\tpush %rsi\n"
	"\tpush %rdi\n"
	"\tpush %rbp\n"
	"\tpush %r8\n"
	"\tpush %r9\n"
	"\tpush %r10\n"
	"\tpush %r11\n"
	"\tpush %r12\n"
	"\tpush %r13\n"
	"\tpush %r14\n"
	"\tpush %r15\n"
	"\tlea 128(%rsp), %rax\n"
	"\tmov %rax, 120(%rsp)\n"
	"\tcld\n"
	"\tmov %rsp, %rdi\n"
	"\tmov 128(%rsp), %rsi\n"
	"\tcall *(%rsi)\n"
	"\tmov %rax, 112(%rsp)\n"
	"\tpop %r15\n"
	"\tpop %r14\n"
	"\tpop %r13\n"
	"\tpop %r12\n"
	"\tpop %r11\n"
	"\tpop %r10\n"
	"\tpop %r9\n"
	"\tpop %r8\n"
	"\tpop %rbp\n"
	"\tpop %rdi\n"
	"\tpop %rsi\n"
	"\tpop %rdx\n"
	"\tpop %rcx\n"
	"\tpop %rbx\n"
	"\tpop %rax\n"
	"\tadd $8, %rsp\n"
	"\tmov %rax, %rcx\n"
	"\tmov (%rsp), %rax\n"
	"\tmov 8(%rax), %rax\n"
	"\ttest %rax, %rax\n"
	"\tjz 1f\n"
	"\tcall *%rax\n"
	"\tjmp vtl1_entry\n"
	"1:\tmov %rcx, %rax\n"
	"\tmov $0x12, %ecx\n"
	"\tcmpb $0, host_cpu_is_amd(%rip)\n"
	"\tjne 2f\n"
	"\tvmcall\n"
	"\t.global vtl1_after_vmcall\n"
	"vtl1_after_vmcall:\n"
	"\tjmp vtl1_entry\n"
	"2:\tvmmcall\n"
	"\t.global vtl1_after_vmmcall\n"
	"vtl1_after_vmmcall:\n"
	"\tjmp vtl1_entry\n"
	"\t.size vtl1_entry, . - vtl1_entry\n"
	"\t.popsection\n");

/* The trampolines keep the callee-saved registers on the current stack. */
#define VTL_ASM_PUSH_CALLEE_SAVED \
	"\tpush %rbx\n" \
	"\tpush %rbp\n" \
	"\tpush %r12\n" \
	"\tpush %r13\n" \
	"\tpush %r14\n" \
	"\tpush %r15\n"
#define VTL_ASM_POP_CALLEE_SAVED \
	"\tpop %r15\n" \
	"\tpop %r14\n" \
	"\tpop %r13\n" \
	"\tpop %r12\n" \
	"\tpop %rbp\n" \
	"\tpop %rbx\n"

/* Load R15-R8, RBP and RSI from the struct vtl_gprs at RDI. */
#define VTL_ASM_LOAD_R15_TO_RSI \
	"\tmov 0(%rdi), %r15\n" \
	"\tmov 8(%rdi), %r14\n" \
	"\tmov 16(%rdi), %r13\n" \
	"\tmov 24(%rdi), %r12\n" \
	"\tmov 32(%rdi), %r11\n" \
	"\tmov 40(%rdi), %r10\n" \
	"\tmov 48(%rdi), %r9\n" \
	"\tmov 56(%rdi), %r8\n" \
	"\tmov 64(%rdi), %rbp\n" \
	"\tmov 80(%rdi), %rsi\n"

/* Store every GPR but RDI and RSP into the struct vtl_gprs at RDI. */
#define VTL_ASM_STORE_ALL_BUT_RDI \
	"\tmov %r15, 0(%rdi)\n" \
	"\tmov %r14, 8(%rdi)\n" \
	"\tmov %r13, 16(%rdi)\n" \
	"\tmov %r12, 24(%rdi)\n" \
	"\tmov %r11, 32(%rdi)\n" \
	"\tmov %r10, 40(%rdi)\n" \
	"\tmov %r9, 48(%rdi)\n" \
	"\tmov %r8, 56(%rdi)\n" \
	"\tmov %rbp, 64(%rdi)\n" \
	"\tmov %rsi, 80(%rdi)\n" \
	"\tmov %rdx, 88(%rdi)\n" \
	"\tmov %rcx, 96(%rdi)\n" \
	"\tmov %rbx, 104(%rdi)\n" \
	"\tmov %rax, 112(%rdi)\n"

/*
 * void vtl_call_asm(struct vtl_gprs *regs, void *stub): VtlCall from VTL0.
 *
 * Loads all shared GPRs from @regs, calls VTL1 and stores all GPRs back
 * into @regs, so that the caller sees exactly what VTL1 (or KVM, for RAX
 * and RCX on a normal return) left in them.  With @stub == NULL it issues
 * vmcall/vmmcall itself with RCX = 0x11 and RAX = 0 (regs->rax and
 * regs->rcx are not loaded); otherwise it calls the hypercall page stub,
 * which wants the control input in RCX (regs->rcx, normally 0) and
 * overwrites RAX and RCX.  Callee-saved registers live on VTL0's stack.
 * regs->rsp receives VTL0's RSP at the raw hypercall instruction.
 *
 * vtl_call_alt_resume is a second resume point that only counts in
 * vtl_alt_resume_count; VTL1 can send VTL0 there by setting its RIP.
 */
asm("\t.pushsection .text\n"
	"\t.balign 16\n"
	"\t.global vtl_call_asm\n"
	"\t.type vtl_call_asm, @function\n"
	"vtl_call_asm:\n"
	VTL_ASM_PUSH_CALLEE_SAVED
	"\tpush %rdi\n"
	"\tpush %rsi\n"
	"\tmov %rsp, 120(%rdi)\n"
	VTL_ASM_LOAD_R15_TO_RSI
	"\tmov 88(%rdi), %rdx\n"
	"\tmov 96(%rdi), %rcx\n"
	"\tmov 104(%rdi), %rbx\n"
	"\tmov 112(%rdi), %rax\n"
	"\tmov 72(%rdi), %rdi\n"
	"\tcmpq $0, (%rsp)\n"
	"\tje 1f\n"
	"\tcall *(%rsp)\n"
	"\tjmp 3f\n"
	"1:\tmov $0x11, %ecx\n"
	"\txor %eax, %eax\n"
	"\tcmpb $0, host_cpu_is_amd(%rip)\n"
	"\tjne 2f\n"
	"\tvmcall\n"
	"\t.global vtl_call_after_vmcall\n"
	"vtl_call_after_vmcall:\n"
	"\tjmp 3f\n"
	"2:\tvmmcall\n"
	"\t.global vtl_call_after_vmmcall\n"
	"vtl_call_after_vmmcall:\n"
	"\tjmp 3f\n"
	"\t.global vtl_call_alt_resume\n"
	"vtl_call_alt_resume:\n"
	"\tlock incq vtl_alt_resume_count(%rip)\n"
	"3:\txchg %rdi, 8(%rsp)\n"
	VTL_ASM_STORE_ALL_BUT_RDI
	"\tmov 8(%rsp), %rax\n"
	"\tmov %rax, 72(%rdi)\n"
	"\tadd $16, %rsp\n"
	VTL_ASM_POP_CALLEE_SAVED
	"\tret\n"
	"\t.size vtl_call_asm, . - vtl_call_asm\n"
	"\t.popsection\n");

/*
 * void vtl_bare_ucall_regs(struct vtl_gprs *regs): a bare ucall, i.e. an IN
 * from the ucall port with RDI = 0, which the host sees as UCALL_NONE, with
 * all other GPRs but RAX and RDX (the port) loaded from @regs; afterwards
 * all GPRs are stored back into @regs.  Lets a test check that something
 * the host does at that exit (e.g. an asynchronous VTL1 entry) leaves the
 * GPRs alone.  The port is the one of lib/x86_64/ucall.c.
 */
asm(".pushsection .text\n"
	".global vtl_bare_ucall_regs\n"
	".type vtl_bare_ucall_regs, @function\n"
	"vtl_bare_ucall_regs:\n"
	VTL_ASM_PUSH_CALLEE_SAVED
	"\tpush %rdi\n"
	VTL_ASM_LOAD_R15_TO_RSI
	"\tmov 96(%rdi), %rcx\n"
	"\tmov 104(%rdi), %rbx\n"
	"\tmov $" __stringify(VTL_UCALL_PIO_PORT) ", %edx\n"
	"\txor %edi, %edi\n"
	"\tin %dx, %al\n"
	"\txchg %rdi, (%rsp)\n"
	VTL_ASM_STORE_ALL_BUT_RDI
	"\tmov (%rsp), %rax\n"
	"\tmov %rax, 72(%rdi)\n"
	"\tadd $8, %rsp\n"
	VTL_ASM_POP_CALLEE_SAVED
	"\tret\n"
	".size vtl_bare_ucall_regs, . - vtl_bare_ucall_regs\n"
	".popsection\n");

/* VtlCall through a raw vmcall/vmmcall; @regs in/out as for vtl_call_asm(). */
static inline void vtl_call_regs(struct vtl_gprs *regs)
{
	vtl_call_asm(regs, NULL);
}

/* VtlCall through the hypercall page stub at @stub (regs->rcx = control). */
static inline void vtl_call_stub(struct vtl_gprs *regs, void *stub)
{
	vtl_call_asm(regs, stub);
}

/* VtlCall with all shared GPRs zero on entry and their results dropped. */
static inline void vtl_call(void)
{
	struct vtl_gprs regs = {};

	vtl_call_asm(&regs, NULL);
}

/* The RIP VTL0 has after KVM advanced it past the raw VtlCall. */
static inline u64 vtl_call_resume_rip(void)
{
	return host_cpu_is_amd ? (u64)vtl_call_after_vmmcall : (u64)vtl_call_after_vmcall;
}

/* The RIP VTL1 has after KVM advanced it past its raw VtlReturn. */
static inline u64 vtl1_resume_rip(void)
{
	return host_cpu_is_amd ? (u64)vtl1_after_vmmcall : (u64)vtl1_after_vmcall;
}

/*
 * A Hyper-V hypercall issued directly: RCX = @control, RDX = @rdx, R8 = @r8
 * (input/output GPAs for the memory form, input for the fast GPR form).
 * Returns RAX, the hypercall result value.
 */
static inline u64 vtl_hypercall(u64 control, u64 rdx, u64 r8)
{
	register u64 __r8 asm("r8") = r8;
	u64 rax;

	asm volatile("test %[amd], %[amd]\n\t"
		     "jnz 1f\n\t"
		     "vmcall\n\t"
		     "jmp 2f\n\t"
		     "1: vmmcall\n\t"
		     "2:"
		     : "=a"(rax), "+c"(control), "+d"(rdx), "+r"(__r8)
		     : [amd] "r"(host_cpu_is_amd)
		     : "cc", "memory");
	return rax;
}

/*
 * A fast hypercall with XMM input/output: RDX:R8 is the first 16 bytes of
 * input, @xmm[0..11] (12 qwords) are loaded into XMM0-XMM5 before and
 * stored from them after the call.  Returns RAX.
 */
static inline u64 vtl_hypercall_xmm(u64 control, u64 rdx, u64 r8, u64 *xmm)
{
	register u64 __r8 asm("r8") = r8;
	u64 rax;

	asm volatile("movdqu 0x00(%[x]), %%xmm0\n\t"
		     "movdqu 0x10(%[x]), %%xmm1\n\t"
		     "movdqu 0x20(%[x]), %%xmm2\n\t"
		     "movdqu 0x30(%[x]), %%xmm3\n\t"
		     "movdqu 0x40(%[x]), %%xmm4\n\t"
		     "movdqu 0x50(%[x]), %%xmm5\n\t"
		     "test %[amd], %[amd]\n\t"
		     "jnz 1f\n\t"
		     "vmcall\n\t"
		     "jmp 2f\n\t"
		     "1: vmmcall\n\t"
		     "2:\n\t"
		     "movdqu %%xmm0, 0x00(%[x])\n\t"
		     "movdqu %%xmm1, 0x10(%[x])\n\t"
		     "movdqu %%xmm2, 0x20(%[x])\n\t"
		     "movdqu %%xmm3, 0x30(%[x])\n\t"
		     "movdqu %%xmm4, 0x40(%[x])\n\t"
		     "movdqu %%xmm5, 0x50(%[x])"
		     : "=&a"(rax), "+c"(control), "+d"(rdx), "+r"(__r8)
		     : [x] "r"(xmm), [amd] "r"(host_cpu_is_amd)
		     : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5");
	return rax;
}

/*
 * Issue the hypercall instruction with RCX = @rcx and RAX = @rax and catch
 * an exception.  Returns the exception vector, 0 if none (for example
 * because a VtlCall went through: then VTL1 may have changed any GPR).
 */
static inline u8 vtl_hypercall_vector(u64 rcx, u64 rax)
{
	u64 error_code;
	u8 vector;

	if (host_cpu_is_amd)
		asm volatile(KVM_ASM_SAFE("vmmcall")
			     : "+a"(rax), "+c"(rcx),
			       KVM_ASM_SAFE_OUTPUTS(vector, error_code)
			     :
			     : "cc", "memory", "rbx", "rdx", "rsi", "rdi", "r8",
			       "r12", "r13", "r14", "r15", KVM_ASM_SAFE_CLOBBERS);
	else
		asm volatile(KVM_ASM_SAFE("vmcall")
			     : "+a"(rax), "+c"(rcx),
			       KVM_ASM_SAFE_OUTPUTS(vector, error_code)
			     :
			     : "cc", "memory", "rbx", "rdx", "rsi", "rdi", "r8",
			       "r12", "r13", "r14", "r15", KVM_ASM_SAFE_CLOBBERS);
	return vector;
}

static inline u64 vtl_get_cr8(void)
{
	u64 cr8;

	asm volatile("mov %%cr8, %0" : "=r"(cr8));
	return cr8;
}

static inline void vtl_set_cr8(u64 cr8)
{
	asm volatile("mov %0, %%cr8" : : "r"(cr8) : "memory");
}

static inline u64 vtl_get_rflags(void)
{
	u64 rflags;

	asm volatile("pushfq; pop %0" : "=r"(rflags));
	return rflags;
}

static inline u64 vtl_get_rsp(void)
{
	u64 rsp;

	asm volatile("mov %%rsp, %0" : "=r"(rsp));
	return rsp;
}

static inline u64 vtl_get_dr7(void)
{
	u64 dr7;

	asm volatile("mov %%dr7, %0" : "=r"(dr7));
	return dr7;
}

/* HvCallEnablePartitionVtl, fast (GPR) form. */
static inline u64 hv_enable_partition_vtl_fast(u64 partition_id, u8 vtl, u8 flags)
{
	return vtl_hypercall(HVCALL_ENABLE_PARTITION_VTL | HV_HYPERCALL_FAST_BIT,
			     partition_id, vtl | (u64)flags << 8);
}

/* HvCallEnablePartitionVtl, memory form. */
static inline u64 hv_enable_partition_vtl(struct vtl_hc *hc, u64 partition_id,
					  u8 vtl, u8 flags)
{
	struct hv_enable_partition_vtl *in = (void *)hc->in.gva;

	memset(in, 0, sizeof(*in));
	in->partition_id = partition_id;
	in->target_vtl = vtl;
	in->flags = flags;
	return vtl_hypercall(HVCALL_ENABLE_PARTITION_VTL, hc->in.gpa, 0);
}

/* HvRegisterVsmPartitionConfig: EnableVtlProtection, DefaultVtlProtectionMask. */
#define HV_VSM_CONFIG_ENABLE_VTL_PROTECTION	BIT_ULL(0)
#define HV_VSM_CONFIG_DEFAULT(mask)		((u64)(mask) << 1)

/* HvCallModifyVtlProtectionMask input (TLFS 5.1) */
struct hv_modify_vtl_protection_mask {
	u64 partition_id;
	u32 map_flags;
	u8 input_vtl;
	u8 reserved[3];
	u64 gpn[];
} __packed;

/* Fill @hc's input page for HvCallModifyVtlProtectionMask. */
static inline struct hv_modify_vtl_protection_mask *
vtl_protection_input(struct vtl_hc *hc, u64 partition_id, u8 input_vtl, u32 flags,
		     const u64 *gpn, int nr)
{
	struct hv_modify_vtl_protection_mask *in = (void *)hc->in.gva;
	int i;

	in->partition_id = partition_id;
	in->map_flags = flags;
	in->input_vtl = input_vtl;
	memset(in->reserved, 0, sizeof(in->reserved));
	for (i = 0; i < nr; i++)
		in->gpn[i] = gpn[i];
	return in;
}

/* HvCallModifyVtlProtectionMask (memory form) on @nr GPNs. */
static inline u64 hv_modify_vtl_protection_mask(struct vtl_hc *hc, u64 partition_id,
						u8 input_vtl, u32 flags,
						const u64 *gpn, int nr)
{
	vtl_protection_input(hc, partition_id, input_vtl, flags, gpn, nr);
	return vtl_hypercall(HVCALL_MODIFY_VTL_PROTECTION_MASK | HV_HYPERCALL_REP_COUNT(nr),
			     hc->in.gpa, 0);
}

/* VTL1: set its own protection set to @prot on the page at @gpa. */
static inline u64 vtl1_protect(struct vtl_vp *vp, u64 gpa, u8 prot)
{
	u64 gpn = gpa >> 12;

	return hv_modify_vtl_protection_mask(&vp->hc[1], HV_PARTITION_ID_SELF,
					     HV_INPUT_VTL_CURRENT, prot, &gpn, 1);
}

/* HvCallEnableVpVtl (memory form) with the context in @ctx. */
/*
 * Fill @hc's input page with the layout HvCallEnableVpVtl and
 * HvCallStartVirtualProcessor share (TLFS 5.3, 5.6).
 */
static inline void vtl_vp_context_input(struct vtl_hc *hc, u64 partition_id, u32 vp_index,
					u8 vtl, const struct hv_initial_vp_context *ctx)
{
	struct hv_enable_vp_vtl *in = (void *)hc->in.gva;

	memset(in, 0, sizeof(*in));
	in->partition_id = partition_id;
	in->vp_index = vp_index;
	in->target_vtl = vtl;
	in->ctx = *ctx;
}

static inline u64 hv_enable_vp_vtl(struct vtl_hc *hc, u64 partition_id, u32 vp_index,
				   u8 vtl, const struct hv_initial_vp_context *ctx)
{
	vtl_vp_context_input(hc, partition_id, vp_index, vtl, ctx);
	return vtl_hypercall(HVCALL_ENABLE_VP_VTL, hc->in.gpa, 0);
}

static inline void vtl_fill_hdr(struct hv_vp_registers_hdr *hdr, u32 vp_index, u8 input_vtl)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->partition_id = HV_PARTITION_ID_SELF;
	hdr->vp_index = vp_index;
	hdr->input_vtl = input_vtl;
}

/*
 * HvCallGetVpRegisters, memory form: @n names, values into @vals.  The
 * output page is copied to @vals even on failure (as far as it got).
 */
static inline u64 hv_get_vp_registers(struct vtl_hc *hc, u32 vp_index, u8 input_vtl,
				      const u32 *names, int n, union hv_register_value *vals)
{
	struct hv_vp_registers_hdr *hdr = (void *)hc->in.gva;
	u32 *in_names = (u32 *)(hdr + 1);
	u64 rax;
	int i;

	vtl_fill_hdr(hdr, vp_index, input_vtl);
	for (i = 0; i < n; i++)
		in_names[i] = names[i];
	memset((void *)hc->out.gva, 0, n * sizeof(*vals));
	rax = vtl_hypercall(HVCALL_GET_VP_REGISTERS | HV_HYPERCALL_REP_COUNT(n),
			    hc->in.gpa, hc->out.gpa);
	memcpy(vals, (void *)hc->out.gva, n * sizeof(*vals));
	return rax;
}

/* HvCallSetVpRegisters, memory form. */
static inline u64 hv_set_vp_registers(struct vtl_hc *hc, u32 vp_index, u8 input_vtl,
				      const u32 *names, int n,
				      const union hv_register_value *vals)
{
	struct hv_vp_registers_hdr *hdr = (void *)hc->in.gva;
	struct hv_register_assoc *elem = (struct hv_register_assoc *)(hdr + 1);
	int i;

	vtl_fill_hdr(hdr, vp_index, input_vtl);
	for (i = 0; i < n; i++) {
		memset(&elem[i], 0, sizeof(elem[i]));
		elem[i].name = names[i];
		elem[i].value = vals[i];
	}
	return vtl_hypercall(HVCALL_SET_VP_REGISTERS | HV_HYPERCALL_REP_COUNT(n),
			     hc->in.gpa, 0);
}

/*
 * HvCallGetVpRegisters, fast XMM form: up to 4 names packed in XMM0, the
 * values come back in XMM1 onwards.  @n may exceed 4 to test the limit
 * (the extra names then spill into XMM1).
 */
static inline u64 hv_get_vp_registers_fast(u32 vp_index, u8 input_vtl, const u32 *names,
					   int n, union hv_register_value *vals)
{
	u32 xmm[24] = {};
	u64 rax;
	int i, first_out;

	for (i = 0; i < n && i < 24; i++)
		xmm[i] = names[i];
	rax = vtl_hypercall_xmm(HVCALL_GET_VP_REGISTERS | HV_HYPERCALL_FAST_BIT |
				HV_HYPERCALL_REP_COUNT(n), HV_PARTITION_ID_SELF,
				vp_index | (u64)input_vtl << 32, (u64 *)xmm);
	/* Values start in the XMM register after the last one holding names. */
	first_out = (n + 3) / 4;
	for (i = 0; i < n && first_out + i < 6; i++)
		memcpy(&vals[i], &xmm[(first_out + i) * 4], sizeof(vals[i]));
	return rax;
}

/* HvCallSetVpRegisters, fast XMM form: up to 3 elements in XMM0-XMM5. */
static inline u64 hv_set_vp_registers_fast(u32 vp_index, u8 input_vtl, const u32 *names,
					   int n, const union hv_register_value *vals)
{
	struct hv_register_assoc elem[3] = {};
	int i;

	for (i = 0; i < n && i < 3; i++) {
		elem[i].name = names[i];
		elem[i].value = vals[i];
	}
	return vtl_hypercall_xmm(HVCALL_SET_VP_REGISTERS | HV_HYPERCALL_FAST_BIT |
				 HV_HYPERCALL_REP_COUNT(n), HV_PARTITION_ID_SELF,
				 vp_index | (u64)input_vtl << 32, (u64 *)elem);
}

/* Read one register of the calling VP; asserts success. */
static inline u64 vtl_get_reg(struct vtl_hc *hc, u8 input_vtl, u32 name)
{
	union hv_register_value val;
	u64 rax;

	rax = hv_get_vp_registers(hc, HV_VP_INDEX_SELF, input_vtl, &name, 1, &val);
	__GUEST_ASSERT(HV_STATUS(rax) == HV_STATUS_SUCCESS,
		       "GetVpRegisters(vtl %#x, reg %#x) failed: status %#lx",
		       input_vtl, name, HV_STATUS(rax));
	return val.low;
}

/* Write one register of the calling VP; asserts success. */
static inline void vtl_set_reg(struct vtl_hc *hc, u8 input_vtl, u32 name, u64 value)
{
	union hv_register_value val = { .low = value };
	u64 rax;

	rax = hv_set_vp_registers(hc, HV_VP_INDEX_SELF, input_vtl, &name, 1, &val);
	__GUEST_ASSERT(HV_STATUS(rax) == HV_STATUS_SUCCESS,
		       "SetVpRegisters(vtl %#x, reg %#x = %#lx) failed: status %#lx",
		       input_vtl, name, value, HV_STATUS(rax));
}

/* The selftest GDT entry for @sel as a Hyper-V segment register value. */
static inline void vtl_seg_from_gdt(struct hv_x64_segment_register *seg, u16 sel)
{
	struct desc_ptr gdt = get_gdt();
	struct desc64 *d;
	u32 limit;

	memset(seg, 0, sizeof(*seg));
	if (!(sel & ~7))
		return;		/* null selector: unusable (P = 0) */

	d = (struct desc64 *)(gdt.address + (sel & ~7));
	limit = d->limit0 | (u32)d->limit1 << 16;
	if (d->g)
		limit = limit << 12 | 0xfff;
	seg->base = d->base0 | (u64)d->base1 << 16 | (u64)d->base2 << 24;
	if (!d->s)		/* 16-byte system descriptor (TSS) */
		seg->base |= (u64)d->base3 << 32;
	seg->limit = limit;
	seg->selector = sel;
	seg->attributes = d->type | d->s << 4 | d->dpl << 5 | d->p << 7 |
			  d->avl << 12 | d->l << 13 | d->db << 14 | d->g << 15;
}

/*
 * Build VTL1's initial context from VTL0's current state: the selftest
 * GDT's segments (SS = DS, FS = DS with base vp->vtl1_fs_base), the same
 * GDT, IDT, CR0, CR4, EFER and PAT, a separate CR3 (a copy of VTL0's
 * top-level page table, so identical mappings), its own stack and
 * RFLAGS = vp->vtl1_rflags, starting at vtl1_entry.
 */
static inline void vtl_init_vp_context(struct vtl_vp *vp, struct hv_initial_vp_context *ctx)
{
	struct desc_ptr gdt = get_gdt(), idt = get_idt();

	memset(ctx, 0, sizeof(*ctx));
	ctx->rip = (u64)vtl1_entry;
	ctx->rsp = vp->vtl1_stack_top - 16;
	ctx->rflags = vp->vtl1_rflags | X86_EFLAGS_FIXED;
	vtl_seg_from_gdt(&ctx->cs, get_cs());
	vtl_seg_from_gdt(&ctx->ds, get_ds());
	vtl_seg_from_gdt(&ctx->es, get_es());
	vtl_seg_from_gdt(&ctx->fs, get_ds());
	ctx->fs.base = vp->vtl1_fs_base;
	vtl_seg_from_gdt(&ctx->gs, get_gs());
	vtl_seg_from_gdt(&ctx->ss, get_ds());
	vtl_seg_from_gdt(&ctx->tr, get_tr());
	/* ldtr stays zero: unusable. */
	ctx->idtr.base = idt.address;
	ctx->idtr.limit = idt.size;
	ctx->gdtr.base = gdt.address;
	ctx->gdtr.limit = gdt.size;
	ctx->efer = rdmsr(MSR_EFER);
	ctx->cr0 = get_cr0();
	ctx->cr3 = vp->vtl1_cr3;
	ctx->cr4 = get_cr4();
	ctx->msr_cr_pat = rdmsr(MSR_IA32_CR_PAT);
}

/* VTL0: set the guest OS id and enable VTL0's hypercall page. */
static inline void vtl0_enable_hypercalls(struct vtl_vp *vp)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, VTL0_GUEST_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, vp->hcall_page[0].gpa | 1);
}

/*
 * VTL0: enable VTL1 on the partition (unless some VP already did) and on
 * this VP, with the initial context of vtl_init_vp_context().
 */
static inline void vtl0_enable_vtl1(struct vtl_vp *vp)
{
	struct hv_initial_vp_context ctx;
	u64 rax;

	rax = hv_enable_partition_vtl_fast(HV_PARTITION_ID_SELF, 1, 0);
	__GUEST_ASSERT(HV_STATUS(rax) == HV_STATUS_SUCCESS ||
		       HV_STATUS(rax) == HV_STATUS_INVALID_VTL_STATE,
		       "EnablePartitionVtl(1) failed: status %#lx", HV_STATUS(rax));

	vtl_init_vp_context(vp, &ctx);
	rax = hv_enable_vp_vtl(&vp->hc[0], HV_PARTITION_ID_SELF, vp->vp_index, 1, &ctx);
	__GUEST_ASSERT(HV_STATUS(rax) == HV_STATUS_SUCCESS,
		       "EnableVpVtl(vp %u, 1) failed: status %#lx",
		       vp->vp_index, HV_STATUS(rax));
}

/* The stub at VtlCallOffset of VTL0's hypercall page. */
static inline void *vtl0_call_stub(struct vtl_vp *vp)
{
	u64 offsets = vtl_get_reg(&vp->hc[0], HV_INPUT_VTL_CURRENT,
				  HV_REG_VSM_CODE_PAGE_OFFSETS);

	return (void *)(vp->hcall_page[0].gva + (offsets & 0xfff));
}

static inline u32 *vtl1_entry_reason_ptr(struct vtl_vp *vp)
{
	return (u32 *)(vp->assist[1].gva + HV_VP_ASSIST_ENTRY_REASON);
}

/*
 * VTL1: what every handler calls first.  On the first entry VTL1 sets its
 * own guest OS id (without which KVM would not take its hypercalls as
 * Hyper-V ones) and its VP assist page; on every entry it records the
 * entry reason (0 if no VP assist page yet).  Returns the entry reason.
 */
static inline u32 vtl1_enter(struct vtl_vp *vp)
{
	u32 reason = 0;

	if (!vp->vtl1_ready) {
		wrmsr(HV_X64_MSR_GUEST_OS_ID, VTL1_GUEST_OS_ID);
		wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, vp->assist[1].gpa | 1);
		vp->vtl1_ready = 1;
	} else {
		reason = READ_ONCE(*vtl1_entry_reason_ptr(vp));
	}
	vp->vtl1_entries++;
	vp->last_entry_reason = reason;
	return reason;
}

/* VTL1: the RAX/RCX VTL0 gets from a normal VtlReturn. */
static inline void vtl1_set_return_rax_rcx(struct vtl_vp *vp, u64 rax, u64 rcx)
{
	WRITE_ONCE(*(u64 *)(vp->assist[1].gva + HV_VP_ASSIST_VTL_RETURN_RAX), rax);
	WRITE_ONCE(*(u64 *)(vp->assist[1].gva + HV_VP_ASSIST_VTL_RETURN_RCX), rcx);
}

/* VTL1: a normal return that gives VTL0 back its own RAX and RCX. */
static inline u64 vtl1_return_normal(struct vtl_vp *vp, struct vtl_gprs *regs)
{
	vtl1_set_return_rax_rcx(vp, regs->rax, regs->rcx);
	return VTL_RETURN_NORMAL;
}

/*
 * VTL1, for memory intercepts: its SynIC on, with its message page and
 * SINT0 at VTL1_SINT0_VECTOR, and VTL protection enabled with RWX as the
 * default protection.
 */
static inline void vtl1_enable_intercepts(struct vtl_vp *vp)
{
	wrmsr(HV_X64_MSR_SCONTROL, 1);
	wrmsr(HV_X64_MSR_SIMP, vp->simp[1].gpa | 1);
	wrmsr(HV_X64_MSR_SINT0, VTL1_SINT0_VECTOR);
	vtl_set_reg(&vp->hc[1], HV_INPUT_VTL_CURRENT, HV_REG_VSM_PARTITION_CONFIG,
		    HV_VSM_CONFIG_ENABLE_VTL_PROTECTION |
		    HV_VSM_CONFIG_DEFAULT(KVM_VTL_PROT_RWX));
}

/*
 * VTL1's SINT0 handler's part: copy the message in slot 0 to @out (if not
 * NULL), free the slot, let the next message in and end the interrupt.
 */
static inline void vtl1_take_message(struct vtl_vp *vp, struct hv_message *out)
{
	struct hv_message *msg = (struct hv_message *)vp->simp[1].gva;

	if (out)
		memcpy(out, msg, sizeof(*out));
	WRITE_ONCE(msg->message_type, 0);
	if (msg->message_flags & HV_MESSAGE_FLAG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
	x2apic_write_reg(APIC_EOI, 0);
}

/* VTL1: step VTL0 over @len bytes, the instruction an intercept reported. */
static inline void vtl1_skip_vtl0_insn(struct vtl_vp *vp, u8 len)
{
	u64 rip = vtl_get_reg(&vp->hc[1], HV_INPUT_VTL(0), HV_REG_RIP);

	vtl_set_reg(&vp->hc[1], HV_INPUT_VTL(0), HV_REG_RIP, rip + len);
}

#define VTL_FEP_PARAM	"/sys/module/kvm/parameters/force_emulation_prefix"

/* Read or write kvm.force_emulation_prefix; false if it cannot be. */
static inline bool vtl_fep_param(const char *mode, int *val)
{
	FILE *f = fopen(VTL_FEP_PARAM, mode);
	bool ok;

	if (!f)
		return false;
	ok = *mode == 'r' ? fscanf(f, "%d", val) == 1 : fprintf(f, "%d", *val) > 0;
	return !fclose(f) && ok;
}

/*
 * Reporting.  Guest code reports a check with VTL_CHECK(id, actual,
 * expected); the host prints one TAP result per check id, so a wrong value
 * does not stop the test.  VTL_REQUIRE() also stops the guest on failure,
 * for checks that later ones depend on.
 */
#define VTL_SYNC_CHECK		0x76746c63ul	/* "vtlc" */
#define VTL_MAX_CHECKS		128

#define VTL_CHECK(id, actual, expected)					\
	GUEST_SYNC_ARGS(VTL_SYNC_CHECK, (u64)(id), (u64)(actual),	\
			(u64)(expected), (u64)__LINE__)

#define VTL_REQUIRE(id, actual, expected)					\
do {										\
	u64 __act = (u64)(actual), __exp = (u64)(expected);			\
	int __id = (id);							\
										\
	VTL_CHECK(__id, __act, __exp);						\
	__GUEST_ASSERT(__act == __exp, "required check %d: %#lx != %#lx",	\
		       __id, __act, __exp);					\
} while (0)

struct vtl_checks {
	const char *const *names;
	int nr;
	bool seen[VTL_MAX_CHECKS];
	/* FNV-1a over what the guest saw: its checks and vtl_checks_fold(). */
	u64 digest;
};

static inline void vtl_checks_fold(struct vtl_checks *c, u64 v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		c->digest = (c->digest ^ (v & 0xff)) * 0x100000001b3ull;
}

/*
 * For a cross-check of runs on different machines or paths: equal
 * digests mean the guest saw the same results.
 */
static inline void vtl_checks_print_digest(struct vtl_checks *c)
{
	ksft_print_msg("guest-visible digest: %016lx\n", c->digest);
}

static inline void vtl_checks_init(struct vtl_checks *c, const char *const *names, int nr)
{
	TEST_ASSERT(nr <= VTL_MAX_CHECKS, "too many checks");
	memset(c, 0, sizeof(*c));
	c->digest = 0xcbf29ce484222325ull;
	c->names = names;
	c->nr = nr;
}

static inline void vtl_check_result(struct vtl_checks *c, u64 id, u64 actual, u64 expected,
				    u64 line)
{
	TEST_ASSERT(id < c->nr && c->names[id], "unknown check %lu (line %lu)", id, line);
	TEST_ASSERT(!c->seen[id], "check '%s' reported twice (line %lu)", c->names[id], line);
	c->seen[id] = true;
	if (actual == expected)
		ksft_test_result_pass("%s\n", c->names[id]);
	else
		ksft_test_result_fail("%s: got %#lx, expected %#lx (line %lu)\n",
				      c->names[id], actual, expected, line);
}

/* A host-side check. */
#define vtl_check(c, id, actual, expected)	\
	vtl_check_result(c, id, (u64)(actual), (u64)(expected), __LINE__)

/* Report every check that never ran as a failure. */
static inline void vtl_checks_finish(struct vtl_checks *c)
{
	int i;

	for (i = 0; i < c->nr; i++)
		if (!c->seen[i])
			ksft_test_result_fail("%s: not reached\n", c->names[i]);
}

/*
 * Run @vcpu until it stops with something the caller must handle: returns
 * UCALL_DONE, UCALL_NONE (a bare ucall with RDI = 0) or UCALL_SYNC with a
 * stage other than VTL_SYNC_CHECK.  Checks are reported, printfs printed,
 * guest assertions fail the test, and the KVM_EXIT_HYPERV exits that guest
 * writes to SCONTROL/SIEFP/SIMP cause are resumed.  @c may be NULL.
 */
/* A triple fault: say where the vCPU was, in which VTL, and fail. */
static inline void vtl_report_shutdown(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events ev;
	struct kvm_vtl_vcpu v = {};
	struct kvm_sregs sr;
	struct kvm_regs r;

	vcpu_regs_get(vcpu, &r);
	vcpu_sregs_get(vcpu, &sr);
	vcpu_events_get(vcpu, &ev);
	__vcpu_ioctl(vcpu, KVM_GET_VTL_VCPU, &v);
	TEST_FAIL("vCPU %u shut down in VTL%u: RIP %#llx RSP %#llx RFLAGS %#llx\n"
		  "  RAX %#llx RCX %#llx RDX %#llx RDI %#llx\n"
		  "  CR0 %#llx CR2 %#llx CR3 %#llx CR4 %#llx EFER %#llx\n"
		  "  CS %#x/%#llx SS %#x IDT %#llx/%#x GDT %#llx/%#x TR %#x/%#llx\n"
		  "  exception pending %u injected %u nr %u, interrupt %u",
		  vcpu->id, v.active_vtl, r.rip, r.rsp, r.rflags,
		  r.rax, r.rcx, r.rdx, r.rdi,
		  sr.cr0, sr.cr2, sr.cr3, sr.cr4, sr.efer,
		  sr.cs.selector, sr.cs.base, sr.ss.selector, sr.idt.base, sr.idt.limit,
		  sr.gdt.base, sr.gdt.limit, sr.tr.selector, sr.tr.base,
		  ev.exception.pending, ev.exception.injected, ev.exception.nr,
		  ev.interrupt.injected);
}

static inline u64 vtl_run(struct kvm_vcpu *vcpu, struct ucall *uc, struct vtl_checks *c)
{
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN)
			vtl_report_shutdown(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_HYPERV) {
			TEST_ASSERT(vcpu->run->hyperv.type == KVM_EXIT_HYPERV_SYNIC,
				    "unexpected KVM_EXIT_HYPERV type %u",
				    vcpu->run->hyperv.type);
			continue;
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, uc)) {
		case UCALL_SYNC:
			if (uc->args[1] != VTL_SYNC_CHECK)
				return UCALL_SYNC;
			TEST_ASSERT(c, "guest check without a check table");
			vtl_checks_fold(c, uc->args[2]);
			vtl_checks_fold(c, uc->args[3]);
			vtl_check_result(c, uc->args[2], uc->args[3], uc->args[4], uc->args[5]);
			break;
		case UCALL_PRINTF:
			ksft_print_msg("%s", uc->buffer);
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(*uc);
			break;
		case UCALL_DONE:
		case UCALL_NONE:
			return uc->cmd;
		default:
			TEST_FAIL("unexpected ucall %lu", uc->cmd);
		}
	}
}

/*
 * Bytes in use, per /proc/slabinfo, in the slab caches that hold KVM's
 * protection store (maple_node: its tree; kmalloc-256: its chunks) and,
 * with @masks, the xarray of sub-page write masks (radix_tree_node).  0 if
 * the kernel has no slabinfo.
 */
static inline u64 vtl_store_slab_bytes(bool masks)
{
	unsigned long active, total, size;
	char line[512], name[64];
	FILE *f = fopen("/proc/slabinfo", "r");
	u64 bytes = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %lu %lu", name, &active, &total, &size) == 4 &&
		    (!strcmp(name, "maple_node") || !strcmp(name, "kmalloc-256") ||
		     (masks && !strcmp(name, "radix_tree_node"))))
			bytes += (u64)active * size;
	fclose(f);
	return bytes;
}

/* A vCPU's binary stat @name (the library reads only VM stats by name). */
static inline u64 vtl_vcpu_get_stat(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	int fd = vcpu_get_stats_fd(vcpu), i;
	u64 data = 0;

	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name)) {
			read_stat_data(fd, &header, d, &data, 1);
			break;
		}
	}
	TEST_ASSERT(i < header.num_desc, "no vCPU stat %s", name);
	free(descs);
	close(fd);
	return data;
}

/*
 * Create a VSM VM: KVM_CAP_HYPERV_VSM with 2 VTLs is enabled before any
 * vCPU exists, then @nr_vcpus vCPUs (ids 0..n-1) are added with the
 * Hyper-V CPUID leaves.  @extra_pages is the memory the test adds in
 * memslots of its own and maps: memslot 0 gets room for its page tables.
 * Skips the test if KVM uses shadow paging.
 */
static inline struct kvm_vm *vtl_vm_create_extra(u32 nr_vcpus, u64 extra_pages,
						 void *guest_code, struct kvm_vcpu **vcpus)
{
	struct kvm_vm *vm;
	u32 i;
	int r;

	vm = __vm_create(VM_SHAPE_DEFAULT, nr_vcpus, nr_vcpus * 64 + extra_pages);
	r = __vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, KVM_VTL_MAX_NR);
	if (r && errno == EOPNOTSUPP)
		ksft_exit_skip("KVM_CAP_HYPERV_VSM needs TDP (EPT/NPT)\n");
	TEST_ASSERT(!r, "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM, 2) failed: %s", strerror(errno));

	for (i = 0; i < nr_vcpus; i++) {
		vcpus[i] = vm_vcpu_add(vm, i, guest_code);
		vcpu_set_hv_cpuid(vcpus[i]);
	}
	return vm;
}

static inline struct kvm_vm *vtl_vm_create(u32 nr_vcpus, void *guest_code,
					   struct kvm_vcpu **vcpus)
{
	return vtl_vm_create_extra(nr_vcpus, 0, guest_code, vcpus);
}

static inline void vtl_alloc_page(struct kvm_vm *vm, struct vtl_page *p)
{
	p->gva = vm_vaddr_alloc_page(vm);
	p->gpa = addr_gva2gpa(vm, p->gva);
}

/*
 * Copy VTL0's top-level page table into VTL1's, so that both VTLs see the
 * same mappings with different CR3 values.  vtl_vp_setup() does it; call it
 * again if the test maps guest memory afterwards.
 */
static inline void vtl_vp_copy_cr3(struct kvm_vm *vm, struct vtl_vp *vp)
{
	memcpy(addr_gpa2hva(vm, vp->vtl1_cr3), addr_gpa2hva(vm, vm->pgd), PAGE_SIZE);
}

/*
 * Allocate and fill the struct vtl_vp of @vcpu (VP index = vCPU id) and all
 * its pages, and pass its guest address as the guest code's only argument.
 * Returns the host mapping.  Call it after the test's other guest memory
 * allocations.
 */
static inline struct vtl_vp *vtl_vp_setup(struct kvm_vcpu *vcpu, void *vtl1_handler)
{
	struct kvm_vm *vm = vcpu->vm;
	vm_vaddr_t gva = vm_vaddr_alloc_page(vm);
	struct vtl_vp *vp = addr_gva2hva(vm, gva);
	vm_vaddr_t stack;
	int vtl;

	memset(vp, 0, sizeof(*vp));
	vp->vtl1_handler = (u64)vtl1_handler;
	vp->vcpu_id = vcpu->id;
	vp->vp_index = vcpu->id;
	for (vtl = 0; vtl < KVM_VTL_MAX_NR; vtl++) {
		vtl_alloc_page(vm, &vp->hc[vtl].in);
		vtl_alloc_page(vm, &vp->hc[vtl].out);
		vtl_alloc_page(vm, &vp->hcall_page[vtl]);
		vtl_alloc_page(vm, &vp->assist[vtl]);
		vtl_alloc_page(vm, &vp->simp[vtl]);
	}
	stack = vm_vaddr_alloc_pages(vm, VTL1_STACK_PAGES);
	vp->vtl1_stack_base = stack;
	vp->vtl1_stack_top = stack + VTL1_STACK_PAGES * PAGE_SIZE;
	*(u64 *)addr_gva2hva(vm, vp->vtl1_stack_top - 16) = gva;
	vp->vtl1_rflags = X86_EFLAGS_FIXED;
	vp->vtl1_fs_base = 0;

	vp->vtl1_cr3 = vm_alloc_page_table(vm);
	vtl_vp_copy_cr3(vm, vp);

	vcpu_args_set(vcpu, 1, gva);
	return vp;
}

#endif /* SELFTEST_KVM_VTL_LIB_H */
