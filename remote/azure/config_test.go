package azure

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestConfigNormalized(t *testing.T) {
	spool := t.TempDir()
	base := Config{Container: "c", AccountName: "acct", AccountKey: "a2V5", SpoolDir: spool}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr bool
		check   func(Config) error
	}{
		{"defaults", func(*Config) {}, false, func(c Config) error {
			if c.RequestTimeout != defaultRequestTimeout || c.Logger == nil || c.Prefix != "" {
				return fmt.Errorf("defaults not filled: %v", c)
			}
			return nil
		}},
		{"prefix gets a slash", func(c *Config) { c.Prefix = "a/b" }, false, func(c Config) error {
			if c.Prefix != "a/b/" {
				return fmt.Errorf("prefix %q", c.Prefix)
			}
			return nil
		}},
		{"tier canonical", func(c *Config) { c.AccessTier = "cool" }, false, func(c Config) error {
			if c.AccessTier != "Cool" {
				return fmt.Errorf("tier %q", c.AccessTier)
			}
			return nil
		}},
		{"timeout kept", func(c *Config) { c.RequestTimeout = time.Second }, false, func(c Config) error {
			if c.RequestTimeout != time.Second {
				return fmt.Errorf("timeout %v", c.RequestTimeout)
			}
			return nil
		}},
		{"sas", func(c *Config) { c.AccountKey, c.SASToken = "", "?sv=x&sig=y" }, false, nil},
		{"connection string", func(c *Config) { *c = Config{Container: "c", ConnectionString: "x", SpoolDir: spool} }, false, nil},
		{"no container", func(c *Config) { c.Container = "" }, true, nil},
		{"no spool", func(c *Config) { c.SpoolDir = "" }, true, nil},
		{"spool missing", func(c *Config) { c.SpoolDir = spool + "/missing" }, true, nil},
		{"no credentials", func(c *Config) { c.AccountKey = "" }, true, nil},
		{"no account", func(c *Config) { c.AccountName = "" }, true, nil},
		{"key and sas", func(c *Config) { c.SASToken = "sig=y" }, true, nil},
		{"connection string and key", func(c *Config) { c.ConnectionString = "x" }, true, nil},
		{"bad tier", func(c *Config) { c.AccessTier = "P10" }, true, nil},
		{"bad prefix", func(c *Config) { c.Prefix = "a//b" }, true, nil},
		{"absolute prefix", func(c *Config) { c.Prefix = "/a" }, true, nil},
		{"negative timeout", func(c *Config) { c.RequestTimeout = -1 }, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.edit(&cfg)
			got, err := cfg.normalized()
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("normalized() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errConfig) {
				t.Errorf("error %v does not wrap errConfig", err)
			}
			if err == nil && tt.check != nil {
				if err := tt.check(got); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestConfigStringHidesSecrets checks that printing a Config shows no credential.
func TestConfigStringHidesSecrets(t *testing.T) {
	for _, cfg := range []Config{
		{Container: "c", AccountName: "acct", AccountKey: "SECRETKEY"},
		{Container: "c", AccountName: "acct", SASToken: "sig=SECRETSIG"},
		{Container: "c", ConnectionString: "AccountName=a;AccountKey=SECRETCS"},
	} {
		for _, s := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg)} {
			if strings.Contains(s, "SECRET") {
				t.Errorf("printed config %q shows a secret", s)
			}
		}
	}
}
