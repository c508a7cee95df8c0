package dicom

import (
	"bytes"
	"errors"
	"testing"
)

func TestDataset(t *testing.T) {
	file := Collection(9, Shape{1, 1, 1, 1})[0].Encode()
	dataset, err := Dataset(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(dataset, []byte{0x08, 0x00, 0x16, 0x00, 'U', 'I'}) {
		t.Errorf("dataset starts with % x, want (0008,0016) UI", dataset[:6])
	}
	long := bytes.Clone(file)
	long[143] = 0xFF // meta group length far past the end
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"no DICM", make([]byte, 200)},
		{"meta too long", long},
		{"cut in the group length", file[:140]},
	}
	for _, tt := range tests {
		if _, err := Dataset(tt.in); !errors.Is(err, ErrNotPart10) {
			t.Errorf("%s: err = %v, want ErrNotPart10", tt.name, err)
		}
	}
}

func FuzzDataset(f *testing.F) {
	f.Add(Collection(1, Shape{1, 1, 1, 1})[0].Encode()[:2000])
	f.Add(append(make([]byte, 128), "DICM\x02\x00\x00\x00UL\x04\x00\xff\xff\xff\xff"...))
	f.Add([]byte("DICM"))
	f.Fuzz(func(t *testing.T, file []byte) {
		dataset, err := Dataset(file)
		if err == nil && !bytes.HasSuffix(file, dataset) {
			t.Fatal("the dataset is not the end of the file")
		}
	})
}
