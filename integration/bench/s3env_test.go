package main

import (
	"slices"
	"testing"
)

func TestScrubbedEnv(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"nothing to scrub", []string{"PATH=/bin", "HOME=/root"}, []string{"PATH=/bin", "HOME=/root"}},
		{"rclone flags", []string{"RCLONE_CONFIG=/x", "PATH=/bin", "RCLONE_VERBOSE=1"}, []string{"PATH=/bin"}},
		{"aws", []string{"AWS_CA_BUNDLE=/ca.pem", "AWS_ACCESS_KEY_ID=k", "HOME=/root"}, []string{"HOME=/root"}},
		{"only prefixes", []string{"MY_AWS_X=1", "XRCLONE_Y=2"}, []string{"MY_AWS_X=1", "XRCLONE_Y=2"}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scrubbedEnv(tt.environ); !slices.Equal(got, tt.want) {
				t.Errorf("scrubbedEnv(%q) = %q, want %q", tt.environ, got, tt.want)
			}
		})
	}
}

func TestWithoutScrubbed(t *testing.T) {
	tests := []struct {
		name     string
		environ  []string
		wantArgs []string
	}{
		{"clean", []string{"PATH=/bin"}, []string{"--", "rclone", "mount"}},
		{"unsets each", []string{"AWS_CA_BUNDLE=/c", "PATH=/bin", "RCLONE_X=1"},
			[]string{"-u", "AWS_CA_BUNDLE", "-u", "RCLONE_X", "--", "rclone", "mount"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			command, args := withoutScrubbed(tt.environ, "rclone", "mount")
			if command != "env" || !slices.Equal(args, tt.wantArgs) {
				t.Errorf("withoutScrubbed = %s %q, want env %q", command, args, tt.wantArgs)
			}
		})
	}
}
