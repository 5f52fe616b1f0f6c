/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef __KVM_X86_VMX_SPP_H
#define __KVM_X86_VMX_SPP_H

#include <linux/kvm_host.h>

/* EPT-based sub-page write permissions for VTL write masks (spp.c). */
#ifdef CONFIG_KVM_HYPERV
void vmx_spp_hardware_setup(void);
bool vmx_spp_enable(struct kvm *kvm);
void vmx_spp_load(struct kvm_vcpu *vcpu);
void vmx_spp_update(struct kvm *kvm, gfn_t gfn, u64 npages);
void vmx_spp_destroy(struct kvm *kvm);
int handle_spp(struct kvm_vcpu *vcpu);
#else
static inline void vmx_spp_hardware_setup(void) {}
static inline void vmx_spp_load(struct kvm_vcpu *vcpu) {}
static inline void vmx_spp_destroy(struct kvm *kvm) {}
#endif

#endif /* __KVM_X86_VMX_SPP_H */
