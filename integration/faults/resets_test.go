package faults

import (
	"slices"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// While connections are reset, each write either succeeds, and is then
// stored, or fails with EIO; once the resets stop, writes succeed again.
func TestConnectionResets(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	before := r.writePhase("before the resets", 3, 3)
	requireAllStored(t, "before the resets", before)
	in := startInflight(t, r.mount.dir)

	phases := []struct {
		name  string
		toxic testenv.Toxic
		// mustFail: the toxic hits every connection, so no write can
		// succeed (this also shows that the toxic took effect); the
		// in-flight file is synced then too.
		mustFail bool
	}{
		{"every answer reset", testenv.Toxic{Name: "reset", Type: "reset_peer", Attributes: map[string]int{"timeout": 0}}, true},
		{"80% of the answers reset", testenv.Toxic{Name: "reset", Type: "reset_peer", Toxicity: 0.8, Attributes: map[string]int{"timeout": 0}}, false},
		{"half the uploads reset after 20 ms", testenv.Toxic{Name: "reset", Type: "reset_peer", Stream: "upstream", Toxicity: 0.5, Attributes: map[string]int{"timeout": 20}}, false},
	}
	var during []outcome
	for _, p := range phases {
		r.proxy.AddToxic(t, p.toxic)
		if p.mustFail {
			in.mustFailToSync(t, r)
		}
		out := r.writePhase(p.name, 8, 2)
		r.proxy.RemoveToxic(t, p.toxic.Name)
		checkFailuresAreEIO(t, out)
		if p.mustFail && failures(out) != len(out) {
			t.Errorf("%s: %d of %d writes succeeded", p.name, len(out)-failures(out), len(out))
		}
		during = append(during, out...)
	}

	after := r.writePhase("after the resets", 3, 3)
	requireAllStored(t, "after the resets", after)
	r.checkStoredEverywhere(slices.Concat(before, during, after))
}
