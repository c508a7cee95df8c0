package gcs

import (
	"errors"
	"strings"
	"testing"
)

func TestJSONEndpoint(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"127.0.0.1:4443", "http://127.0.0.1:4443/storage/v1/", false},
		{"http://127.0.0.1:4443", "http://127.0.0.1:4443/storage/v1/", false},
		{"https://gcs.example/", "https://gcs.example/storage/v1/", false},
		{"https://gcs.example/custom/v1", "https://gcs.example/custom/v1/", false},
		{"ftp://host", "", true},
		{"http://", "", true},
		{"http://user:secret@host", "", true},
	}
	for _, tt := range tests {
		got, err := jsonEndpoint(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("jsonEndpoint(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("jsonEndpoint(%q) error shows the password: %v", tt.in, err)
		}
	}
}

func TestNormalized(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		wantPrefix string
		wantErr    bool
	}{
		{"no prefix", Config{Bucket: "b", SpoolDir: "/s"}, "", false},
		{"prefix", Config{Bucket: "b", SpoolDir: "/s", Prefix: "x/y"}, "x/y/", false},
		{"prefix with slash", Config{Bucket: "b", SpoolDir: "/s", Prefix: "x/"}, "x/", false},
		{"no bucket", Config{SpoolDir: "/s"}, "", true},
		{"no spool", Config{Bucket: "b"}, "", true},
		{"bad prefix", Config{Bucket: "b", SpoolDir: "/s", Prefix: "../x"}, "", true},
		{"negative timeout", Config{Bucket: "b", SpoolDir: "/s", RequestTimeout: -1}, "", true},
	}
	for _, tt := range tests {
		got, err := tt.cfg.normalized()
		switch {
		case tt.wantErr && !errors.Is(err, errConfig):
			t.Errorf("%s: error %v, want errConfig", tt.name, err)
		case !tt.wantErr && (err != nil || got.Prefix != tt.wantPrefix || got.RequestTimeout != defaultRequestTimeout || got.Logger == nil):
			t.Errorf("%s: %+v, %v; want prefix %q and defaults", tt.name, got, err, tt.wantPrefix)
		}
	}
}
