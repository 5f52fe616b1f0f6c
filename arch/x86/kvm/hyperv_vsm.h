/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hyper-V Virtual Secure Mode: the TLFS ABI on top of the VTL core.
 */
#ifndef __ARCH_X86_KVM_HYPERV_VSM_H
#define __ARCH_X86_KVM_HYPERV_VSM_H

#include <linux/kvm_host.h>

#include "vtl/vtl.h"

struct kvm_hv_hcall;

#define HVCALL_MODIFY_VTL_PROTECTION_MASK	0x000c
#define HVCALL_ENABLE_PARTITION_VTL	0x000d
#define HVCALL_VTL_CALL			0x0011
#define HVCALL_VTL_RETURN		0x0012

/* CPUID 0x40000003 EBX (privileges 63:32) the VSM guest ABI needs. */
#define HV_ACCESS_VSM			BIT(16)
#define HV_ACCESS_VP_REGISTERS		BIT(17)
#define HV_START_VIRTUAL_PROCESSOR	BIT(21)

bool kvm_hv_vsm_hypercall_code(struct kvm_vcpu *vcpu, u16 code);
int kvm_hv_vsm_vtl_switch_hypercall(struct kvm_vcpu *vcpu,
				    struct kvm_hv_hcall *hc);
u64 kvm_hv_vsm_hypercall(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc);
u64 kvm_hv_vsm_kvm_hypercall(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc);
bool kvm_hv_vsm_hypercall_to_userspace(struct kvm_vcpu *vcpu,
				       struct kvm_hv_hcall *hc);
u64 kvm_hv_vsm_check_memory_input(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc);
int kvm_hv_vsm_write_vtl_stubs(struct kvm_vcpu *vcpu, gpa_t page);
void kvm_hv_vsm_raise_sint(struct kvm_vcpu *vcpu, u8 vtl, u32 sint);
void kvm_hv_vsm_process_entry(struct kvm_vcpu *vcpu);
bool kvm_hv_vsm_entry_pending(struct kvm_vcpu *vcpu);
void kvm_hv_vsm_accept_start(struct kvm_vcpu *vcpu);
int kvm_hv_vsm_post_message(struct kvm_vcpu *vcpu, struct kvm_vtl_message *m);
int kvm_hv_vsm_memory_intercept(struct kvm_vcpu *vcpu, u8 to_vtl, gpa_t gpa,
				u8 access, bool emulating);

/* HV_INTERCEPT_ACCESS_TYPE */
#define HV_VSM_ACCESS_READ		0
#define HV_VSM_ACCESS_WRITE		1
#define HV_VSM_ACCESS_EXECUTE		2

bool kvm_hv_vsm_partition_config_valid(u64 config);
u8 kvm_hv_vsm_default_protection(u64 config);
int kvm_hv_vsm_get_vtl_msrs(struct kvm_vcpu *vcpu, u8 vtl,
			    struct kvm_vtl_state *s);
bool kvm_hv_vsm_vtl_msrs_valid(struct kvm_vcpu *vcpu, u8 vtl,
			       const struct kvm_vtl_state *s);
void kvm_hv_vsm_set_vtl_msrs(struct kvm_vcpu *vcpu, u8 vtl,
			     const struct kvm_vtl_state *s);

#endif /* __ARCH_X86_KVM_HYPERV_VSM_H */
