/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * KVM userspace API for Hyper-V Virtual Secure Mode (VSM): virtual trust
 * levels (VTLs) handled inside KVM.  Included from <linux/kvm.h>; see
 * Documentation/virt/kvm/vsm.rst.
 */
#ifndef __LINUX_KVM_VTL_H
#define __LINUX_KVM_VTL_H

#include <linux/types.h>

/*
 * Capability and ioctl numbers sit outside the ranges upstream allocates
 * from, so that this series does not collide with later upstream additions.
 */
#define KVM_CAP_HYPERV_VSM		1024

/* VTLs KVM implements: VTL0 and VTL1 (Hyper-V's HV_NUM_VTLS). */
#define KVM_VTL_MAX_NR			2
/* Per-VTL arrays in this ABI have room for VTL0-VTL3. */
#define KVM_VTL_ABI_NR			4

/* vCPU ioctls */
#define KVM_GET_VTL_STATE	_IOWR(KVMIO, 0xe8, struct kvm_vtl_state)
#define KVM_SET_VTL_STATE	_IOW(KVMIO,  0xe9, struct kvm_vtl_state)
#define KVM_GET_VTL_VCPU	_IOR(KVMIO,  0xea, struct kvm_vtl_vcpu)
#define KVM_SET_VTL_VCPU	_IOW(KVMIO,  0xeb, struct kvm_vtl_vcpu)
#define KVM_VTL_POST_MESSAGE	_IOW(KVMIO,  0xec, struct kvm_vtl_message)
/* VM ioctls */
#define KVM_GET_VTL_PARTITION	_IOR(KVMIO,  0xed, struct kvm_vtl_partition)
#define KVM_SET_VTL_PARTITION	_IOW(KVMIO,  0xee, struct kvm_vtl_partition)
#define KVM_SET_VTL_PROTECTION	_IOW(KVMIO,  0xef, struct kvm_vtl_protection)
#define KVM_GET_VTL_PROTECTIONS	_IOWR(KVMIO, 0xf0, struct kvm_vtl_protections)
#define KVM_SET_VTL_WRITE_MASK	_IOW(KVMIO,  0xf1, struct kvm_vtl_write_mask)
#define KVM_GET_VTL_WRITE_MASKS	_IOW(KVMIO,  0xf2, struct kvm_vtl_write_masks)

/* Memory protection bits: HV_MAP_GPA_* of the TLFS. */
#define KVM_VTL_PROT_READ		(1 << 0)
#define KVM_VTL_PROT_WRITE		(1 << 1)
#define KVM_VTL_PROT_KERNEL_EXEC	(1 << 2)
#define KVM_VTL_PROT_USER_EXEC		(1 << 3)
#define KVM_VTL_PROT_RWX		0xf

/*
 * kvm_run.memory_fault.flags of a KVM_EXIT_MEMORY_FAULT for an access that
 * a VTL's protections forbid: the access and, in bits 43:40, the VTL.
 */
#define KVM_MEMORY_EXIT_FLAG_VTL_VIOLATION	(1ULL << 32)
#define KVM_MEMORY_EXIT_FLAG_VTL_READ		(1ULL << 33)
#define KVM_MEMORY_EXIT_FLAG_VTL_WRITE		(1ULL << 34)
#define KVM_MEMORY_EXIT_FLAG_VTL_EXEC		(1ULL << 35)
#define KVM_MEMORY_EXIT_VTL_SHIFT		40
#define KVM_MEMORY_EXIT_VTL_MASK		(0xfULL << 40)

/*
 * The private (per-VTL) register state of one VTL on one vCPU.  Shared
 * state (GPRs other than RSP, CR2, DR0-DR3, FPU/SSE, MTRRs, ...) is not
 * here: it is read and written with the usual KVM ioctls.
 */
struct kvm_vtl_state {
	__u32 vtl;
	__u32 flags;		/* must be zero */

	__u64 rip;
	__u64 rsp;
	__u64 rflags;
	__u64 cr0;
	__u64 cr3;
	__u64 cr4;
	__u64 cr8;
	__u64 efer;
	__u64 dr7;
	struct kvm_segment cs, ds, es, fs, gs, ss;
	struct kvm_segment tr, ldt;
	struct kvm_dtable gdt, idt;

	/* Private architectural MSRs. */
	__u64 pat;
	__u64 sysenter_cs;
	__u64 sysenter_esp;
	__u64 sysenter_eip;
	__u64 star;
	__u64 lstar;
	__u64 cstar;
	__u64 sfmask;
	__u64 kernel_gs_base;
	__u64 tsc_aux;

	/* Private Hyper-V state of this VTL. */
	__u64 hv_guest_os_id;	/* partition-wide per VTL */
	__u64 hv_hypercall;	/* partition-wide per VTL */
	__u64 hv_vp_assist;
	__u64 hv_scontrol;
	__u64 hv_siefp;
	__u64 hv_simp;
	__u64 hv_sint[16];
	__u64 vsm_vina;
	/* VsmVpSecureConfigVtlN this VTL holds for each lower VTL N. */
	__u64 vsm_vp_secure_config[KVM_VTL_ABI_NR];

	__u64 reserved[16];	/* must be zero */
};

/* The VTL configuration of one vCPU. */
struct kvm_vtl_vcpu {
	__u8 active_vtl;
	__u8 pad0;
	__u16 enabled_vtls;	/* bit n: VTL n enabled on this vCPU */
	__u32 flags;		/* must be zero */
	/* For each VTL, the VTL a VtlReturn from it goes back to. */
	__u8 return_vtl[KVM_VTL_ABI_NR];
	__u8 pad1[4];
	__u64 reserved[4];	/* must be zero */
};

/* Post a SynIC message into one VTL's message page on this vCPU. */
struct kvm_vtl_message {
	__u32 vtl;
	__u32 sint;
	__u32 flags;		/* must be zero */
	__u32 pad;
	__u8 message[256];	/* an HV_MESSAGE */
};

/* kvm_vtl_partition.flags */
/* Protection violations also exit with KVM_EXIT_MEMORY_FAULT. */
#define KVM_VTL_PARTITION_VIOLATION_EXITS	(1 << 0)
/* HvCallModifyVtlProtectionMask exits with KVM_EXIT_HYPERV_HCALL. */
#define KVM_VTL_PARTITION_USERSPACE_PROTECTION	(1 << 1)
/* VTLs may set sub-page write masks themselves (KVM_VTL_HC_SET_WRITE_MASK). */
#define KVM_VTL_PARTITION_GUEST_WRITE_MASKS	(1 << 2)
#define KVM_VTL_PARTITION_FLAGS			(KVM_VTL_PARTITION_VIOLATION_EXITS | \
						 KVM_VTL_PARTITION_USERSPACE_PROTECTION | \
						 KVM_VTL_PARTITION_GUEST_WRITE_MASKS)

/*
 * KVM's own VTL hypercalls: a VMCALL/VMMCALL whose Hyper-V control word
 * (RCX) has bit 63 set, which the TLFS reserves, so that no Hyper-V call
 * can mean one; bits 15:0 hold KVM's call code and all other bits are 0.
 */
#define KVM_VTL_HC_MARK			(1ULL << 63)
/* RDX: GPA of the first page; R8: page count (63:32), mask (31:0). */
#define KVM_VTL_HC_SET_WRITE_MASK	0x0001
#define KVM_VTL_HC_MAX_PAGES		512
/* Advertised in KVM's own CPUID leaf, KVM_CPUID_FEATURES.EAX. */
#define KVM_FEATURE_VTL_WRITE_MASKS	18

/* The partition-wide VSM state. */
struct kvm_vtl_partition {
	__u16 enabled_vtls;	/* bit n: VTL n enabled on the partition */
	__u16 mbec_vtls;	/* must be zero: no MBEC yet */
	__u32 flags;		/* KVM_VTL_PARTITION_* */
	/* HvRegisterVsmPartitionConfig of each VTL (VTL0's is unused). */
	__u64 vsm_partition_config[KVM_VTL_ABI_NR];
	__u64 reserved[8];	/* must be zero */
};

/*
 * Set the protection set of VTL @vtl (1 or above) on @npages GFNs from
 * @gfn: what every lower VTL may do with them, as
 * HvCallModifyVtlProtectionMask with TargetVtl = @vtl does.
 */
struct kvm_vtl_protection {
	__u64 gfn;
	__u64 npages;
	__u8 vtl;
	__u8 prot;		/* KVM_VTL_PROT_* */
	__u16 pad;		/* must be zero */
	__u32 flags;		/* must be zero */
	__u64 reserved[2];	/* must be zero */
};

/* A run of GFNs with one protection. */
struct kvm_vtl_protection_range {
	__u64 gfn;
	__u64 npages;
	__u8 prot;		/* KVM_VTL_PROT_* */
	__u8 pad[7];
};

/*
 * Read VTL @vtl's protection set from @gfn up to (excluding) @end as runs
 * of equal protection, into the @nr_ranges entries at @ranges.  On return
 * @nr_ranges is the number written and @gfn where to continue (@end once
 * all is read).
 */
struct kvm_vtl_protections {
	__u64 gfn;
	__u64 end;
	__u8 vtl;
	__u8 pad[3];		/* must be zero */
	__u32 nr_ranges;
	__u64 ranges;		/* struct kvm_vtl_protection_range __user * */
	__u32 flags;		/* must be zero */
	__u32 pad2;		/* must be zero */
	__u64 reserved[2];	/* must be zero */
};

/* Sub-page write masks: bit i of a mask covers bytes [128 * i, 128 * i + 127]. */
#define KVM_VTL_SUBPAGE_SIZE		128

/* Give GFNs [gfn, gfn + npages) of VTL @vtl's protection set one write mask. */
struct kvm_vtl_write_mask {
	__u64 gfn;
	__u64 npages;
	__u8 vtl;
	__u8 pad[3];		/* must be zero */
	__u32 mask;		/* 0: no mask */
	__u32 flags;		/* must be zero */
	__u32 pad2;		/* must be zero */
	__u64 reserved[2];	/* must be zero */
};

/* Read the write masks of GFNs [gfn, gfn + npages), one __u32 per GFN. */
struct kvm_vtl_write_masks {
	__u64 gfn;
	__u64 npages;
	__u8 vtl;
	__u8 pad[3];		/* must be zero */
	__u32 flags;		/* must be zero */
	__u64 masks;		/* __u32 __user *, npages of them */
	__u64 reserved[2];	/* must be zero */
};

#endif /* __LINUX_KVM_VTL_H */
