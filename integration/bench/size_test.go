package main

import (
	"errors"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "537600", want: 537600},
		{in: "0", want: 0},
		{in: "1GiB", want: 1 << 30},
		{in: "1 GiB", want: 1 << 30},
		{in: " 64KiB ", want: 64 << 10},
		{in: "3MiB", want: 3 << 20},
		{in: "2TiB", want: 2 << 40},
		{in: "10MB", want: 10_000_000},
		{in: "5kB", want: 5000},
		{in: "5KB", want: 5000},
		{in: "7B", want: 7},
		{in: "8388607TiB", want: 8388607 << 40},
		{in: "8388608TiB", wantErr: true},
		{in: "9223372036854775808", wantErr: true},
		{in: "", wantErr: true},
		{in: "GiB", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "1.5GiB", wantErr: true},
		{in: "1gib", wantErr: true},
		{in: "1 G", wantErr: true},
		{in: "0x10", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if tt.wantErr {
			if !errors.Is(err, errBadSize) {
				t.Errorf("parseSize(%q) = %d, %v; want errBadSize", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{in: 0, want: "0B"},
		{in: 537600, want: "525KiB"},
		{in: 537601, want: "537601B"},
		{in: 1 << 30, want: "1GiB"},
		{in: 3 << 20, want: "3MiB"},
		{in: 10_000_000, want: "10000000B"},
	}
	for _, tt := range tests {
		if got := formatSize(tt.in); got != tt.want {
			t.Errorf("formatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, seed := range []string{"537600", "1GiB", " 64 KiB", "10MB", "", "-1", "99999999999999999999TiB"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, err := parseSize(text)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d, negative", text, n)
		}
		again, err := parseSize(formatSize(n))
		if err != nil || again != n {
			t.Fatalf("parseSize(formatSize(%d)) = %d, %v", n, again, err)
		}
	})
}
