package main

import (
	"errors"
	"testing"
)

func TestParseRcloneStats(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    rcloneStats
		wantErr bool
	}{
		{"typical", `{"bytes":1024,"errors":0,"transfers":3,"checks":0,"elapsedTime":1.5}`, rcloneStats{Transfers: 3}, false},
		{"errors", `{"errors":2,"transfers":1}`, rcloneStats{Transfers: 1, Errors: 2}, false},
		{"empty object", `{}`, rcloneStats{}, false},
		{"not json", `<html>`, rcloneStats{}, true},
		{"negative", `{"transfers":-1}`, rcloneStats{}, true},
		{"wrong type", `{"transfers":"3"}`, rcloneStats{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRcloneStats([]byte(tt.body))
			if tt.wantErr {
				if !errors.Is(err, errRcloneStats) {
					t.Errorf("parseRcloneStats(%s) error = %v, want errRcloneStats", tt.body, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseRcloneStats(%s) = %+v, %v, want %+v", tt.body, got, err, tt.want)
			}
		})
	}
}

func FuzzParseRcloneStats(f *testing.F) {
	f.Add([]byte(`{"bytes":1024,"errors":0,"transfers":3}`))
	f.Add([]byte(`{"transfers":-1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := parseRcloneStats(body)
		if err != nil {
			if !errors.Is(err, errRcloneStats) {
				t.Fatalf("error %v does not wrap errRcloneStats", err)
			}
			return
		}
		if s.Transfers < 0 || s.Errors < 0 {
			t.Fatalf("negative counters accepted: %+v", s)
		}
	})
}
