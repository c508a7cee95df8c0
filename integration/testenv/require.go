package testenv

import (
	"os"
	"testing"
)

// Require stops the test when a prerequisite is missing: ok reports whether
// what (for example "gocryptfs", or "fusermount3 or root") is available and
// why says what is wrong. Under CI (CI=true) the test fails; elsewhere it is
// skipped, so a developer without the tool can still run the other tests.
func Require(t testing.TB, what string, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s missing: %s", what, why)
		return // only reached with a fake testing.TB
	}
	t.Skipf("%s missing: %s (set CI=true to make this a failure)", what, why)
}
