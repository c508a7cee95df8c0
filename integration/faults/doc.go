// Package faults holds fault tests: sealfs mounted in-process over real
// MinIO, with Toxiproxy in between injecting latency, connection resets,
// stalled connections and outages, and MinIO itself killed and restarted.
// Every test checks the one property that matters to Orthanc: a write that
// returned success is stored and readable byte for byte (also by a fresh
// mount with an empty state directory), and a write that is not stored
// fails loudly, with an error, after a bounded time.
//
// The package has only tests; run them as root with Toxiproxy and MinIO
// installed (scripts/test.sh builds both into the tools cache).
package faults
