package testenv

import (
	"fmt"
	"testing"
)

// recordingTB records the Fatalf and Skipf calls that Require makes instead of
// stopping the test.
type recordingTB struct {
	testing.TB
	fatal string
	skip  string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func (r *recordingTB) Skipf(format string, args ...any) { r.skip = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	tests := []struct {
		name      string
		ci        string
		ok        bool
		wantFatal bool
		wantSkip  bool
	}{
		{name: "present outside CI", ci: "", ok: true},
		{name: "present in CI", ci: "true", ok: true},
		{name: "missing outside CI skips", ci: "", ok: false, wantSkip: true},
		{name: "missing with CI=false skips", ci: "false", ok: false, wantSkip: true},
		{name: "missing in CI fails", ci: "true", ok: false, wantFatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			rec := &recordingTB{}
			Require(rec, "gocryptfs", tt.ok, "not in PATH")
			if got := rec.fatal != ""; got != tt.wantFatal {
				t.Errorf("fatal = %q, want a failure: %v", rec.fatal, tt.wantFatal)
			}
			if got := rec.skip != ""; got != tt.wantSkip {
				t.Errorf("skip = %q, want a skip: %v", rec.skip, tt.wantSkip)
			}
			if tt.wantFatal && rec.fatal != "gocryptfs missing: not in PATH" {
				t.Errorf("fatal message = %q", rec.fatal)
			}
		})
	}
}
