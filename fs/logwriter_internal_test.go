package fs

import (
	"strings"
	"testing"
)

func TestRedactFUSE(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"write payload", `rx 12: WRITE n5 {Fh 3 4096 bytes at 0 L 0 RDWR} "PHI-secr"... 4096b p77`,
			`rx 12: WRITE n5 {Fh 3 4096 bytes at 0 L 0 RDWR} [redacted]... 4096b p77`},
		{"read reply", `tx 13:     OK, 4096b data "PHI-secr"...`, `tx 13:     OK, 4096b data [redacted]...`},
		{"lookup name kept", `rx 4: LOOKUP n1 ["a b.dcm"] 9b p1`, `rx 4: LOOKUP n1 ["a b.dcm"] 9b p1`},
		{"lookup name kept, quoted", `rx 4: LOOKUP n1 "a b.dcm"  p1`, `rx 4: LOOKUP n1 "a b.dcm"  p1`},
		{"symlink target", `rx 5: SYMLINK n1 "link" "PHI-target" p1`, `rx 5: SYMLINK n1 "link" [redacted] p1`},
		{"rename names kept", `rx 6: RENAME n1 {Newdir 1} "old" "new" p1`, `rx 6: RENAME n1 {Newdir 1} "old" "new" p1`},
		{"setxattr value", `rx 7: SETXATTR n2 {sz 10 f0} "user.note" "PHI-valu"... 10b p1`, `rx 7: SETXATTR n2 {sz 10 f0} "user.note" [redacted]... 10b p1`},
		{"readlink reply", `tx 8:     OK, "PHI-target"`, `tx 8:     OK, [redacted]`},
		{"escaped quote", `tx 9:     OK, 8b data "a\"b\\c"...`, `tx 9:     OK, 8b data [redacted]...`},
		{"unterminated", `rx 10: WRITE n5 {} "PHI-sec`, `rx 10: WRITE n5 {} [redacted]`},
		{"unknown op redacts all", `rx 11: FUTURE n1 "x" "y"`, `rx 11: FUTURE n1 [redacted] [redacted]`},
		{"other lines kept", `mountDirect: calling syscall.Mount("sealfs", "/mnt")`, `mountDirect: calling syscall.Mount("sealfs", "/mnt")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := redactFUSE(c.in)
			if got != c.want {
				t.Errorf("redactFUSE(%s)\n got %s\nwant %s", c.in, got, c.want)
			}
			if strings.Contains(got, "PHI") {
				t.Errorf("contents leaked: %s", got)
			}
		})
	}
}
