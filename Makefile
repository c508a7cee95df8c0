# Developer shortcuts; scripts/test.sh is the real test command.

.PHONY: test bench build deb

# test runs everything CI runs (needs root for FUSE mounts: sudo make test).
test:
	scripts/test.sh

# bench measures plain, sealfs and gocryptfs; pass flags with BENCHFLAGS=...
bench:
	go run ./integration/bench $(BENCHFLAGS)

# VERSION is what "sealfs version" prints (git describe when available).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# build writes the sealfs binary to bin/sealfs.
build:
	go build -ldflags "-X main.version=$(VERSION)" -o bin/sealfs ./cmd/sealfs

# deb builds dist/sealfs_VERSION_amd64.deb with nfpm (see scripts/build-deb.sh).
deb:
	VERSION=$(VERSION) scripts/build-deb.sh dist
