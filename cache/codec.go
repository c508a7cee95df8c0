package cache

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/sealfs/sealfs/remote"
)

// Cached values are read back from an unauthenticated store, so they are
// decoded strictly and any failure is a miss. Layout of every value:
//
//	format version (1) ‖ kind (1) ‖ expiry, Unix nanoseconds (8, big-endian) ‖ payload
//
// Payloads (varints as in encoding/binary):
//
//	attr:     flags ‖ size varint ‖ [mtime] ‖ version
//	negative: empty
//	listing:  count uvarint ‖ count × (flags ‖ key ‖ size varint ‖ [mtime] ‖ version)
//
// where a string is uvarint length ‖ bytes and [mtime] (present when flag
// hasModTime is set) is Unix seconds varint ‖ nanoseconds uvarint.
const (
	valueFormat = 1

	kindAttr     = 'a'
	kindNegative = 'n'
	kindListing  = 'l'

	flagDir        = 1 << 0 // attr: a directory; listing entry: a prefix
	flagHasModTime = 1 << 1
	knownFlags     = flagDir | flagHasModTime

	valueHeaderSize = 2 + 8
	// minEntrySize is the smallest encoded listing entry: flags, empty key,
	// size 0, empty version.
	minEntrySize = 4
)

// errBadValue means a cached value does not decode; callers treat it as a miss.
var errBadValue = errors.New("cache: undecodable value")

// appendHeader starts a value of kind expiring at expiry.
func appendHeader(b []byte, kind byte, expiry time.Time) []byte {
	b = append(b, valueFormat, kind)
	return binary.BigEndian.AppendUint64(b, uint64(expiry.UnixNano()))
}

// encodeAttr encodes a.
func encodeAttr(a Attr, expiry time.Time) []byte {
	b := appendHeader(make([]byte, 0, 48+len(a.Version)), kindAttr, expiry)
	return appendInfo(b, a.IsDir, a.Size, a.ModTime, a.Version)
}

// encodeNegative encodes a negative entry.
func encodeNegative(expiry time.Time) []byte {
	return appendHeader(make([]byte, 0, valueHeaderSize), kindNegative, expiry)
}

// encodeListing encodes a directory listing.
func encodeListing(entries []remote.Entry, expiry time.Time) []byte {
	size := valueHeaderSize + binary.MaxVarintLen64
	for _, e := range entries {
		size += 40 + len(e.Key) + len(e.Version)
	}
	b := appendHeader(make([]byte, 0, size), kindListing, expiry)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for _, e := range entries {
		b = appendInfoWithKey(b, e)
	}
	return b
}

// appendInfoWithKey encodes one listing entry.
func appendInfoWithKey(b []byte, e remote.Entry) []byte {
	flags := byte(0)
	if e.IsPrefix {
		flags |= flagDir
	}
	if !e.ModTime.IsZero() {
		flags |= flagHasModTime
	}
	b = append(b, flags)
	b = appendString(b, e.Key)
	return appendInfoBody(b, flags, e.Size, e.ModTime, e.Version)
}

// appendInfo encodes flags, size, mtime and version.
func appendInfo(b []byte, isDir bool, size int64, mtime time.Time, version string) []byte {
	flags := byte(0)
	if isDir {
		flags |= flagDir
	}
	if !mtime.IsZero() {
		flags |= flagHasModTime
	}
	b = append(b, flags)
	return appendInfoBody(b, flags, size, mtime, version)
}

// appendInfoBody encodes what follows the flags (and key) of an attr or entry.
func appendInfoBody(b []byte, flags byte, size int64, mtime time.Time, version string) []byte {
	b = binary.AppendVarint(b, size)
	if flags&flagHasModTime != 0 {
		b = binary.AppendVarint(b, mtime.Unix())
		b = binary.AppendUvarint(b, uint64(mtime.Nanosecond()))
	}
	return appendString(b, version)
}

// appendString encodes s as uvarint length ‖ bytes.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads a value, remembering the first failure.
type decoder struct {
	b   []byte
	bad bool
}

// header checks the format and kind and returns the expiry.
func (d *decoder) header(kind byte) time.Time {
	if len(d.b) < valueHeaderSize || d.b[0] != valueFormat || d.b[1] != kind {
		d.bad = true
		return time.Time{}
	}
	expiry := int64(binary.BigEndian.Uint64(d.b[2:]))
	d.b = d.b[valueHeaderSize:]
	return time.Unix(0, expiry)
}

func (d *decoder) byte() byte {
	if d.bad || len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	if d.bad {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.bad {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// flags reads a flags byte, refusing unknown bits.
func (d *decoder) flags() byte {
	f := d.byte()
	if f&^knownFlags != 0 {
		d.bad = true
	}
	return f
}

// infoBody reads size, mtime and version after flags.
func (d *decoder) infoBody(flags byte) (size int64, mtime time.Time, version string) {
	size = d.varint()
	if size < 0 {
		d.bad = true
	}
	if flags&flagHasModTime != 0 {
		sec := d.varint()
		nsec := d.uvarint()
		if nsec >= uint64(time.Second) {
			d.bad = true
		}
		mtime = time.Unix(sec, int64(nsec))
	}
	version = d.string()
	return size, mtime, version
}

// done reports whether the whole value was consumed without failure.
func (d *decoder) done() bool { return !d.bad && len(d.b) == 0 }

// decodeAttr decodes an attr value.
func decodeAttr(b []byte) (Attr, time.Time, error) {
	d := decoder{b: b}
	expiry := d.header(kindAttr)
	flags := d.flags()
	size, mtime, version := d.infoBody(flags)
	if !d.done() {
		return Attr{}, time.Time{}, errBadValue
	}
	return Attr{Size: size, Version: version, ModTime: mtime, IsDir: flags&flagDir != 0}, expiry, nil
}

// decodeNegative decodes a negative entry.
func decodeNegative(b []byte) (time.Time, error) {
	d := decoder{b: b}
	expiry := d.header(kindNegative)
	if !d.done() {
		return time.Time{}, errBadValue
	}
	return expiry, nil
}

// decodeListing decodes a listing value.
func decodeListing(b []byte) ([]remote.Entry, time.Time, error) {
	d := decoder{b: b}
	expiry := d.header(kindListing)
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)/minEntrySize) || n > math.MaxInt32 {
		return nil, time.Time{}, errBadValue
	}
	entries := make([]remote.Entry, 0, n)
	for range n {
		flags := d.flags()
		key := d.string()
		size, mtime, version := d.infoBody(flags)
		if d.bad {
			return nil, time.Time{}, errBadValue
		}
		entries = append(entries, remote.Entry{
			Info:     remote.Info{Key: key, Size: size, Version: version, ModTime: mtime},
			IsPrefix: flags&flagDir != 0,
		})
	}
	if !d.done() {
		return nil, time.Time{}, errBadValue
	}
	return entries, expiry, nil
}
