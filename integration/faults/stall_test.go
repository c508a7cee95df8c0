package faults

import (
	"slices"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// When the store's connections stall (open, but no data moves), fdatasync,
// close, stat and open return errors after the request timeouts instead of
// hanging; once data flows again the mount serves as before, and what was
// stored before the stall still reads back.
func TestStalledConnection(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	before := r.writePhase("before the stall", 3, 3)
	requireAllStored(t, "before the stall", before)
	in := startInflight(t, r.mount.dir)

	// timeout 0: the data stops and the connection stays open for ever.
	r.proxy.AddToxic(t, testenv.Toxic{Name: "stall", Type: "timeout", Attributes: map[string]int{"timeout": 0}})
	in.mustFailToSync(t, r)
	mustFailToStat(t, r, before[0])
	// No new file is written during the stall: creating xx/yy/uuid takes
	// a dozen lookups, each failing only after the request timeout and the
	// retries (some 45 s in all), which the outage tests cover quickly.

	r.proxy.RemoveToxic(t, "stall")
	after := r.writePhase("after the stall", 3, 3)
	requireAllStored(t, "after the stall", after)
	r.checkStoredEverywhere(slices.Concat(before, after))
}
