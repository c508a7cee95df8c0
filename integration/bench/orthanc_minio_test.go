package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseFlagsOrthancOnlyTargets(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string
		wantErr error
	}{
		{args: []string{"-orthanc", "-targets", "plain,sealfs,sealfs-s3"}, want: []string{"plain", "sealfs", "sealfs-s3"}},
		{args: []string{"-orthanc", "-targets", "sealfs-s3"}, want: []string{"sealfs-s3"}},
		{args: []string{"-targets", "plain,sealfs-s3"}, wantErr: errOrthancOnlyTarget},
		{args: []string{"-orthanc", "-targets", "sealfs-s3,sealfs-s3"}},
	}
	for _, tt := range tests {
		cfg, err := parseFlags(tt.args, &strings.Builder{})
		switch {
		case tt.want == nil && err == nil:
			t.Errorf("parseFlags(%q) = %v, want an error", tt.args, cfg.targets)
		case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
			t.Errorf("parseFlags(%q): error %v, want %v", tt.args, err, tt.wantErr)
		case tt.want != nil && (err != nil || !reflect.DeepEqual(cfg.targets, tt.want)):
			t.Errorf("parseFlags(%q) = %v, %v; want %v", tt.args, cfg.targets, err, tt.want)
		}
	}
}

func TestUsesSealfs(t *testing.T) {
	for name, want := range map[string]bool{"plain": false, "sealfs": true, "sealfs-s3": true, "gocryptfs": false} {
		if got := usesSealfs(name); got != want {
			t.Errorf("usesSealfs(%q) = %v, want %v", name, got, want)
		}
	}
}
