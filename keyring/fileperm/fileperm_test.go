package fileperm

import (
	"errors"
	"os"
	"strings"
	"testing"
)

var errTest = errors.New("too open")

func TestCheck(t *testing.T) {
	euid := uint32(os.Geteuid())
	keyFile := Rule{What: "key file", Forbidden: 0o077, Fix: "600"}
	dir := Rule{What: "store root", Forbidden: 0o022, Fix: "go-w"}
	tests := []struct {
		name string
		rule Rule
		perm os.FileMode
		uid  uint32
		want string // "" for no error
	}{
		{"key 0600", keyFile, 0o600, euid, ""},
		{"key 0400 root", keyFile, 0o400, 0, ""},
		{"key 0640", keyFile, 0o640, euid, "too open: key file /k is accessible by group or others (mode 0640); run: chmod 600 /k"},
		{"dir 0755", dir, 0o755, euid, ""},
		{"dir 0775", dir, 0o775, euid, "too open: store root /k is writable by group or others (mode 0775); run: chmod go-w /k"},
		{"dir 0703", dir, 0o703, euid, "writable by group or others (mode 0703)"},
		{"dir other owner", dir, 0o700, euid + 4242, "is owned by uid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rule.Check(errTest, "/k", tt.perm, tt.uid)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if !errors.Is(err, errTest) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want %q wrapping the sentinel", err, tt.want)
			}
		})
	}
}
