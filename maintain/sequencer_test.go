package maintain

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// The sequencer folds outcomes in List order whatever order they finish
// in, and the checkpoint key is the last of a contiguous run.
func TestSequencer(t *testing.T) {
	tests := []struct {
		name     string
		keys     []string
		finish   []int // indexes, in finishing order
		wantLast string
		wantObjs int64
		allDone  bool
	}{
		{"none finished", []string{"a", "b"}, nil, "start", 0, false},
		{"in order", []string{"a", "b", "c"}, []int{0, 1, 2}, "c", 3, true},
		{"reverse", []string{"a", "b", "c"}, []int{2, 1, 0}, "c", 3, true},
		{"gap holds back", []string{"a", "b", "c"}, []int{0, 2}, "a", 1, false},
		{"first missing", []string{"a", "b", "c"}, []int{1, 2}, "start", 0, false},
		{"twice is once", []string{"a", "b"}, []int{0, 0, 1}, "b", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSequencer("start", &Report{})
			seqs := make([]uint64, len(tt.keys))
			for i, k := range tt.keys {
				seqs[i] = s.add(k)
			}
			for _, i := range tt.finish {
				s.finish(seqs[i], outcome{kind: kindVerified, bytes: 10, kek: 1, hasKEK: true})
			}
			last, rep, _ := s.snapshot()
			if last != tt.wantLast || rep.Objects != tt.wantObjs || rep.Bytes != 10*tt.wantObjs {
				t.Errorf("snapshot: last %q objects %d bytes %d; want %q %d", last, rep.Objects, rep.Bytes, tt.wantLast, tt.wantObjs)
			}
			if rep.KEKUsage[1].Objects != tt.wantObjs {
				t.Errorf("kek usage %v", rep.KEKUsage)
			}
			if s.allDone() != tt.allDone {
				t.Errorf("allDone %v, want %v", s.allDone(), tt.allDone)
			}
		})
	}
}

func TestSequencerSnapshotChanged(t *testing.T) {
	s := newSequencer("", &Report{})
	n := s.add("a")
	if _, _, changed := s.snapshot(); changed {
		t.Error("changed before anything was folded")
	}
	s.finish(n, outcome{kind: kindFailed, err: errors.New("bad")})
	_, rep, changed := s.snapshot()
	if !changed || len(rep.Failures) != 1 || rep.Failures[0].Key != "a" {
		t.Errorf("after a failure: changed %v report %+v", changed, rep)
	}
	if _, _, changed := s.snapshot(); changed {
		t.Error("changed twice for one fold")
	}
}

func TestReportFold(t *testing.T) {
	tests := []struct {
		name string
		out  outcome
		want Report
	}{
		{"gone", outcome{kind: kindGone}, Report{Gone: 1}},
		{"verified", outcome{kind: kindVerified, bytes: 5, kek: 2, hasKEK: true},
			Report{Objects: 1, Bytes: 5, KEKUsage: map[uint32]KEKCount{2: {1, 5}}}},
		{"rewrapped after a retry", outcome{kind: kindRewrapped, bytes: 7, kek: 3, hasKEK: true, retries: 1},
			Report{Objects: 1, Bytes: 7, Rewrapped: 1, RewrappedBytes: 7, Retries: 1, KEKUsage: map[uint32]KEKCount{3: {1, 7}}}},
		{"current", outcome{kind: kindCurrent, bytes: 1}, Report{Objects: 1, Bytes: 1, Current: 1}},
		{"not selected", outcome{kind: kindNotSelected, bytes: 1}, Report{Objects: 1, Bytes: 1, NotSelected: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Report
			r.fold("k", tt.out)
			if r.Objects != tt.want.Objects || r.Bytes != tt.want.Bytes || r.Gone != tt.want.Gone || r.Rewrapped != tt.want.Rewrapped ||
				r.RewrappedBytes != tt.want.RewrappedBytes || r.Current != tt.want.Current || r.NotSelected != tt.want.NotSelected ||
				r.Retries != tt.want.Retries || len(r.KEKUsage) != len(tt.want.KEKUsage) {
				t.Fatalf("got %+v, want %+v", r, tt.want)
			}
			for id, c := range tt.want.KEKUsage {
				if r.KEKUsage[id] != c {
					t.Errorf("kek %d: %+v, want %+v", id, r.KEKUsage[id], c)
				}
			}
		})
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "verify.checkpoint")
	if _, ok, err := loadCheckpoint(path); ok || err != nil {
		t.Fatalf("missing checkpoint: ok %v err %v", ok, err)
	}
	cp := checkpoint{Op: "rotate", Volume: "00ff", Params: "to=2", After: "ab/cd/x",
		Report: Report{Objects: 3, Failures: []Failure{{Key: "ab/x", Reason: "tampered"}}, KEKUsage: map[uint32]KEKCount{2: {3, 30}}}}
	if err := saveCheckpoint(path, cp); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint file: %v %v", st, err)
	}
	got, ok, err := loadCheckpoint(path)
	if !ok || err != nil {
		t.Fatalf("load: %v %v", ok, err)
	}
	if got.After != cp.After || got.Report.Objects != 3 || got.Report.Failures[0].Reason != "tampered" || got.Report.KEKUsage[2].Bytes != 30 {
		t.Errorf("round trip: %+v", got)
	}
	tests := []struct {
		op, volume, params string
		want               bool
	}{
		{"rotate", "00ff", "to=2", true},
		{"verify", "00ff", "to=2", false},
		{"rotate", "0100", "to=2", false},
		{"rotate", "00ff", "to=3", false},
	}
	for _, tt := range tests {
		if got.matches(tt.op, tt.volume, tt.params) != tt.want {
			t.Errorf("matches(%q, %q, %q) != %v", tt.op, tt.volume, tt.params, tt.want)
		}
	}
	if err := removeCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	if err := removeCheckpoint(path); err != nil {
		t.Errorf("removing a missing checkpoint: %v", err)
	}
}

func TestCheckpointUnreadable(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not json", "{"},
		{"other format", `{"format":"sealfs-maintain/9"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := loadCheckpoint(path); !errors.Is(err, ErrBadCheckpoint) {
				t.Errorf("got %v, want ErrBadCheckpoint", err)
			}
		})
	}
}

func TestIsObjectKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"ab/cd/uuid", true},
		{"notes.txt", true},
		{"a/.sealfs-volume", true},
		{".sealfs-volume", false},
		{".sealfs-tmp/lock", false},
		{".sealfsx", false},
		{"ab/", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsObjectKey(tt.key); got != tt.want {
			t.Errorf("IsObjectKey(%q) = %v", tt.key, got)
		}
	}
}

func TestJobsUnderMemoryBudget(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want int
	}{
		{"no budget", Options{Jobs: 8, JobMemory: 1 << 20}, 8},
		{"budget fits all", Options{Jobs: 4, MemoryBudget: 64 << 20, JobMemory: 1 << 20}, 4},
		{"budget lowers jobs", Options{Jobs: 16, MemoryBudget: 5 << 20, JobMemory: 1 << 20}, 5},
		{"at least one", Options{Jobs: 4, MemoryBudget: 1, JobMemory: 1 << 20}, 1},
		{"estimate from chunk size", Options{Jobs: 16, MemoryBudget: 4 * (readWindow + 2*65536 + copyBufferSize), ChunkSize: 65536}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.jobs(); got != tt.want {
				t.Errorf("jobs() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestProblem(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", envelope.ErrChunkTampered), "tampered"},
		{envelope.ErrHeaderTampered, "tampered"},
		{envelope.ErrTruncated, "truncated"},
		{envelope.ErrTrailingData, "extended"},
		{envelope.ErrIdentityMismatch, "swapped (sealed for another path or volume)"},
		{envelope.ErrWrongKey, "wrong key"},
		{fmt.Errorf("x: %w", keyring.ErrUnknownKEK), "unknown KEK"},
		{keyring.ErrRevokedKEK, "revoked KEK"},
		{envelope.ErrNotSealfs, "not a sealfs object"},
		{envelope.ErrOutOfRange, "malformed"},
		{fmt.Errorf("%w: 4096", ErrChunkSize), "chunk size"},
		{ErrConcurrentChange, "changed concurrently"},
		{remote.ErrUnavailable, "store error"},
	}
	for _, tt := range tests {
		if got := Problem(tt.err); got != tt.want {
			t.Errorf("Problem(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
