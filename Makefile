# kpart top-level build. User space is built with CMake, the kernel and the
# module with scripts/kernel.sh; everything lands in build/.
#
#   make demo    boot a QEMU machine that partitions itself (main job)
#   make check   every test: unit (CTest label "unit") and end-to-end ("e2e")
#   make bench   the benchmarks, each printed next to its same-run baseline

BUILD    ?= $(CURDIR)/build
CMAKEDIR := $(BUILD)/cmake

.PHONY: all deps userspace kernel kmod initramfs demo check unit e2e bench clean

all: userspace kernel

deps:
	@scripts/deps.sh

userspace: deps
	@cmake -S . -B $(CMAKEDIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(CMAKEDIR) -j$$(nproc)

kernel: deps
	@scripts/kernel.sh all

initramfs: userspace kernel
	@scripts/initramfs.sh

demo: initramfs
	@scripts/demo.sh

unit: userspace
	@cd $(CMAKEDIR) && ctest -L unit --output-on-failure

e2e: initramfs
	@cd $(CMAKEDIR) && ctest -L e2e --output-on-failure

check: initramfs
	@cd $(CMAKEDIR) && ctest --output-on-failure

bench: initramfs
	@cmake --build $(CMAKEDIR) --target bench

clean:
	rm -rf $(BUILD)/cmake $(BUILD)/kernel-obj $(BUILD)/kmod $(BUILD)/initramfs
