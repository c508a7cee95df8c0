package staging

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// TestNoPlaintextOnDisk writes, overwrites and truncates marked data and
// scans every byte of the OS file for the marker.
func TestNoPlaintextOnDisk(t *testing.T) {
	for _, chunk := range []int{4096, 1 << 16} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			s, osPath := createStaged(t, newRing(t, nil, 1), "secret.db", chunk)
			var data []byte
			for i := range 2000 {
				data = fmt.Appendf(data, "PLAINTEXT-MARKER-%06d|", i)
			}
			mustWrite(t, s, data, 0)
			mustWrite(t, s, data[:5000], int64(chunk)-100)
			mustWrite(t, s, data, 5*int64(chunk)+17)
			if err := s.Truncate(int64(len(data)) + 3*int64(chunk)); err != nil {
				t.Fatal(err)
			}
			if err := s.Truncate(int64(len(data)) + 7*int64(chunk)); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(readAll(t, s), []byte("PLAINTEXT-MARKER-001500|")) {
				t.Fatal("the marker is not in the logical contents: the scan below would prove nothing")
			}
			raw, err := os.ReadFile(osPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, needle := range []string{"PLAINTEXT", "MARKER-", "-000"} {
				if i := bytes.Index(raw, []byte(needle)); i >= 0 {
					t.Fatalf("OS file holds plaintext %q at offset %d", needle, i)
				}
			}
		})
	}
}
