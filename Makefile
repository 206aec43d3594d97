# kpart top-level build. User space is built with CMake, the kernel and the
# module with scripts/kernel.sh; everything lands in build/.
#
#   make demo    boot a QEMU machine that partitions itself (main job)
#   make check   every test: unit (CTest label "unit") and end-to-end ("e2e")
#   make bench   the benchmarks, each printed next to its same-run baseline
#   make deb     Debian packages in build/deb: kernel, kpart-dkms, kpart

SHELL    := /bin/bash
BUILD    ?= $(CURDIR)/build
CMAKEDIR := $(BUILD)/cmake
# Tests run side by side, one per host CPU: each QEMU machine is one TCG
# thread (scripts/qemu.sh), so two cores run two machines at full speed.
JOBS     ?= $(shell nproc)

.PHONY: all deps userspace kernel kernel-debug kmod initramfs e2e-images demo check unit e2e bench deb clean

all: userspace kernel

deps:
	@scripts/deps.sh

userspace: deps
	@cmake -S . -B $(CMAKEDIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(CMAKEDIR) -j$$(nproc)

kernel: deps
	@scripts/kernel.sh all

# The debug boot kernel (kernel-patches/debug.config) some e2e tests boot
kernel-debug: deps
	@scripts/kernel.sh debug

initramfs: userspace kernel
	@scripts/initramfs.sh

# The e2e tests' images: the initramfs with the debug kernel's module in it
e2e-images: userspace kernel kernel-debug
	@scripts/initramfs.sh

demo: initramfs
	@scripts/demo.sh

unit: userspace
	@cd $(CMAKEDIR) && ctest -L unit --output-on-failure

# ctest_run NAME, CTEST-ARGS: run CTest, $(JOBS) tests at a time. Each e2e
# test's logs and host-check counts land in build/e2e/NAME; the table at
# the end says how many EXPECT lines each test had checked, then come
# CTest's verdict line and how long the tests took.
define ctest_run
	@rm -rf $(BUILD)/e2e
	@cd $(CMAKEDIR) && set -o pipefail && t0=$$(date +%s) && \
		ctest -j$(JOBS) $(2) --output-on-failure | tee $(BUILD)/ctest.log; rc=$$?; \
		$(CURDIR)/tests/e2e/summary.sh; grep -a "tests passed, " $(BUILD)/ctest.log; \
		t=$$(( $$(date +%s) - t0 )); echo "make $(1): the tests took $$((t / 60)) min $$((t % 60)) s, $(JOBS) at a time"; \
		exit $$rc
endef

e2e: e2e-images deb
	$(call ctest_run,e2e,-L e2e)

check: e2e-images deb
	$(call ctest_run,check,)

deb: userspace kernel
	@scripts/deb.sh all

bench: initramfs
	@cmake --build $(CMAKEDIR) --target bench

clean:
	rm -rf $(BUILD)/cmake $(BUILD)/kernel-obj $(BUILD)/kmod $(BUILD)/initramfs \
		$(BUILD)/kernel-debug-obj $(BUILD)/kmod-debug
