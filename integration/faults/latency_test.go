package faults

import (
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// With 300 ms added to every answer, Orthanc's writes all succeed and
// read back intact, through the slow mount and through a fresh one. A new
// xx/yy/uuid file costs some 30 round trips (most for the directories),
// so the writes run 10 at a time, as Orthanc's storage threads do.
func TestLatency(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	r.proxy.AddToxic(t, testenv.Toxic{Name: "slow", Type: "latency", Attributes: map[string]int{"latency": 300}})
	out := r.writePhase("300 ms latency", 20, 10)
	requireAllStored(t, "300 ms latency", out)
	r.checkStoredEverywhere(out)
}
