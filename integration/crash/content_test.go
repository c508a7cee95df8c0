package crash

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"regexp"
)

// The sizes of the files the writers create.
const (
	minFileSize = 64 << 10
	maxFileSize = 600 << 10
)

// orthancPath matches Orthanc's storage layout: xx/yy/<uuid>, where xx and
// yy are the uuid's first four hex digits.
var orthancPath = regexp.MustCompile(`^([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$`)

// newFileName draws a version-4 uuid from r and returns the file's path
// relative to the mount, in Orthanc's layout.
func newFileName(r *rand.Rand) string {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], r.Uint64())
	binary.LittleEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	id := fmt.Sprintf("%x-%x-%x-%x-%x", u[:4], u[4:6], u[6:8], u[8:10], u[10:])
	return id[:2] + "/" + id[2:4] + "/" + id
}

// isOrthancName reports whether rel is a path that newFileName makes.
func isOrthancName(rel string) bool {
	m := orthancPath.FindStringSubmatch(rel)
	return m != nil && m[1]+m[2] == m[3][:4]
}

// fileContent returns the bytes a writer puts in the file at rel: a length
// and pseudo-random bytes that depend on the name alone, so that any file
// found in the mount, acknowledged or not, can be checked.
func fileContent(rel string) []byte {
	seed := sha256.Sum256([]byte("sealfs crash test content\x00" + rel))
	size := minFileSize + int(binary.LittleEndian.Uint64(seed[:8])%(maxFileSize-minFileSize+1))
	data := make([]byte, size)
	_, _ = rand.NewChaCha8(seed).Read(data) // never fails
	return data
}

// verdict is what a file read back without error holds, compared with what
// its writer meant to write.
type verdict int

const (
	// intact: the whole intended content.
	intact verdict = iota
	// empty: the file exists with no bytes (created, never written back).
	empty
	// truncated: a strict, non-empty prefix of the intended content.
	truncated
	// corrupt: bytes that were never written, or more of them.
	corrupt
)

// String names the verdict in reports.
func (v verdict) String() string {
	switch v {
	case intact:
		return "intact"
	case empty:
		return "empty"
	case truncated:
		return "truncated"
	case corrupt:
		return "corrupt"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// classify compares the bytes read back, got, with the intended content.
func classify(got, want []byte) verdict {
	switch {
	case bytes.Equal(got, want):
		return intact
	case len(got) == 0:
		return empty
	case len(got) < len(want) && bytes.Equal(got, want[:len(got)]):
		return truncated
	}
	return corrupt
}

// firstDifference returns the offset of the first byte where got and want
// differ (the shorter length when one is a prefix of the other).
func firstDifference(got, want []byte) int {
	n := min(len(got), len(want))
	for i := range n {
		if got[i] != want[i] {
			return i
		}
	}
	return n
}
