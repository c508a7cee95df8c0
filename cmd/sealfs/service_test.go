package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestLogHandlerFormats(t *testing.T) {
	tests := []struct {
		format   string
		journald bool
		check    func(t *testing.T, out string)
	}{
		{"", false, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "time=") || !strings.Contains(out, "level=WARN") || !strings.Contains(out, `msg="disk full"`) {
				t.Errorf("text: %q", out)
			}
		}},
		{"json", false, func(t *testing.T, out string) {
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil || m["level"] != "WARN" || m["msg"] != "disk full" || m["time"] == nil || m["dir"] != "x" {
				t.Errorf("json: %q (%v)", out, err)
			}
		}},
		{"text", true, func(t *testing.T, out string) {
			if out != "<4>msg=\"disk full\" dir=x\n" {
				t.Errorf("journald text: %q", out)
			}
		}},
		{"json", true, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "<4>{") || strings.Contains(out, `"time"`) || !strings.Contains(out, `"msg":"disk full"`) {
				t.Errorf("journald json: %q", out)
			}
		}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		l := slog.New(newLogHandler(&buf, tt.format, tt.journald, slog.LevelInfo))
		l.With("dir", "x").Warn("disk full")
		tt.check(t, buf.String())
	}
	var buf bytes.Buffer
	l := slog.New(newLogHandler(&buf, "text", true, slog.LevelDebug))
	l.Error("e")
	l.Info("i")
	l.Debug("d")
	if got := buf.String(); got != "<3>msg=e\n<6>msg=i\n<7>msg=d\n" {
		t.Errorf("priorities: %q", got)
	}
	if err := checkLogFormat("xml"); err == nil || !strings.Contains(err.Error(), "want text or json") {
		t.Errorf("log format xml: %v", err)
	}
}

func TestUnderJournal(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(os.Stderr.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOURNAL_STREAM", "")
	if underJournal() {
		t.Error("empty JOURNAL_STREAM taken for the journal")
	}
	t.Setenv("JOURNAL_STREAM", "1:2")
	if underJournal() {
		t.Error("JOURNAL_STREAM of another stream taken for the journal")
	}
	t.Setenv("JOURNAL_STREAM", strings.Join([]string{uitoa(uint64(st.Dev)), uitoa(st.Ino)}, ":"))
	if !underJournal() {
		t.Error("JOURNAL_STREAM naming stderr not recognised")
	}
}

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestCheckMetricsListen(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:9464", "[::1]:9464", "localhost:9464", "127.0.0.2:1"} {
		if err := checkMetricsListen(ok, false); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:9464", ":9464", "10.0.0.1:9464", "example.org:9464"} {
		if err := checkMetricsListen(bad, false); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("%s: %v", bad, err)
		}
		if err := checkMetricsListen(bad, true); err != nil {
			t.Errorf("%s allowed: %v", bad, err)
		}
	}
	if err := checkMetricsListen("9464", false); err == nil || !strings.Contains(err.Error(), "HOST:PORT") {
		t.Errorf("no host: %v", err)
	}
}

func TestConfigServiceSettings(t *testing.T) {
	cfg, err := parseConfig([]byte(`{"log_format":"json","metrics_listen":"127.0.0.1:9464","keys":[{"id":1,"state":"current","credential":"sealfs-kek-1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := cfg.keySpecs()
	if err != nil || len(specs) != 1 || specs[0].Credential != "sealfs-kek-1" {
		t.Fatalf("specs %+v, %v", specs, err)
	}
	if cfg.LogFormat != "json" || cfg.MetricsListen != "127.0.0.1:9464" {
		t.Errorf("config %+v", cfg)
	}
	cfg, _ = parseConfig([]byte(`{"keys":[{"id":1,"credential":"a","file":"/k"}]}`))
	if _, err := cfg.keySpecs(); err == nil || !strings.Contains(err.Error(), "exactly one of file, env, command, credential") {
		t.Errorf("two sources: %v", err)
	}
}
