package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sealfs/sealfs/keyring"
)

// config is everything a mount needs; the config file and the flags both
// fill it (flags win).
type config struct {
	Store         string      `json:"store"`
	Mountpoint    string      `json:"mountpoint"`
	StateDir      string      `json:"state_dir"`
	VolumeID      string      `json:"volume_id"`
	ChunkSize     byteSize    `json:"chunk_size"`
	VerifyOpenMax byteSize    `json:"verify_open_max"`
	MemoryBudget  byteSize    `json:"memory_budget"`
	CacheSize     byteSize    `json:"cache_size"` // on-disk ciphertext cache of cloud objects
	AttrTimeout   duration    `json:"attr_timeout"`
	MetadataTTL   duration    `json:"metadata_ttl"` // how long cached attributes and listings are trusted
	AllowOther    bool        `json:"allow_other"`
	WriteBack     bool        `json:"write_back"`
	SyncDirs      bool        `json:"sync_dirs"` // local tier: fsync every changed directory, even where the filesystem makes it redundant
	UID           string      `json:"uid"`       // owner of every file: a user name or number
	GID           string      `json:"gid"`
	FileMode      permBits    `json:"file_mode"` // see modes.go
	DirMode       permBits    `json:"dir_mode"`
	Umask         permBits    `json:"umask"`
	LogFile       string      `json:"log_file"`
	LogLevel      string      `json:"log_level"`
	AuditLog      string      `json:"audit_log"`
	Keys          []keyConfig `json:"keys"`
	// Service settings: see service.go.
	LogFormat          string `json:"log_format"`
	MetricsListen      string `json:"metrics_listen"`
	MetricsAllowRemote bool   `json:"metrics_allow_remote"`

	// Nonempty mounts over a mount point that holds files (hidden while
	// mounted); AllowInsecureHTTP permits a plain-HTTP store endpoint on
	// another host.
	Nonempty          bool `json:"nonempty"`
	AllowInsecureHTTP bool `json:"allow_insecure_http"`

	debugFUSE bool // --debug-fuse only

	// Store sections: sealfs's own, and the Orthanc object-storage plugin's
	// (with its key names), so its users can reuse what they have.
	S3                 *s3Section    `json:"s3"`
	GCS                *gcsSection   `json:"gcs"`
	Azure              *azureSection `json:"azure"`
	AwsS3Storage       *orthancS3    `json:"AwsS3Storage"`
	GoogleCloudStorage *orthancGCS   `json:"GoogleCloudStorage"`
	AzureBlobStorage   *orthancAzure `json:"AzureBlobStorage"`

	// StorageEncryption accepts the Orthanc object-storage plugin's section
	// as it is, so its users can reuse their keys and settings.
	StorageEncryption *orthancEncryption `json:"StorageEncryption"`
}

// keyConfig names one KEK and where it comes from: exactly one of File,
// Env, Command and Credential (a systemd credential name).
type keyConfig struct {
	ID      uint32   `json:"id"`
	State   string   `json:"state"`
	File    string   `json:"file"`
	Env     string   `json:"env"`
	Command []string `json:"command"`

	// Credential names a systemd credential: $CREDENTIALS_DIRECTORY/NAME.
	Credential string `json:"credential"`
}

// orthancEncryption is the Orthanc plugin's "StorageEncryption" section.
type orthancEncryption struct {
	Enable                 *bool               `json:"Enable"`
	MasterKey              []json.RawMessage   `json:"MasterKey"`
	PreviousMasterKeys     [][]json.RawMessage `json:"PreviousMasterKeys"`
	MaxConcurrentInputSize int64               `json:"MaxConcurrentInputSize"` // MB
}

// loadConfig reads a JSON config file strictly: unknown keys, bad values
// and trailing data are errors that name the file.
//
// A config file that holds cloud secrets follows the rules of key files:
// it must not be accessible by group or others, and must belong to this
// user or root.
func loadConfig(path string) (*config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("config %s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("config %s is larger than %d bytes", path, maxConfigSize)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if secret := cfg.secretSetting(); secret != "" {
		if err := checkPrivateFile(path, info, "config file", "it holds the secret "+secret); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// maxConfigSize bounds a config file.
const maxConfigSize = 1 << 20

// secretSetting names the first cloud secret the config holds, or "".
func (c *config) secretSetting() string {
	switch {
	case c.S3 != nil && c.S3.SecretKey != "":
		return "s3.secret_key"
	case c.AwsS3Storage != nil && c.AwsS3Storage.SecretKey != "":
		return "AwsS3Storage.SecretKey"
	case c.Azure != nil && c.Azure.AccountKey != "":
		return "azure.account_key"
	case c.Azure != nil && c.Azure.SASToken != "":
		return "azure.sas_token"
	case c.Azure != nil && c.Azure.ConnectionString != "":
		return "azure.connection_string"
	case c.AzureBlobStorage != nil && c.AzureBlobStorage.ConnectionString != "":
		return "AzureBlobStorage.ConnectionString"
	}
	return ""
}

func parseConfig(data []byte) (*config, error) {
	var cfg config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	if err := cfg.applyOrthanc(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// applyOrthanc turns the plugin's section into keys and a memory budget.
func (c *config) applyOrthanc() error {
	o := c.StorageEncryption
	if o == nil {
		return nil
	}
	if o.Enable != nil && !*o.Enable {
		return errors.New(`StorageEncryption.Enable is false: sealfs always encrypts; remove the setting or set it to true`)
	}
	if len(o.MasterKey) > 0 {
		k, err := orthancKey("StorageEncryption.MasterKey", o.MasterKey, "current")
		if err != nil {
			return err
		}
		c.Keys = append(c.Keys, k)
	}
	for i, pk := range o.PreviousMasterKeys {
		k, err := orthancKey(fmt.Sprintf("StorageEncryption.PreviousMasterKeys[%d]", i), pk, "decrypt-only")
		if err != nil {
			return err
		}
		c.Keys = append(c.Keys, k)
	}
	if o.MaxConcurrentInputSize < 0 || o.MaxConcurrentInputSize > maxOrthancMB {
		return fmt.Errorf("%w: StorageEncryption.MaxConcurrentInputSize is %d: want a number of MB from 0 (no limit) to %d", errSetting, o.MaxConcurrentInputSize, maxOrthancMB)
	}
	if o.MaxConcurrentInputSize > 0 && c.MemoryBudget == 0 {
		c.MemoryBudget = byteSize(o.MaxConcurrentInputSize << 20)
	}
	return nil
}

// orthancKey reads the plugin's [id, "path"] pair.
func orthancKey(where string, pair []json.RawMessage, state string) (keyConfig, error) {
	var k keyConfig
	if len(pair) != 2 {
		return k, fmt.Errorf(`%s: want [id, "/path/to/key"]`, where)
	}
	if err := json.Unmarshal(pair[0], &k.ID); err != nil {
		return k, fmt.Errorf("%s: key id: want a number from 0 to 4294967295", where)
	}
	if err := json.Unmarshal(pair[1], &k.File); err != nil || k.File == "" {
		return k, fmt.Errorf("%s: key path: want a string", where)
	}
	k.State = state
	return k, nil
}

// keySpecs validates the configured keys and turns them into keyring specs.
func (c *config) keySpecs() ([]keyring.Spec, error) {
	specs := make([]keyring.Spec, 0, len(c.Keys))
	for i, k := range c.Keys {
		state := keyring.DecryptOnly
		if k.State != "" {
			s, err := keyring.ParseState(k.State)
			if err != nil {
				return nil, fmt.Errorf("keys[%d]: %w", i, err)
			}
			state = s
		}
		sources := 0
		for _, set := range []bool{k.File != "", k.Env != "", len(k.Command) > 0, k.Credential != ""} {
			if set {
				sources++
			}
		}
		if sources != 1 {
			return nil, fmt.Errorf("keys[%d] (id %d): set exactly one of file, env, command, credential", i, k.ID)
		}
		specs = append(specs, keyring.Spec{ID: k.ID, State: state, File: k.File, Env: k.Env, Command: k.Command, Credential: k.Credential})
	}
	return specs, nil
}

// byteSize is a size in bytes written as a number or with a unit:
// "65536", "64KiB", "128MiB", "1GiB", "1G". A negative value parses, so
// that validateSettings refuses it with the setting's name and range.
type byteSize int64

// UnmarshalJSON reads a JSON number of bytes or a string with a unit.
func (b *byteSize) UnmarshalJSON(data []byte) error {
	var n int64
	if err := json.Unmarshal(data, &n); err == nil {
		*b = byteSize(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("size: want a number or a string such as \"64MiB\"")
	}
	v, err := parseByteSize(s)
	*b = byteSize(v)
	return err
}

func parseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n > (1<<62)/mult || n < -(1<<62)/mult {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (KiB, MiB, GiB, TiB)", s)
	}
	return n * mult, nil
}

// duration is a time.Duration written as "1s", "500ms". A negative value
// parses, so that validateSettings refuses it with the setting's name and
// range.
type duration time.Duration

// UnmarshalJSON reads a string such as "1s".
func (d *duration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"1s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want a string such as \"1s\"", s)
	}
	*d = duration(v)
	return nil
}
