package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// errMalformedMountinfo reports a line of /proc/self/mountinfo that does not
// have the layout described in proc(5).
var errMalformedMountinfo = errors.New("malformed mountinfo line")

// maxMountinfoLine bounds one mountinfo line; real lines are far shorter.
const maxMountinfoLine = 1 << 20

// mountEntry is the part of one mountinfo line that the helpers need.
type mountEntry struct {
	mountPoint string // absolute path, unescaped
	fsType     string // for example "ext4" or "fuse.sealfs"
	source     string // mount source, unescaped
}

// parseMountinfo reads the format of /proc/<pid>/mountinfo (proc(5)):
//
//	ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
//
// Fields are separated by single spaces; spaces, tabs, newlines and
// backslashes inside a field are written as \ooo octal escapes.
func parseMountinfo(r io.Reader) ([]mountEntry, error) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 4096), maxMountinfoLine)
	var entries []mountEntry
	for lineNumber := 1; scanner.Scan(); lineNumber++ {
		entry, err := parseMountinfoLine(scanner.Text())
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", lineNumber, err)
		}
		entries = append(entries, entry)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("reading mountinfo: %w", err)
	}
	return entries, nil
}

// parseMountinfoLine parses one line of mountinfo.
func parseMountinfoLine(line string) (mountEntry, error) {
	fields := strings.Split(line, " ")
	const fixedBefore = 6 // ID, parent, major:minor, root, mount point, options
	separator := -1
	for i := fixedBefore; i < len(fields); i++ {
		if fields[i] == "-" {
			separator = i
			break
		}
	}
	if separator < 0 {
		return mountEntry{}, fmt.Errorf("%w: no \" - \" separator after the sixth field", errMalformedMountinfo)
	}
	after := fields[separator+1:]
	if len(after) != 3 {
		return mountEntry{}, fmt.Errorf("%w: %d fields after the separator, want 3", errMalformedMountinfo, len(after))
	}
	mountPoint, err := unescapeMountinfo(fields[4])
	if err != nil {
		return mountEntry{}, fmt.Errorf("mount point: %w", err)
	}
	if !strings.HasPrefix(mountPoint, "/") {
		return mountEntry{}, fmt.Errorf("%w: mount point is not absolute", errMalformedMountinfo)
	}
	if after[0] == "" {
		return mountEntry{}, fmt.Errorf("%w: empty filesystem type", errMalformedMountinfo)
	}
	fsType, err := unescapeMountinfo(after[0])
	if err != nil {
		return mountEntry{}, fmt.Errorf("filesystem type: %w", err)
	}
	source, err := unescapeMountinfo(after[1])
	if err != nil {
		return mountEntry{}, fmt.Errorf("source: %w", err)
	}
	return mountEntry{mountPoint: mountPoint, fsType: fsType, source: source}, nil
}

// unescapeMountinfo decodes the kernel's \ooo octal escapes.
func unescapeMountinfo(field string) (string, error) {
	if !strings.Contains(field, `\`) {
		return field, nil
	}
	var b strings.Builder
	for i := 0; i < len(field); i++ {
		if field[i] != '\\' {
			b.WriteByte(field[i])
			continue
		}
		if i+4 > len(field) {
			return "", fmt.Errorf("%w: truncated escape in %q", errMalformedMountinfo, field)
		}
		value := 0
		for _, digit := range []byte(field[i+1 : i+4]) {
			if digit < '0' || digit > '7' {
				return "", fmt.Errorf("%w: bad escape in %q", errMalformedMountinfo, field)
			}
			value = value*8 + int(digit-'0')
		}
		if value > 0xff {
			return "", fmt.Errorf("%w: escape out of range in %q", errMalformedMountinfo, field)
		}
		b.WriteByte(byte(value))
		i += 3
	}
	return b.String(), nil
}
