package faults

import (
	"slices"
	"testing"
)

// While the store cannot be reached, writes fail with EIO, neither
// succeeding nor hanging; when it is back, the same mount serves again:
// new writes succeed and every write that succeeded is stored.
func TestOutage(t *testing.T) {
	cases := []struct {
		name     string
		viaProxy bool
		down, up func(t *testing.T, r *rig)
	}{
		{
			name:     "proxy disabled",
			viaProxy: true,
			down:     func(t *testing.T, r *rig) { r.proxy.SetEnabled(t, false) },
			up:       func(t *testing.T, r *rig) { r.proxy.SetEnabled(t, true) },
		},
		{
			name: "minio killed and restarted",
			down: func(t *testing.T, r *rig) { r.minio.Kill() },
			up: func(t *testing.T, r *rig) {
				r.minio.Restart(t)
				awaitBucket(t, r.minio, false)
			},
		},
	}
	t.Parallel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, c.viaProxy)
			before := r.writePhase("before the outage", 3, 3)
			requireAllStored(t, "before the outage", before)
			in := startInflight(t, r.mount.dir)

			c.down(t, r)
			in.mustFailToSync(t, r)
			mustFailToStat(t, r, before[0])
			during := r.writePhase("during the outage", 3, 1)
			if n := failures(during); n != len(during) {
				t.Errorf("%d writes succeeded while the store was down", len(during)-n)
			}
			checkFailuresAreEIO(t, during)

			c.up(t, r)
			after := r.writePhase("after the outage", 3, 3)
			requireAllStored(t, "after the outage", after)
			r.checkStoredEverywhere(slices.Concat(before, during, after))
		})
	}
}
