# SPDX-License-Identifier: GPL-2.0
#
# Shared by the Makefiles of tools/*: flags, paths and install locations.
# A new tool (tools/NAME/Makefile) includes this file and is built by
# tools/Makefile automatically.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
TOOLS := $(TOP)/tools

DSTM_VERSION ?= 0.1

CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config
INSTALL ?= install

CFLAGS ?= -O2 -g
WERROR ?= -Werror
override CFLAGS += -std=gnu11 -Wall -Wextra $(WERROR) -MMD -MP
override CPPFLAGS += -D_GNU_SOURCE -DDSTM_VERSION='"$(DSTM_VERSION)"' \
	-I$(TOP)/uapi -I$(TOOLS)/lib \
	$(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
LIBNL_LIBS := $(shell $(PKG_CONFIG) --libs libnl-genl-3.0)

LIBDSTM := $(TOOLS)/lib/libdstm.a

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
