package main

import (
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestModeSettings(t *testing.T) {
	cases := []struct {
		name                  string
		json                  string
		wantErr               string
		file, dir, umask      uint32
		wantModesErr, wantBad bool
	}{
		{name: "defaults", json: `{}`, file: 0o600, dir: 0o700},
		{name: "defaults with a group", json: `{"gid": "orthanc"}`, file: 0o640, dir: 0o750},
		{name: "explicit", json: `{"gid": "g", "file_mode": "0604", "dir_mode": "711", "umask": "077"}`, file: 0o604, dir: 0o711, umask: 0o077},
		{name: "umask 0 is explicit and valid", json: `{"umask": "0"}`, file: 0o600, dir: 0o700},
		{name: "number, not string", json: `{"file_mode": 640}`, wantErr: "octal", wantBad: true},
		{name: "set-uid bit", json: `{"file_mode": "4755"}`, wantErr: "octal", wantBad: true},
		{name: "sticky bit", json: `{"dir_mode": "1777"}`, wantErr: "octal", wantBad: true},
		{name: "not octal", json: `{"umask": "0o77"}`, wantErr: "octal", wantBad: true},
		{name: "digit 8", json: `{"file_mode": "0680"}`, wantErr: "octal", wantBad: true},
		{name: "too long", json: `{"file_mode": "00640"}`, wantErr: "octal", wantBad: true},
		{name: "empty", json: `{"dir_mode": ""}`, wantErr: "octal", wantBad: true},
		{name: "negative", json: `{"umask": "-1"}`, wantErr: "octal", wantBad: true},
		{name: "file mode 0000", json: `{"file_mode": "0000"}`, wantModesErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(c.json))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
				}
				if c.wantBad && !errors.Is(err, errBadMode) {
					t.Errorf("err = %v, want errBadMode", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			file, dir, umask, err := cfg.modes()
			if c.wantModesErr {
				if !errors.Is(err, errBadMode) {
					t.Errorf("modes err = %v, want errBadMode", err)
				}
				return
			}
			if err != nil || file != c.file || dir != c.dir || umask != c.umask {
				t.Errorf("modes = %#o %#o %#o %v, want %#o %#o %#o", file, dir, umask, err, c.file, c.dir, c.umask)
			}
		})
	}
}

func TestModeFlags(t *testing.T) {
	cases := []struct {
		name             string
		args             []string
		wantErr          string
		file, dir, umask uint32
	}{
		{name: "flags win over the config", args: []string{"--file-mode", "0660", "--dir-mode", "0770", "--umask", "007"}, file: 0o660, dir: 0o770, umask: 0o007},
		{name: "config only", args: nil, file: 0o640, dir: 0o700, umask: 0o022},
		{name: "bad flag", args: []string{"--umask", "0800"}, wantErr: "--umask"},
		{name: "setgid flag", args: []string{"--dir-mode", "2770"}, wantErr: "--dir-mode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := flag.NewFlagSet("mount", flag.ContinueOnError)
			for _, f := range modeCLIFlags() {
				if err := f.Apply(set); err != nil {
					t.Fatal(err)
				}
			}
			if err := set.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := parseConfig([]byte(`{"file_mode": "0640", "umask": "022"}`))
			if err != nil {
				t.Fatal(err)
			}
			err = applyModeFlags(cli.NewContext(cli.NewApp(), set, nil), cfg)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !errors.Is(err, errBadMode) {
					t.Fatalf("err = %v, want errBadMode mentioning %q", err, c.wantErr)
				}
				return
			}
			file, dir, umask, err := cfg.modes()
			if err != nil || file != c.file || dir != c.dir || umask != c.umask {
				t.Errorf("modes = %#o %#o %#o %v, want %#o %#o %#o", file, dir, umask, err, c.file, c.dir, c.umask)
			}
		})
	}
}
