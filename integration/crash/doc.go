// Package crash holds the crash test: the sealfs binary mounted over a real
// MinIO, written to in Orthanc's pattern by several writers, killed with
// SIGKILL at a random moment, and mounted again with the same state
// directory, round after round. Every file whose fdatasync and close both
// returned success must come back byte for byte, also through a fresh mount
// with an empty state directory; no file may ever read back wrong bytes
// without an error.
//
// The package has only tests; run them as root with FUSE and MinIO
// installed (scripts/test.sh builds MinIO into the tools cache). The run is
// reproducible from the seed it logs: set SEALFS_CRASH_SEED to repeat it.
package crash
