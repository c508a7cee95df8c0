package fs_test

import (
	"bytes"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// With FUSE debug logging on, the log shows the requests but never file
// contents: not WRITE or READ data, not a symlink target, not an
// extended attribute value.
func TestDebugLogRedactsContents(t *testing.T) {
	m := newMount(t, 0)
	m.mountOpts.Debug = true
	m.remount()
	const marker = "PHI-MARKER-Jane-Doe-1970"
	data := bytes.Repeat([]byte(marker), 100)
	writeFile(t, m.path("f"), data)
	m.remount() // cold: the next open reads and verifies the object
	if got := mustRead(t, m.path("f")); !bytes.Equal(got, data) {
		t.Fatal("read back differs")
	}
	f, err := os.Open(m.path("f"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	f.ReadAt(buf, 1000) // a READ request, unless the kernel's cache answers
	f.Close()
	os.Symlink(marker, m.path("link"))                            // sealfs has no symlinks: the request is still logged
	unix.Setxattr(m.path("f"), "user.note", []byte(marker), 0)    // nor extended attributes
	os.WriteFile(m.path("f"), []byte(marker+" once more"), 0o600) // short write, whole payload fits the summary
	m.unmount()
	if !m.logs.contains("WRITE") || !m.logs.contains("LOOKUP") {
		t.Fatalf("debug logging is not on:\n%.2000s", m.logs.w.String())
	}
	if !m.logs.contains("[redacted]") {
		t.Error("nothing was redacted")
	}
	for _, leak := range []string{marker[:8], "PHI-MARK"} {
		if m.logs.contains(leak) {
			t.Errorf("the log contains file contents %q", leak)
		}
	}
}
