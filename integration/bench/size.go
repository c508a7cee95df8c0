package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// errBadSize reports a size flag that is not a whole number of bytes with an
// optional unit.
var errBadSize = errors.New("bad size")

// sizeUnits maps each accepted unit suffix to its number of bytes.
var sizeUnits = map[string]int64{
	"":    1,
	"B":   1,
	"KiB": 1 << 10,
	"MiB": 1 << 20,
	"GiB": 1 << 30,
	"TiB": 1 << 40,
	"kB":  1e3,
	"KB":  1e3,
	"MB":  1e6,
	"GB":  1e9,
	"TB":  1e12,
}

// byteSize is a flag.Value holding a number of bytes, written as "537600",
// "64KiB", "1GiB" or "10MB".
type byteSize int64

// String formats the size with the largest binary unit that divides it.
func (s *byteSize) String() string {
	return formatSize(int64(*s))
}

// Set parses a size such as "1GiB".
func (s *byteSize) Set(text string) error {
	n, err := parseSize(text)
	if err != nil {
		return err
	}
	*s = byteSize(n)
	return nil
}

// parseSize parses a whole, non-negative number of bytes with an optional
// unit from sizeUnits, refusing values that overflow int64.
func parseSize(text string) (int64, error) {
	trimmed := strings.TrimSpace(text)
	digits := len(trimmed) - len(strings.TrimLeft(trimmed, "0123456789"))
	if digits == 0 {
		return 0, fmt.Errorf("%w %q: want a whole number of bytes, such as 537600 or 1GiB", errBadSize, text)
	}
	unit, ok := sizeUnits[strings.TrimSpace(trimmed[digits:])]
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown unit (use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB)", errBadSize, text)
	}
	n, err := strconv.ParseInt(trimmed[:digits], 10, 64)
	if err != nil || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%w %q: too large", errBadSize, text)
	}
	return n * unit, nil
}

// formatSize writes n with the largest binary unit that divides it exactly.
func formatSize(n int64) string {
	for _, unit := range []string{"TiB", "GiB", "MiB", "KiB"} {
		if size := sizeUnits[unit]; n != 0 && n%size == 0 {
			return strconv.FormatInt(n/size, 10) + unit
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
