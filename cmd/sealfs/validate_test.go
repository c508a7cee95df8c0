package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestValidateSettings range-checks every size and duration from each
// source: a JSON number, a JSON string and a flag.
func TestValidateSettings(t *testing.T) {
	cases := []struct {
		name    string
		json    string   // a config file
		flags   []string // mount flags, applied over it
		wantErr string   // "" for a valid config
	}{
		{name: "defaults", json: `{}`},
		{name: "all valid", json: `{"chunk_size": "4KiB", "verify_open_max": "1GiB", "memory_budget": 268435456, "cache_size": "2GiB", "attr_timeout": "5s", "metadata_ttl": "1m"}`},
		{name: "largest chunk", json: `{"chunk_size": 1048576}`},
		{name: "negative verify_open_max number", json: `{"verify_open_max": -1}`, wantErr: "verify_open_max (--verify-open-max) is -1 bytes: want 0 (the default, 128MiB) or a size from 4KiB to 1TiB"},
		{name: "negative verify_open_max string", json: `{"verify_open_max": "-1MiB"}`, wantErr: "verify_open_max"},
		{name: "negative verify_open_max flag", flags: []string{"--verify-open-max", "-1"}, wantErr: "verify_open_max (--verify-open-max) is -1"},
		{name: "negative memory_budget", json: `{"memory_budget": -5}`, wantErr: "memory_budget (--memory-budget) is -5 bytes: want 0 (unlimited)"},
		{name: "tiny memory_budget", json: `{"memory_budget": "4KiB"}`, wantErr: "from 1MiB to 1TiB"},
		{name: "memory_budget flag", flags: []string{"--memory-budget", "-1GiB"}, wantErr: "memory_budget"},
		{name: "chunk 5000", json: `{"chunk_size": 5000}`, wantErr: "chunk_size (--chunk-size) is 5000 bytes: want 0 (the default, 64KiB) or a power of two from 4KiB to 1MiB"},
		{name: "chunk 2MiB string", json: `{"chunk_size": "2MiB"}`, wantErr: "chunk_size"},
		{name: "chunk 2KiB flag", flags: []string{"--chunk-size", "2KiB"}, wantErr: "chunk_size"},
		{name: "chunk 96KiB not a power of two", json: `{"chunk_size": "96KiB"}`, wantErr: "power of two"},
		{name: "huge cache", json: `{"cache_size": "17TiB"}`, wantErr: "cache_size"},
		{name: "negative cache flag", flags: []string{"--cache-size", "-1"}, wantErr: "cache_size"},
		{name: "negative attr_timeout json", json: `{"attr_timeout": "-1s"}`, wantErr: "attr_timeout (--attr-timeout) is -1s"},
		{name: "negative attr_timeout flag", flags: []string{"--attr-timeout", "-2s"}, wantErr: "attr_timeout"},
		{name: "day-long metadata_ttl", json: `{"metadata_ttl": "24h"}`, wantErr: "metadata_ttl (--metadata-ttl) is 24h0m0s: want a duration from 0 (the default, 2s) to 1h0m0s"},
		{name: "flag wins over a bad file value", json: `{"chunk_size": 5000}`, flags: []string{"--chunk-size", "64KiB"}},
		{name: "negative s3 timeout", json: `{"store": "s3://b", "s3": {"request_timeout_seconds": -1}}`, wantErr: "s3.request_timeout_seconds is -1"},
		{name: "huge orthanc timeout", json: `{"store": "s3://b", "AwsS3Storage": {"BucketName": "b", "ConnectionTimeout": 99999}}`, wantErr: "AwsS3Storage.ConnectionTimeout"},
		{name: "negative MaxConcurrentInputSize", json: `{"StorageEncryption": {"MaxConcurrentInputSize": -1}}`, wantErr: "MaxConcurrentInputSize is -1"},
		{name: "overflowing MaxConcurrentInputSize", json: `{"StorageEncryption": {"MaxConcurrentInputSize": 9007199254740991}}`, wantErr: "MaxConcurrentInputSize"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := settingsFrom(t, tc.json, tc.flags)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// settingsFrom parses a config (if any), applies mount flags and validates.
func settingsFrom(t *testing.T, body string, flags []string) error {
	t.Helper()
	cfg := &config{}
	if body != "" {
		var err error
		if cfg, err = parseConfig([]byte(body)); err != nil {
			return err
		}
	}
	set := flag.NewFlagSet("mount", flag.ContinueOnError)
	for _, f := range mountCommand().Flags {
		if err := f.Apply(set); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Parse(flags); err != nil {
		t.Fatal(err)
	}
	if err := applyFlags(cli.NewContext(newApp(), set, nil), cfg); err != nil {
		return err
	}
	return validateSettings(cfg)
}

// TestCheckTransport: plain HTTP only to loopback (or when allowed), S3
// bodies signed on HTTP, no bearer secrets on HTTP.
func TestCheckTransport(t *testing.T) {
	cases := []struct {
		name     string
		json     string
		env      transportEnv
		wantErr  string
		wantSign bool
	}{
		{name: "https s3", json: `{"store": "s3://b?endpoint=https://s3.example.org"}`},
		{name: "aws default", json: `{"store": "s3://b"}`},
		{name: "loopback http s3 signs bodies", json: `{"store": "s3://b?endpoint=http://127.0.0.1:9000"}`, wantSign: true},
		{name: "localhost http s3", json: `{"store": "s3://b", "s3": {"endpoint": "http://localhost:9000"}}`, wantSign: true},
		{name: "ipv6 loopback", json: `{"store": "s3://b?endpoint=http://[::1]:9000"}`, wantSign: true},
		{name: "remote http s3 refused", json: `{"store": "s3://b?endpoint=http://minio.lan:9000"}`, wantErr: "s3 endpoint http://minio.lan:9000 is plain HTTP to another host"},
		{name: "remote http s3 allowed", json: `{"store": "s3://b?endpoint=http://minio.lan:9000", "allow_insecure_http": true}`, wantSign: true},
		{name: "orthanc section http", json: `{"AwsS3Storage": {"BucketName": "b", "Endpoint": "http://10.0.0.5"}}`, wantErr: "allow_insecure_http"},
		{name: "AWS_ENDPOINT_URL http", json: `{"store": "s3://b"}`, env: transportEnv{awsEndpoint: "http://10.1.1.1:9000"}, wantErr: "plain HTTP"},
		{name: "gcs emulator on loopback", json: `{"store": "gs://b", "gcs": {"endpoint": "127.0.0.1:4443"}}`},
		{name: "gcs emulator host env remote", json: `{"store": "gs://b"}`, env: transportEnv{gcsEmulatorHost: "gcs.lan:4443"}, wantErr: "gcs endpoint http://gcs.lan:4443"},
		{name: "gcs bearer token over http", json: `{"store": "gs://b", "gcs": {"endpoint": "http://127.0.0.1:4443", "service_account_file": "/sa.json"}}`, wantErr: "bearer token"},
		{name: "gcs https with account", json: `{"store": "gs://b", "gcs": {"endpoint": "https://storage.example.org", "service_account_file": "/sa.json"}}`},
		{name: "azurite connection string", json: `{"store": "az://c", "azure": {"connection_string": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"}}`},
		{name: "azure http protocol to the cloud", json: `{"store": "az://c", "azure": {"connection_string": "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=a2V5"}}`, wantErr: "acct.blob.core.windows.net"},
		{name: "azure SAS over http", json: `{"store": "az://c", "azure": {"account_name": "a", "sas_token": "sv=1&sig=x", "endpoint": "http://127.0.0.1:10000/a"}}`, wantErr: "SAS"},
		{name: "azure SAS in connection string over http", json: `{"store": "az://c", "allow_insecure_http": true, "azure": {"connection_string": "BlobEndpoint=http://blob.lan/;SharedAccessSignature=sv=1&sig=x"}}`, wantErr: "SAS"},
		{name: "azure SAS over https", json: `{"store": "az://c", "azure": {"account_name": "a", "sas_token": "sv=1&sig=x"}}`},
		{name: "local store", json: `{"store": "/srv/x"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			spec, err := cfg.storeSpec()
			if err != nil {
				t.Fatal(err)
			}
			err = checkTransport(&spec, cfg.AllowInsecureHTTP, tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "sig=x") || strings.Contains(err.Error(), "a2V5") {
					t.Errorf("error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if spec.SignPayload != tc.wantSign {
				t.Errorf("SignPayload = %v, want %v", spec.SignPayload, tc.wantSign)
			}
		})
	}
}

// TestConfigSecretsPermissions: a config file holding a cloud secret is
// refused when group or others can read it; one without secrets is not.
func TestConfigSecretsPermissions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, body string
		mode       os.FileMode
		wantErr    string
	}{
		{"s3 secret 0644", `{"store": "s3://b", "s3": {"access_key": "AK", "secret_key": "SK"}}`, 0o644, "holds the secret s3.secret_key; run: chmod 600"},
		{"s3 secret 0600", `{"store": "s3://b", "s3": {"access_key": "AK", "secret_key": "SK"}}`, 0o600, ""},
		{"orthanc s3 secret 0640", `{"AwsS3Storage": {"BucketName": "b", "AccessKey": "AK", "SecretKey": "SK"}}`, 0o640, "AwsS3Storage.SecretKey"},
		{"azure key 0604", `{"store": "az://c", "azure": {"account_name": "a", "account_key": "K"}}`, 0o604, "azure.account_key"},
		{"azure connection string", `{"AzureBlobStorage": {"ContainerName": "c", "ConnectionString": "AccountName=a;AccountKey=K"}}`, 0o644, "AzureBlobStorage.ConnectionString"},
		{"azure sas", `{"store": "az://c", "azure": {"account_name": "a", "sas_token": "sig=x"}}`, 0o644, "azure.sas_token"},
		{"no secrets 0644", `{"store": "/srv/store", "keys": [{"id": 1, "file": "/k"}]}`, 0o644, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(write("c"+string(rune('a'+i))+".json", tc.body, tc.mode))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, errInsecure) {
				t.Fatalf("err = %v, want errInsecure mentioning %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "SK") || strings.Contains(err.Error(), "sig=x") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

// TestCheckStateDir: group- or world-writable state dirs are refused.
func TestCheckStateDir(t *testing.T) {
	for _, tc := range []struct {
		mode    os.FileMode
		wantErr bool
	}{{0o700, false}, {0o750, false}, {0o755, false}, {0o770, true}, {0o777, true}, {0o1777, true}, {0o702, true}} {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, tc.mode); err != nil {
			t.Fatal(err)
		}
		err := checkStateDir(dir)
		if (err != nil) != tc.wantErr {
			t.Errorf("mode %04o: err = %v, want error %v", tc.mode, err, tc.wantErr)
		}
		if err != nil && (!errors.Is(err, errInsecure) || !strings.Contains(err.Error(), "chmod 700 "+dir)) {
			t.Errorf("mode %04o: error without the hint: %v", tc.mode, err)
		}
	}
	if os.Geteuid() == 0 {
		dir := filepath.Join(t.TempDir(), "theirs")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := checkStateDir(dir); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("state dir of another user: %v", err)
		}
	}
}

// TestCheckFusermount: without fusermount3 or fusermount the error says
// how to install fuse3.
func TestCheckFusermount(t *testing.T) {
	none := func(string) (string, error) { return "", errors.New("not found") }
	err := checkFusermount(none)
	if !errors.Is(err, errNoFuse) || !strings.Contains(err.Error(), "fuse3 is not installed") || !strings.Contains(err.Error(), "apt-get install fuse3") {
		t.Errorf("err = %v", err)
	}
	onlyOld := func(name string) (string, error) {
		if name == "/bin/fusermount" {
			return name, nil
		}
		return "", errors.New("not found")
	}
	if err := checkFusermount(onlyOld); err != nil {
		t.Errorf("fusermount in /bin: %v", err)
	}
}

// TestKeyIDRange: a --key-id beyond uint32 is refused, not truncated.
func TestKeyIDRange(t *testing.T) {
	err := settingsFrom(t, "", []string{"--key", "/k", "--key-id", "4294967297"})
	if err == nil || !strings.Contains(err.Error(), "--key-id 4294967297") {
		t.Fatalf("err = %v", err)
	}
	if err := settingsFrom(t, "", []string{"--key", "/k", "--key-id", "4294967295"}); err != nil {
		t.Fatalf("largest id: %v", err)
	}
}

// TestDescribeBuild: the ldflags version wins; otherwise the module
// version; the VCS revision is appended, marked when modified.
func TestDescribeBuild(t *testing.T) {
	info := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	if got := describeBuild("dev", info); got != "v1.2.3 0123456789ab+dirty" {
		t.Errorf("module version: %q", got)
	}
	if got := describeBuild("1.0.0", info); got != "1.0.0 0123456789ab+dirty" {
		t.Errorf("ldflags version: %q", got)
	}
	if got := describeBuild("dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); got != "dev" {
		t.Errorf("development build: %q", got)
	}
}

// TestServiceAccountFilePermissions: a GCS service account key readable by
// others stops the mount like a key file.
func TestServiceAccountFilePermissions(t *testing.T) {
	dir := t.TempDir()
	sa := filepath.Join(dir, "sa.json")
	if err := os.WriteFile(sa, []byte(`{"type": "service_account"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sa, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig([]byte(`{"store": "gs://b", "gcs": {"service_account_file": "` + sa + `"}, "keys": [{"id": 1, "file": "/k"}], "mountpoint": "` + dir + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := finishConfig(cfg); !errors.Is(err, errInsecure) || !strings.Contains(err.Error(), "chmod 600 "+sa) {
		t.Fatalf("finishConfig = %v", err)
	}
}
