package crash

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// The shape of a mode's run.
const (
	// rounds per mode: each round re-reads every file acknowledged before
	// it, so the cost grows with the square; 20 took 12 min of CI's 2
	// cores, 12 keeps the suite well under its 30 min (every run draws a
	// new seed, so runs add up to more kill points).
	rounds  = 12
	writers = 3
	// The daemon is killed this long after the writers start: a delay in
	// [minKillDelay, maxKillDelay], drawn from the seeded stream.
	minKillDelay = 50 * time.Millisecond
	maxKillDelay = 1500 * time.Millisecond
	// writersStopTimeout bounds how long the writers may keep going after
	// SIGKILL (it catches a hang; it measures nothing).
	writersStopTimeout = 30 * time.Second
	// modeTimeout bounds one mode's whole run (a hang catcher: each
	// round re-reads every earlier file, so a loaded machine takes ~4 min).
	modeTimeout = 10 * time.Minute
)

// crashMode is one way of mounting: the extra flags of "sealfs mount".
type crashMode struct {
	name  string
	flags []string
}

// TestCrashRecovery kills sealfs with SIGKILL in the middle of Orthanc-like
// writes, round after round, and checks after each remount (same state
// directory) and at the end (a fresh, empty state directory) that every
// acknowledged file reads back byte for byte and that no file reads back
// wrong bytes without an error.
func TestCrashRecovery(t *testing.T) {
	requireFUSE(t)
	seed := crashSeed(t)
	modes := []crashMode{
		{name: "write-through"},
		{name: "write-back", flags: []string{"--write-back"}},
	}
	for i, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			for _, flag := range mode.flags {
				if !mountFlagSupported(t, flag) {
					t.Fatalf("sealfs mount --help does not list %s", flag)
				}
			}
			runCrashRounds(t, mode, rand.New(rand.NewPCG(seed, uint64(i))))
		})
	}
}

// crashVolume is one mode's world: MinIO, the bucket, the key, the mount
// point, and the state directory reused across rounds.
type crashVolume struct {
	minio   *testenv.MinIO
	base    string
	key     string
	mnt     string
	logPath string
	flags   []string
}

// runCrashRounds runs the rounds of one mode, then the final check through
// a fresh state directory.
func runCrashRounds(t *testing.T, mode crashMode, r *rand.Rand) {
	ctx, cancel := context.WithTimeout(context.Background(), modeTimeout)
	defer cancel()
	v := newCrashVolume(t, ctx, mode.flags)
	config := writeConfig(t, v.minio, v.key, filepath.Join(v.base, "state"), v.base)
	m := newManifest()
	leftovers := map[string]leftover{}
	d := startDaemon(t, config, v.flags, v.mnt, v.logPath)
	for round := 1; round <= rounds; round++ {
		before := len(m.paths())
		delay := killDelay(r)
		outcomes := writeAndKill(t, ctx, d, r.Uint64(), delay, m)
		d = startDaemon(t, config, v.flags, v.mnt, v.logPath)
		checkStart := time.Now()
		found := checkMount(t, v.mnt, m)
		mergeLeftovers(t, leftovers, found)
		t.Logf("round %d: SIGKILL %v after the writers started; %d files acknowledged (%d in all); writers stopped with %s; %d unacknowledged leftovers in the mount (checked in %v)",
			round, delay, len(m.paths())-before, len(m.paths()), summarize(outcomes), len(found), time.Since(checkStart).Round(time.Millisecond))
		if ctx.Err() != nil {
			t.Fatalf("the mode's %v budget ran out after %d rounds", modeTimeout, round)
		}
	}
	d.stop(t) // a clean unmount; in write-back mode it drains the uploads
	fresh := writeConfig(t, v.minio, v.key, filepath.Join(v.base, "fresh-state"), v.base)
	d = startDaemon(t, fresh, v.flags, v.mnt, v.logPath)
	found := checkMount(t, v.mnt, m)
	mergeLeftovers(t, leftovers, found)
	d.stop(t)
	t.Logf("%s: %d rounds, %d files acknowledged and checked again through a fresh state directory; %d unacknowledged leftovers seen (%s); %d in the store at the end",
		mode.name, rounds, len(m.paths()), len(leftovers), countStates(leftovers), len(found))
}

// killDelay draws how long the writers run before SIGKILL, in whole
// milliseconds in [minKillDelay, maxKillDelay].
func killDelay(r *rand.Rand) time.Duration {
	span := int64((maxKillDelay - minKillDelay) / time.Millisecond)
	return minKillDelay + time.Duration(r.Int64N(span+1))*time.Millisecond
}

// newCrashVolume starts MinIO, creates the bucket and the key, and makes
// the mount point; the daemon's log is shown if the test fails.
func newCrashVolume(t *testing.T, ctx context.Context, flags []string) *crashVolume {
	t.Helper()
	v := &crashVolume{minio: testenv.StartMinIO(t), base: t.TempDir(), flags: flags}
	createBucket(t, ctx, v.minio)
	v.key = newKey(t, v.base)
	v.mnt = filepath.Join(v.base, "mnt")
	v.logPath = filepath.Join(v.base, "sealfs.log")
	if err := os.Mkdir(v.mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			data, _ := os.ReadFile(v.logPath)
			t.Logf("sealfs log (tail):\n%s", data[max(0, len(data)-16<<10):])
		}
	})
	return v
}

// writeAndKill runs the writers on d's mount, kills d with SIGKILL after
// delay, checks how the writers stopped, and then (only then: a writer
// must never reach the bare directory below) detaches the dead mount.
func writeAndKill(t *testing.T, ctx context.Context, d *daemon, roundSeed uint64, delay time.Duration, m *manifest) []writerOutcome {
	t.Helper()
	writeCtx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	var killed atomic.Bool
	wait := runWriters(writeCtx, d.mountpoint, writers, roundSeed, &killed, m)
	done := make(chan []writerOutcome, 1)
	go func() { done <- wait() }()
	time.Sleep(delay)
	killed.Store(true)
	d.kill(t)
	var outcomes []writerOutcome
	select {
	case outcomes = <-done:
	case <-time.After(writersStopTimeout):
		stopWriters()
		select {
		case outcomes = <-done:
		case <-time.After(writersStopTimeout):
			t.Fatalf("the writers are stuck %v after SIGKILL", 2*writersStopTimeout)
		}
	}
	d.detach(t)
	for i, o := range outcomes {
		switch {
		case o.err == nil:
			t.Errorf("writer %d: still succeeding %v after SIGKILL", i, writersStopTimeout)
		case o.beforeKill:
			t.Errorf("writer %d: failed on a healthy mount, before SIGKILL: %v", i, o.err)
		case !expectedKillError(o.err):
			t.Errorf("writer %d: after SIGKILL: %v, want one of %v", i, o.err, expectedAfterKill)
		}
	}
	return outcomes
}

// mergeLeftovers records this check's leftovers in all, logging any whose
// state changed since an earlier check (a resumed upload, for example).
func mergeLeftovers(t *testing.T, all, found map[string]leftover) {
	t.Helper()
	for rel, state := range found {
		if was, seen := all[rel]; seen && was != state {
			t.Logf("%s: unacknowledged leftover was %s, now %s", rel, was, state)
		}
		all[rel] = state
	}
}

// countStates summarizes leftovers as "state×count" pairs.
func countStates(leftovers map[string]leftover) string {
	counts := map[leftover]int{}
	for _, state := range leftovers {
		counts[state]++
	}
	parts := make([]string, 0, len(counts))
	for _, state := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s×%d", state, counts[state]))
	}
	return strings.Join(parts, " ")
}
