# SPDX-License-Identifier: GPL-2.0
# Two commands matter: "make run" (the demonstration) and "make test"
# (everything CI checks).  The rest are steps of those, for the dev loop.
# Build products live in $(VSM_CACHE), default ~/.cache/kvm-vsm.

H := harness
.PHONY: run test bench deps assemble export kernel kernel-nohv selftests check series-check qemu bochs bochs3 baseline clean-cache

test: deps bochs3 kernel kernel-nohv selftests check
	$(H)/test.sh

run: deps kernel selftests
	$(H)/run-demo.sh

# The protection-change benchmark: table, CSV and plot in out/bench/.
bench: deps selftests
	$(H)/run-bench.sh

deps:
	$(H)/deps.sh

# Bochs 3.0 from Debian trixie's source, for the Bochs machines.
bochs3: deps
	$(H)/build-bochs.sh

assemble: deps
	$(H)/assemble.sh

# The commits of the assembled tree's series branches -> patches/.
export:
	$(H)/export.sh

# Build every patch boundary with CONFIG_KVM_HYPERV=y and =n and the KUnit
# tests on and off.  Slow (about a minute a commit): not part of make test.
series-check: assemble
	$(H)/series-check.sh

kernel: assemble
	$(H)/build-kernel.sh

# The final tree without Hyper-V support: built, not booted.
kernel-nohv: assemble
	KFLAVOUR=nohv $(H)/build-kernel.sh

selftests: kernel
	$(H)/build-tests.sh

check: kernel
	$(H)/check.sh

# Quick loops: "make qemu T='x86_64/hyperv_vsm_smoke_test x86_64/hyperv_features'" runs just
# those tests (default timeout 120 s) in QEMU; "make bochs T=..." in Bochs.
qemu bochs: bochs3 kernel selftests
	$(H)/run-some.sh $@ $(T)

# Regenerate tests/regression.list: every upstream x86 selftest that
# passes on the kernel built without the patch series.
baseline: deps
	$(H)/baseline.sh

clean-cache:
	$(H)/clean-cache.sh
