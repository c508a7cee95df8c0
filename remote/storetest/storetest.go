// Package storetest is the conformance suite every remote.Store backend
// must pass. A backend's test calls Run with a function that returns a
// fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) remote.Store { return newEmptyStore(t) })
//	}
//
// Run closes every store it gets when its subtest ends.
package storetest

import (
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// Run runs the conformance suite as subtests of t, calling newStore for a
// fresh, empty store in each. With -short, the largest round trip
// (64 MiB + 1) is skipped.
func Run(t *testing.T, newStore func(t *testing.T) remote.Store) {
	open := func(t *testing.T) remote.Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("Stat", func(t *testing.T) { testStat(t, open(t)) })
	t.Run("ReadAtRanges", func(t *testing.T) { testReadAtRanges(t, open(t)) })
	t.Run("OpenPinnedVersion", func(t *testing.T) { testOpenPinned(t, open(t)) })
	t.Run("OpenStaleVersion", func(t *testing.T) { testOpenStale(t, open(t)) })
	t.Run("OpenVersion", func(t *testing.T) { testOpenVersion(t, open(t)) })
	t.Run("List", func(t *testing.T) { testList(t, open(t)) })
	t.Run("ListStopsOnError", func(t *testing.T) { testListStops(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("IfAbsent", func(t *testing.T) { testIfAbsent(t, open(t)) })
	t.Run("IfMatch", func(t *testing.T) { testIfMatch(t, open(t)) })
	t.Run("ConcurrentKeys", func(t *testing.T) { testConcurrentKeys(t, open(t)) })
	t.Run("ConcurrentSameKey", func(t *testing.T) { testConcurrentSameKey(t, open(t)) })
	t.Run("Abort", func(t *testing.T) { testAbort(t, open(t)) })
	t.Run("Markers", func(t *testing.T) { testMarkers(t, open(t)) })
	t.Run("Cancellation", func(t *testing.T) { testCancellation(t, open(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, open(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, open(t)) })
}
