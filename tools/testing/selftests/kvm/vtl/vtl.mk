# SPDX-License-Identifier: GPL-2.0-only
# VSM selftests, included by ../Makefile.  Listing them here keeps new
# tests out of the upstream Makefile and so out of the patch series.
TEST_GEN_PROGS_x86_64 += vtl/hv_guest_demo
TEST_GEN_PROGS_x86_64 += vtl/vtl_smoke_test
TEST_GEN_PROGS_x86_64 += vtl/vsm_enable_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_regs_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_synic_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_state_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_call_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_start_vp_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_prot_uapi_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_prot_fault_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_concurrency_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_intercept_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_prot_race_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_prot_hugepage_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_prot_dirty_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_prot_kvm_access_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_protection_perf
TEST_GEN_PROGS_x86_64 += vtl/vsm_demo
TEST_GEN_PROGS_x86_64 += vtl/vtl_subpage_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_subpage_race_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_subpage_hw_teardown_test
TEST_GEN_PROGS_x86_64 += vtl/vtl_teardown_test
