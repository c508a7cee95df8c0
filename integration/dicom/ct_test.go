package dicom

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

func TestEncodeLayout(t *testing.T) {
	tests := []struct {
		name   string
		ct     CT
		frames int
	}{
		{"single frame", Collection(1, Shape{1, 1, 1, 1})[0], 1},
		{"three frames", MultiFrame(2, 3), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.ct.Encode()
			if !bytes.Equal(data[:128], make([]byte, 128)) || string(data[128:132]) != "DICM" {
				t.Fatalf("no preamble and DICM prefix: % x", data[:136])
			}
			// The meta group length covers exactly the group 0002 elements.
			if string(data[136:138]) != "UL" {
				t.Fatalf("group length VR = %q", data[136:138])
			}
			metaEnd := 144 + int(binary.LittleEndian.Uint32(data[140:144]))
			if got := binary.LittleEndian.Uint16(data[metaEnd:]); got != 0x0008 {
				t.Errorf("first dataset group after the meta = %#04x, want 0x0008", got)
			}
			// Pixel data is the last element and fills the file.
			pixels := tt.frames * FrameSize
			tag := data[len(data)-pixels-12:]
			if !bytes.Equal(tag[:8], []byte{0xE0, 0x7F, 0x10, 0x00, 'O', 'W', 0, 0}) ||
				binary.LittleEndian.Uint32(tag[8:12]) != uint32(pixels) {
				t.Errorf("pixel data header = % x", tag[:12])
			}
			if c := bytes.Count(data, []byte(Marker)); c < 3 {
				t.Errorf("marker found %d times, want it in the name, the private tag and the pixels", c)
			}
			if !bytes.Equal(data, tt.ct.Encode()) {
				t.Error("two encodings of the same instance differ")
			}
		})
	}
}

func TestCollectionIsDistinct(t *testing.T) {
	a := Collection(7, Shape{2, 2, 2, 2})
	b := Collection(8, Shape{2, 2, 2, 2})
	if len(a) != 16 {
		t.Fatalf("len = %d, want 16", len(a))
	}
	seen := map[string]bool{}
	for _, ct := range append(a, b...) {
		if seen[ct.SOPInstanceUID] {
			t.Errorf("SOPInstanceUID %s repeats", ct.SOPInstanceUID)
		}
		seen[ct.SOPInstanceUID] = true
	}
	if bytes.Equal(pixelData(a[0].Seed, 64), pixelData(a[1].Seed, 64)) {
		t.Error("two instances have the same pixels")
	}
}

// dcmtk's parser accepts the files and reads back the attributes written.
func TestDcmdumpParses(t *testing.T) {
	dcmdump, err := exec.LookPath("dcmdump")
	testenv.Require(t, "dcmdump (apt-get install dcmtk)", err == nil, "checks the generated files parse")
	ct := Collection(3, Shape{1, 1, 1, 1})[0]
	multi := MultiFrame(4, 2)
	dir := t.TempDir()
	for name, c := range map[string]CT{"single.dcm": ct, "multi.dcm": multi} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, c.Encode(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(dcmdump, "-E", "+L", path).CombinedOutput()
		if err != nil {
			t.Fatalf("dcmdump %s: %v\n%s", name, err, out)
		}
		text := string(out)
		for _, want := range []string{
			"(0002,0010) UI =LittleEndianExplicit",
			"(0008,0016) UI =CTImageStorage",
			"(0008,0018) UI [" + c.SOPInstanceUID + "]",
			"(0010,0020) LO [" + c.PatientID + "]",
			"(0010,0010) PN [" + c.PatientName + "]",
			"(0028,0010) US 512",
			"(0028,0101) US 12",
			"(0028,0004) CS [MONOCHROME2]",
			"(7fe0,0010) OW",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: dcmdump output lacks %q:\n%s", name, want, text)
			}
		}
		if strings.Contains(text, "W: ") || strings.Contains(text, "E: ") {
			t.Errorf("%s: dcmdump warned:\n%s", name, text)
		}
	}
}
