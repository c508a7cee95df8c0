package orthanca1

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// vector is one known-answer object from testdata (see testdata/README.md).
type vector struct {
	file      string
	keyID     uint32
	keyFile   string
	plaintext string
}

var vectors = []vector{
	{"blob1.hex", 1, "kek1.key", "Plain text message"},
	{"blob2.hex", 0x01020304, "kek1.key", "Plain text message"},
	{"blob_empty.hex", 1, "kek1.key", ""},
	{"vector_fixed.hex", 1, "kek1.key", "Plain text message"},
	{"vector_fixed_k2.hex", 2, "kek2.key", "Plain text message"},
	{"vector_fixed_empty.hex", 1, "kek1.key", ""},
}

// readTestdata returns the contents of testdata/name.
func readTestdata(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// loadHex decodes a hex file, ignoring whitespace and newlines.
func loadHex(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(readTestdata(tb, name)), ""))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return b
}

// loadKey decodes a base64 key file.
func loadKey(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(readTestdata(tb, name)))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return b
}

// newKEK builds a KEK from a testdata key file.
func newKEK(tb testing.TB, id uint32, state keyring.State, keyFile string) *keyring.KEK {
	tb.Helper()
	k, err := keyring.NewKEK(id, state, loadKey(tb, keyFile), keyFile)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// newRing builds a keyring holding id → key file, all decrypt-only, reporting to audit.
func newRing(tb testing.TB, audit keyring.Auditor, keys map[uint32]string) *keyring.Keyring {
	tb.Helper()
	keks := make([]*keyring.KEK, 0, len(keys))
	for id, file := range keys {
		keks = append(keks, newKEK(tb, id, keyring.DecryptOnly, file))
	}
	r, err := keyring.New(audit, keks...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// standardKeys maps every key id used by the vectors to its KEK.
var standardKeys = map[uint32]string{1: "kek1.key", 2: "kek2.key", 0x01020304: "kek1.key"}
