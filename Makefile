# Developer shortcuts; scripts/test.sh is the real test command.

.PHONY: test bench build

# test runs everything CI runs (needs root for FUSE mounts: sudo make test).
test:
	scripts/test.sh

# bench measures plain, sealfs and gocryptfs; pass flags with BENCHFLAGS=...
bench:
	go run ./integration/bench $(BENCHFLAGS)

# build writes the sealfs binary to bin/sealfs.
build:
	go build -o bin/sealfs ./cmd/sealfs
