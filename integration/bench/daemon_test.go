package main

import (
	"errors"
	"strings"
	"testing"
)

func TestStatusKiB(t *testing.T) {
	const status = "Name:\tgocryptfs\nVmPeak:\t 1300000 kB\nVmHWM:\t   75836 kB\nVmRSS:\t   70000 kB\n"
	tests := []struct {
		input   string
		field   string
		want    int64
		wantErr error
	}{
		{input: status, field: "VmHWM", want: 75836},
		{input: status, field: "VmRSS", want: 70000},
		{input: status, field: "VmSwap", wantErr: errStatusField},
		{input: "VmHWM:\t 12 MB\n", field: "VmHWM", wantErr: errors.New("not in kB")},
	}
	for _, tt := range tests {
		got, err := statusKiB(strings.NewReader(tt.input), tt.field)
		switch {
		case tt.wantErr == nil && (err != nil || got != tt.want):
			t.Errorf("statusKiB(%s) = %d, %v; want %d", tt.field, got, err, tt.want)
		case tt.wantErr != nil && err == nil:
			t.Errorf("statusKiB(%s) = %d; want an error", tt.field, got)
		case errors.Is(tt.wantErr, errStatusField) && !errors.Is(err, errStatusField):
			t.Errorf("statusKiB(%s) = %v; want errStatusField", tt.field, err)
		}
	}
}
