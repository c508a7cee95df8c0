package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "plain,sealfs,gocryptfs", want: []string{"plain", "sealfs", "gocryptfs"}},
		{in: "gocryptfs, plain", want: []string{"gocryptfs", "plain"}},
		{in: "sealfs", want: []string{"sealfs"}},
		{in: "plain,plain", wantErr: true},
		{in: "ext4", wantErr: true},
		{in: "", wantErr: true},
		{in: "plain,", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseTargets(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseTargets(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		check   func(config) bool
		wantErr bool
	}{
		{args: nil, check: func(c config) bool {
			return c.seqSize == 1<<30 && c.files == 300 && c.fileSize == 537600 && c.reps == 3 &&
				reflect.DeepEqual(c.targets, knownTargets)
		}},
		{args: []string{"-targets", "plain,gocryptfs", "-seq-size", "8MiB", "-files", "20", "-file-size", "64KiB", "-reps", "1"},
			check: func(c config) bool {
				return c.seqSize == 8<<20 && c.files == 20 && c.fileSize == 64<<10 && c.reps == 1 && len(c.targets) == 2
			}},
		{args: []string{"-files", "0"}, wantErr: true},
		{args: []string{"-reps", "0"}, wantErr: true},
		{args: []string{"-seq-size", "0"}, wantErr: true},
		{args: []string{"-file-size", "2GiB"}, wantErr: true},
		{args: []string{"-seq-size", "lots"}, wantErr: true},
		{args: []string{"-targets", "zfs"}, wantErr: true},
		{args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		cfg, err := parseFlags(tt.args, &strings.Builder{})
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseFlags(%q) succeeded, want an error", tt.args)
			}
			continue
		}
		if err != nil || !tt.check(cfg) {
			t.Errorf("parseFlags(%q) = %+v, %v", tt.args, cfg, err)
		}
	}
}
