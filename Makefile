# tandem: build, test, lint, bench and demo. `make test` and `make demo`
# install what they need (Debian packages, Go modules) on a fresh Debian 12.

export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
STATICCHECK_VERSION ?= 2026.2.2

# Debian packages the tests use: the real HAProxy, keepalived for the
# baseline, dnsmasq for DHCP, nftables for fault injection, QEMU and OVMF
# for VM boots, mtools/dosfstools/gdisk to check disk images.
TEST_PACKAGES = haproxy keepalived dnsmasq-base nftables iproute2 iputils-ping \
	procps psmisc kmod cpio stress-ng mtools dosfstools gdisk fdisk \
	qemu-system-x86 ovmf systemd-boot-efi ca-certificates xorriso genisoimage

# The image tests build from real Debian packages, downloaded once into
# this cache (apt-get download), and boot the result in QEMU.
export TANDEM_DEBS ?= $(HOME)/.cache/tandem/debs

GO_SOURCES := $(shell find . -name '*.go' -not -path './out/*') go.mod go.sum

.PHONY: all build test unit integration fuzz lint bench demo demo-netns mkosi deps clean

all: build

build: bin/tandem bin/tandem-image

bin/tandem: $(GO_SOURCES)
	CGO_ENABLED=0 $(GO) build -trimpath -o $@ ./cmd/tandem

bin/tandem-image: $(GO_SOURCES)
	$(GO) build -trimpath -o $@ ./cmd/tandem-image

deps:
	@./test/deps.sh $(TEST_PACKAGES)
	@$(GO) mod download

# Every test in the repository: unit tests in parallel, then the namespace
# and VM tests one package at a time (they measure timing), then a short
# fuzz run of the seed parser.
test: deps build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v '^tandem/test/')
	$(GO) test -count=1 -timeout 40m -p 1 ./test/...
	$(MAKE) fuzz

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 15s ./init/seed

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	staticcheck ./...

bench: deps build
	$(GO) test -count=1 -timeout 60m -p 1 -run '^$$' -bench . -benchtime 1x ./image/ ./test/...

# The mkosi package root (see mkosi.conf). The placeholder works around
# mkosi 14 reusing its incremental tree only when a build-image cache exists.
mkosi:
	mkdir -p mkosi.output && touch mkosi.output/tandem.cache-pre-dev
	mkosi --nspawn-keep-unit --force build

demo: deps build
	@./test/demo.sh

# The same pair as two `tandem run` processes in network namespaces: no
# image, no VM, ready in seconds.
demo-netns: deps build
	go run ./test/cmd/tandem-demo -netns

clean:
	rm -rf bin out
