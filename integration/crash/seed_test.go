package crash

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// seedEnv overrides the seed of the crash test's random choices.
const seedEnv = "SEALFS_CRASH_SEED"

// crashSeed returns the seed of this run: SEALFS_CRASH_SEED when set, else
// the time. It logs the seed so that a failing run can be repeated.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(seedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: want an unsigned decimal integer: %v", seedEnv, s, err)
		}
	}
	t.Logf("seed %d (repeat with %s=%d)", seed, seedEnv, seed)
	return seed
}
