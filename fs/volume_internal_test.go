package fs

import (
	"bytes"
	"strings"
	"testing"
)

const testVolumeID = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"

func TestParseVolume(t *testing.T) {
	kcv := strings.Repeat("ab", 16)
	cases := []struct {
		name, data string
		wantErr    string // "" = valid
		wantChecks int
	}{
		{"without key check values", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":65536}`, "", 0},
		{"with two", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"key_check_values":{"1":"` + kcv + `","4294967295":"` + kcv + `"}}`, "", 2},
		{"id too large", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"key_check_values":{"4294967296":"` + kcv + `"}}`, "key id", 0},
		{"id with leading zero", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"key_check_values":{"01":"` + kcv + `"}}`, "key id", 0},
		{"negative id", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"key_check_values":{"-1":"` + kcv + `"}}`, "key id", 0},
		{"short value", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"key_check_values":{"1":"abcd"}}`, "hex digits", 0},
		{"not hex", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"key_check_values":{"1":"` + strings.Repeat("zz", 16) + `"}}`, "hex digits", 0},
		{"value not a string", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"key_check_values":{"1":5}}`, "cannot unmarshal", 0},
		{"chunk size not a power of two", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":5000}`, "chunk size", 0},
		{"unknown field", `{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"kcv":{}}`, "unknown field", 0},
		{"other format", `{"format":"sealfs/2","volume_id":"` + testVolumeID + `","chunk_size":4096}`, "unsupported format", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := parseVolume([]byte(c.data))
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(v.KeyChecks) != c.wantChecks {
					t.Errorf("%d key check values, want %d", len(v.KeyChecks), c.wantChecks)
				}
				if again, err := parseVolume(v.marshal()); err != nil || again.ID != v.ID || len(again.KeyChecks) != len(v.KeyChecks) {
					t.Errorf("marshal does not round-trip: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("err = %v, want one mentioning %q", err, c.wantErr)
			}
		})
	}
}

// FuzzParseVolume: the volume file comes from the store, which an
// attacker may write. Parsing never panics, and whatever parses
// marshals back to a file that parses to the same volume.
func FuzzParseVolume(f *testing.F) {
	f.Add([]byte(`{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":65536}`))
	f.Add([]byte(`{"format":"sealfs/1","volume_id":"` + testVolumeID + `","chunk_size":4096,"key_check_values":{"1":"` + strings.Repeat("01", 16) + `"}}`))
	f.Add([]byte(`{"key_check_values":{"":""}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseVolume(data)
		if err != nil {
			return
		}
		out := v.marshal()
		again, err := parseVolume(out)
		if err != nil {
			t.Fatalf("marshalled volume does not parse: %v\n%s", err, out)
		}
		if again.ID != v.ID || again.ChunkSize != v.ChunkSize || len(again.KeyChecks) != len(v.KeyChecks) {
			t.Fatalf("round trip changed the volume: %+v -> %+v", v, again)
		}
		for id, kcv := range v.KeyChecks {
			if again.KeyChecks[id] != kcv {
				t.Fatalf("key check value of id %d changed", id)
			}
		}
		if !bytes.Equal(again.marshal(), out) {
			t.Fatalf("marshal is not canonical")
		}
	})
}
