# SPDX-License-Identifier: GPL-2.0
#
# dstm top-level Makefile.
#
#   make            dstm.ko for every supported installed kernel, and the tools
#   make deps       install build/test dependencies (Debian 12, as root)
#   make check      deps + build + every selftest in QEMU on every kernel
#   make demo       the seed's worked example in a VM
#   make lint       checkpatch --strict and sparse on kernel/
#   make bench      benchmarks (see Documentation/performance.md)
#   make install    install the module for the running kernel and the tools

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# Kernels we support: Debian 12's 6.1 and bookworm-backports' 6.12.
KVERS ?= $(notdir $(wildcard $(addprefix /lib/modules/,$(shell ls /lib/modules 2>/dev/null | grep -E '^6\.(1|12)\.'))))
KVERS := $(foreach v,$(KVERS),$(if $(wildcard /lib/modules/$(v)/build/Makefile),$(v)))
BUILD := $(TOP)/build

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all modules tools deps check demo lint bench install clean FORCE

all: modules tools

# Each kernel gets its own copy of the sources under build/VER, so builds for
# different kernels never share object files.
modules: $(addprefix $(BUILD)/,$(addsuffix /dstm.ko,$(KVERS)))

$(BUILD)/%/dstm.ko: FORCE
	@mkdir -p $(BUILD)/$*
	@rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '*.mod*' --exclude '.*.cmd' \
		$(TOP)/kernel $(TOP)/uapi $(BUILD)/$*/ 2>/dev/null || \
		{ cp -ru $(TOP)/kernel $(TOP)/uapi $(BUILD)/$*/; }
	@cp -u $(TOP)/Kbuild $(BUILD)/$*/Kbuild
	$(MAKE) -C /lib/modules/$*/build M=$(BUILD)/$* modules
	@cp $(BUILD)/$*/kernel/dstm.ko $@

tools:
	$(MAKE) -C tools

deps:
	bash scripts/deps.sh

check: deps
	$(MAKE) all
	bash scripts/check.sh

demo: deps
	$(MAKE) all
	bash scripts/demo.sh

lint:
	bash scripts/lint.sh

bench: deps
	$(MAKE) all
	bash selftests/bench.sh
	@mkdir -p build/bench
	bash selftests/bench_dstmd.sh -o build/bench/dstmd.md
	bash selftests/bench_dns.sh -o build/bench/dns.md
	bash selftests/bench_client.sh -o build/bench/client.md --append build/bench/results.md

install:
	$(MAKE) -C /lib/modules/$(shell uname -r)/build M=$(TOP) modules
	$(MAKE) -C /lib/modules/$(shell uname -r)/build M=$(TOP) modules_install
	depmod -a $(shell uname -r)
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

clean:
	rm -rf $(BUILD)
	$(MAKE) -C tools clean
	-$(MAKE) -C /lib/modules/$(firstword $(KVERS))/build M=$(TOP) clean 2>/dev/null

FORCE:
