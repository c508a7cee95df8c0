package main

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name    string
		json    string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{name: "orthanc encryption section", json: `{"store": "/s", "StorageEncryption": {"Enable": true, "MasterKey": [3, "/k3"], "PreviousMasterKeys": [[1, "/k1"], [2, "/k2"]], "MaxConcurrentInputSize": 64}}`,
			check: func(t *testing.T, c *config) {
				specs, err := c.keySpecs()
				if err != nil || len(specs) != 3 || specs[0].ID != 3 || specs[0].File != "/k3" || specs[0].State.String() != "current" || specs[2].State.String() != "decrypt-only" {
					t.Errorf("keys = %+v, %v", specs, err)
				}
				if c.MemoryBudget != 64<<20 {
					t.Errorf("MaxConcurrentInputSize 64 MB: budget %d", c.MemoryBudget)
				}
			}},
		{name: "encryption disabled", json: `{"StorageEncryption": {"Enable": false}}`, wantErr: "always encrypts"},
		{name: "bad master key pair", json: `{"StorageEncryption": {"MasterKey": ["x", "/k"]}}`, wantErr: "MasterKey"},
		{name: "unknown key", json: `{"stroe": "/s"}`, wantErr: "stroe"},
		{name: "trailing data", json: `{"store": "/s"} {}`, wantErr: "trailing"},
		{name: "sizes", json: `{"chunk_size": "64KiB", "verify_open_max": 1048576, "memory_budget": "1GiB"}`,
			check: func(t *testing.T, c *config) {
				if c.ChunkSize != 64<<10 || c.VerifyOpenMax != 1<<20 || c.MemoryBudget != 1<<30 {
					t.Errorf("sizes %d %d %d", c.ChunkSize, c.VerifyOpenMax, c.MemoryBudget)
				}
			}},
		{name: "sync dirs", json: `{"store": "/s", "sync_dirs": true}`,
			check: func(t *testing.T, c *config) {
				if !c.SyncDirs {
					t.Error("sync_dirs true was not read")
				}
			}},
		{name: "sync dirs not a bool", json: `{"sync_dirs": "yes"}`, wantErr: "sync_dirs"},
		{name: "bad size", json: `{"chunk_size": "64 parsecs"}`, wantErr: "size"},
		{name: "key with two sources", json: `{"keys": [{"id": 1, "file": "/k", "env": "K"}]}`,
			check: func(t *testing.T, c *config) {
				if _, err := c.keySpecs(); err == nil || !strings.Contains(err.Error(), "exactly one") {
					t.Errorf("keySpecs = %v", err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig([]byte(tc.json))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestStoreSpec(t *testing.T) {
	cases := []struct {
		name    string
		json    string
		want    storeSpec
		wantErr string
	}{
		{name: "path", json: `{"store": "/srv/store"}`, want: storeSpec{Kind: "local", Dir: "/srv/store"}},
		{name: "file URL", json: `{"store": "file:///srv/store"}`, want: storeSpec{Kind: "local", Dir: "/srv/store"}},
		{name: "s3 URL", json: `{"store": "s3://b/p/q?endpoint=http://127.0.0.1:9000&path-style=true&region=eu"}`,
			want: storeSpec{Kind: "s3", Bucket: "b", Prefix: "p/q", Endpoint: "http://127.0.0.1:9000", PathStyle: true, Region: "eu"}},
		{name: "orthanc S3 section alone", json: `{"AwsS3Storage": {"BucketName": "pacs", "Region": "eu-west-1", "AccessKey": "AK", "SecretKey": "SK", "Endpoint": "https://s3.example", "VirtualAddressing": false, "RootPath": "orthanc", "RequestTimeout": 20}}`,
			want: storeSpec{Kind: "s3", Bucket: "pacs", Prefix: "orthanc", Region: "eu-west-1", AccessKey: "AK", SecretKey: "SK", Endpoint: "https://s3.example", PathStyle: true, RequestTimeoutSeconds: 20}},
		{name: "orthanc flat layout refused", json: `{"AwsS3Storage": {"BucketName": "b", "StorageStructure": "flat"}}`, wantErr: "legacy"},
		{name: "gcs", json: `{"store": "gs://bkt", "GoogleCloudStorage": {"ServiceAccountFile": "/sa.json"}}`,
			want: storeSpec{Kind: "gcs", Bucket: "bkt", ServiceAccountFile: "/sa.json"}},
		{name: "azure section", json: `{"AzureBlobStorage": {"ConnectionString": "cs", "ContainerName": "c", "RootPath": "r"}}`,
			want: storeSpec{Kind: "azure", Bucket: "c", Prefix: "r", ConnectionString: "cs"}},
		{name: "section for another store", json: `{"store": "/srv/store", "s3": {"region": "x"}}`, wantErr: "does not apply"},
		{name: "credentials in URL", json: `{"store": "s3://AK:SK@bucket/p"}`, wantErr: "credentials"},
		{name: "unknown scheme", json: `{"store": "ftp://x/y"}`, wantErr: "unknown scheme"},
		{name: "unknown parameter", json: `{"store": "s3://b?secret=1"}`, wantErr: "unknown parameter"},
		{name: "half credentials", json: `{"store": "s3://b", "s3": {"access_key": "AK"}}`, wantErr: "both"},
		{name: "no store", json: `{}`, wantErr: "no STORE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.storeSpec()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "SK") {
					t.Errorf("error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("spec =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	// Negative sizes parse: validateSettings refuses them with the
	// setting's name and range (TestValidateSettings).
	for in, want := range map[string]int64{"0": 0, "4096": 4096, "64KiB": 64 << 10, "128MiB": 128 << 20, "1GiB": 1 << 30, "2G": 2 << 30, " 3 MiB ": 3 << 20, "-1": -1, "-2MiB": -2 << 20} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.5GiB", "lots", "99999999999TiB", "-99999999999TiB"} {
		if _, err := parseByteSize(bad); err == nil {
			t.Errorf("parseByteSize(%q) succeeded", bad)
		}
	}
}
