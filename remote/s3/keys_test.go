package s3

import (
	"testing"
)

func TestConfigNormalized(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		prefix  string
		wantErr bool
	}{
		{"defaults", Config{Bucket: "b", SpoolDir: "/tmp"}, "", false},
		{"prefix gets a slash", Config{Bucket: "b", SpoolDir: "/tmp", Prefix: "p/q"}, "p/q/", false},
		{"prefix keeps its slash", Config{Bucket: "b", SpoolDir: "/tmp", Prefix: "p/"}, "p/", false},
		{"no bucket", Config{SpoolDir: "/tmp"}, "", true},
		{"no spool", Config{Bucket: "b"}, "", true},
		{"bad prefix", Config{Bucket: "b", SpoolDir: "/tmp", Prefix: "../x"}, "", true},
	}
	for _, tt := range tests {
		got, err := tt.cfg.normalized()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v, wantErr %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got.Prefix != tt.prefix || got.Region != defaultRegion || got.RequestTimeout != defaultRequestTimeout || got.Logger == nil {
			t.Errorf("%s: normalized = %+v", tt.name, got)
		}
	}
}
