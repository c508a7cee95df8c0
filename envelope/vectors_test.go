package envelope

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

var updateVectors = flag.Bool("update", false, "regenerate testdata/vectors/*.json")

// vectorDir holds the known-answer vectors, one JSON file each.
const vectorDir = "testdata/vectors"

// knownVector is one known-answer vector as stored in JSON. Byte strings are
// lower-case hex. Randomness comes from counterStream(RandomSeed), drawn in
// the order DEK, body salt, wrap salt; a rewrap draws only the new wrap salt
// from counterStream(RewrapSeed).
type knownVector struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	RandomSeed  string `json:"random_seed"`
	RewrapOf    string `json:"rewrap_of,omitempty"`
	RewrapSeed  string `json:"rewrap_seed,omitempty"`
	KEKID       uint32 `json:"kek_id"`
	KEK         string `json:"kek"`
	Volume      string `json:"volume"`
	Path        string `json:"path"`
	ChunkSize   int    `json:"chunk_size"`
	Plaintext   string `json:"plaintext"`
	DEK         string `json:"dek"`
	BodySalt    string `json:"body_salt"`
	WrapSalt    string `json:"wrap_salt"`
	KWrap       string `json:"k_wrap"`
	KCV         string `json:"kcv"`
	KBody       string `json:"k_body"`
	ICV         string `json:"icv"`
	Object      string `json:"object"`
}

// vectorSpec is how each committed vector is made.
type vectorSpec struct {
	name, description string
	chunkSize         int
	plaintext         []byte
	rewrapOf          string // name of the vector whose header is rewrapped to KEK 2
}

func vectorSpecs() []vectorSpec {
	return []vectorSpec{
		{name: "empty", description: "empty plaintext: one empty final chunk (tag only)", chunkSize: MinChunkSize, plaintext: []byte{}},
		{name: "plain-text", description: `the 18-byte ASCII plaintext "Plain text message" in one chunk`, chunkSize: MinChunkSize, plaintext: []byte("Plain text message")},
		{name: "three-chunks", description: "9000 bytes, byte i = i mod 251, in chunks of 4096, 4096 and 808 bytes", chunkSize: MinChunkSize, plaintext: pattern(9000)},
		{name: "rewrapped-kek2", description: "the plain-text vector with its key slot rewrapped from KEK 1 to KEK 2", rewrapOf: "plain-text"},
	}
}

// vectorSeed is the randomness seed of a vector; rewrapSeed that of its rewrap.
func vectorSeed(name string) string { return "sealfs test vector/" + name }
func rewrapSeed(name string) string { return "sealfs test vector/" + name + "/rewrap" }

// buildVectors makes every vector from its spec and the deterministic streams.
func buildVectors(t *testing.T) []knownVector {
	t.Helper()
	id := vectorIdentity()
	ring1 := ringWith(t, nil, kek1Current)
	ring12 := ringWith(t, nil, kek1Old, kek2Current)
	built := map[string]knownVector{}
	var out []knownVector
	for _, s := range vectorSpecs() {
		v := knownVector{Name: s.name, Description: s.description, Volume: hex.EncodeToString(id.Volume[:]), Path: id.Path}
		var obj []byte
		if s.rewrapOf == "" {
			v.RandomSeed, v.KEKID, v.KEK, v.ChunkSize = vectorSeed(s.name), 1, hex.EncodeToString(kekBytes(0x00)), s.chunkSize
			v.Plaintext = hex.EncodeToString(s.plaintext)
			obj = sealObject(t, ring1, id, s.chunkSize, s.plaintext, sealHooks{rand: newCounterStream(v.RandomSeed)})
		} else {
			src := built[s.rewrapOf]
			srcObj := mustHex(t, src.Object)
			v.RandomSeed, v.RewrapOf, v.RewrapSeed = src.RandomSeed, s.rewrapOf, rewrapSeed(s.name)
			v.KEKID, v.KEK, v.ChunkSize, v.Plaintext = 2, hex.EncodeToString(kekBytes(0x20)), src.ChunkSize, src.Plaintext
			header, err := rewrap(srcObj[:HeaderSize], ring12, id, sealHooks{rand: newCounterStream(v.RewrapSeed)})
			if err != nil {
				t.Fatal(err)
			}
			obj = append(header, srcObj[HeaderSize:]...)
		}
		v.Object = hex.EncodeToString(obj)
		fillIntermediates(t, &v, obj, ring12, id)
		built[s.name] = v
		out = append(out, v)
	}
	return out
}

// fillIntermediates recomputes the vector's keys and check values from the
// object's header and the KEK, for implementers checking step by step.
func fillIntermediates(t *testing.T, v *knownVector, obj []byte, ring *keyring.Keyring, id Identity) {
	t.Helper()
	h, err := parseHeader(obj)
	if err != nil {
		t.Fatal(err)
	}
	kek, err := ring.ForDecrypt(h.kekID(), id.String())
	if err != nil {
		t.Fatal(err)
	}
	kWrap, _, err := deriveWrapKey(kek, h.wrapSalt(), h.kekIDBytes())
	if err != nil {
		t.Fatal(err)
	}
	dek, kBody, err := unlockKeySlot(h, ring, id)
	if err != nil {
		t.Fatal(err)
	}
	v.DEK, v.BodySalt, v.WrapSalt = hex.EncodeToString(dek), hex.EncodeToString(h.bodySalt()), hex.EncodeToString(h.wrapSalt())
	v.KWrap, v.KCV = hex.EncodeToString(kWrap), hex.EncodeToString(h.kcv())
	v.KBody, v.ICV = hex.EncodeToString(kBody), hex.EncodeToString(h.icv())
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadVectors reads the committed vectors, in vectorSpecs order.
func loadVectors(tb testing.TB) []knownVector {
	tb.Helper()
	var out []knownVector
	for _, s := range vectorSpecs() {
		data, err := os.ReadFile(filepath.Join(vectorDir, s.name+".json"))
		if err != nil {
			tb.Fatalf("%v (run go test -run TestKnownAnswerVectors -update to create)", err)
		}
		var v knownVector
		if err := json.Unmarshal(data, &v); err != nil {
			tb.Fatalf("%s: %v", s.name, err)
		}
		out = append(out, v)
	}
	return out
}

func TestKnownAnswerVectors(t *testing.T) {
	built := buildVectors(t)
	if *updateVectors {
		for _, v := range built {
			data, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(vectorDir, v.Name+".json"), append(data, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, want := range loadVectors(t) {
		t.Run(want.Name, func(t *testing.T) {
			// (1) The committed object opens, under only the KEK it names, to the committed plaintext.
			kek, err := keyring.NewKEK(want.KEKID, keyring.Current, mustHex(t, want.KEK), "vector")
			if err != nil {
				t.Fatal(err)
			}
			ring, err := keyring.New(nil, kek)
			if err != nil {
				t.Fatal(err)
			}
			defer ring.Close()
			var id Identity
			copy(id.Volume[:], mustHex(t, want.Volume))
			id.Path = want.Path
			obj, plain := mustHex(t, want.Object), mustHex(t, want.Plaintext)
			r, err := openObject(obj, ring, id)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Verify(); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, r.Size())
			if n, err := r.ReadAt(got, 0); n != len(plain) || (err != nil && len(plain) > 0) || !bytes.Equal(got, plain) {
				t.Fatalf("ReadAt = %d, %v; plaintext mismatch", n, err)
			}
			if r.ChunkSize() != want.ChunkSize || r.KEKID() != want.KEKID {
				t.Fatalf("ChunkSize, KEKID = %d, %d; want %d, %d", r.ChunkSize(), r.KEKID(), want.ChunkSize, want.KEKID)
			}
			// (2) The writer (and Rewrap) with the same randomness reproduce it byte for byte.
			if built[i] != want {
				t.Fatalf("regenerated vector differs from %s/%s.json (run with -update only if the format change is intended)", vectorDir, want.Name)
			}
		})
	}
	// The rewrap changes only the key slot.
	vs := loadVectors(t)
	orig, rewrapped := mustHex(t, vs[1].Object), mustHex(t, vs[3].Object)
	if !bytes.Equal(orig[:offKEKID], rewrapped[:offKEKID]) || !bytes.Equal(orig[offICV:], rewrapped[offICV:]) || bytes.Equal(orig, rewrapped) {
		t.Fatal("rewrapped vector differs from its source outside the key slot, or not at all")
	}
}
