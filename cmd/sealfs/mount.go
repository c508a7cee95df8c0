package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sealfs/sealfs/keyring"
)

func mountCommand() *cli.Command {
	return &cli.Command{
		Name:      "mount",
		Usage:     "mount a sealfs store at MOUNTPOINT",
		ArgsUsage: "[STORE] MOUNTPOINT",
		Description: `STORE is where the encrypted objects live: a directory (/srv/sealfs-store or
file:///srv/sealfs-store, meant to sit on a LUKS volume), an S3 bucket
(s3://bucket/prefix?endpoint=https://host&region=eu-west-1&path-style=true), a
Google Cloud Storage bucket (gs://bucket/prefix) or an Azure Blob container
(az://container/prefix). Cloud credentials come from the config file or the
usual environment (AWS_ACCESS_KEY_ID…, GOOGLE_APPLICATION_CREDENTIALS), never
from the command line. With MOUNTPOINT alone
and no key, sealfs uses its embedded default: a store and a development key
under your data directory (~/.local/share/sealfs, or /var/lib/sealfs as root),
created on first use. Never keep real data under the development key.

Without --foreground, sealfs daemonizes and returns once the mount is ready, or
prints why it could not mount and exits 1. Stop it with "fusermount3 -u
MOUNTPOINT", "umount MOUNTPOINT" (root) or SIGTERM.

Every setting can also live in a JSON config file (--config); flags win over
it. Secrets belong in key files, never on the command line. Flags go before
STORE and MOUNTPOINT.

Refused: a MOUNTPOINT that is already mounted (or a dead mount left by a killed
daemon: clear it with "fusermount3 -u MOUNTPOINT"), and one that holds files,
unless --nonempty. SIGHUP reopens the log file and the audit log (logrotate).

Examples:
   sealfs mount ~/sealed                                   # development key and local store
   sealfs keygen --id 1 /etc/sealfs/kek-1.key
   sealfs mount --key /etc/sealfs/kek-1.key --key-id 1 /srv/sealfs-store /srv/orthanc/storage
   sealfs mount --config /etc/sealfs/orthanc.json          # everything from the config file
   sealfs mount --foreground --log-level debug --key k.key store mnt   # stay attached, log to stderr
   sealfs mount --key k.key 's3://bucket/orthanc?endpoint=https://s3.example.org&path-style=true' /srv/orthanc/storage`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "read settings from the JSON config `FILE`"},
			&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "current key-encryption key: base64 `FILE` (sealfs keygen)"},
			&cli.UintFlag{Name: "key-id", Value: 1, Usage: "id of the --key KEK (stored in every object it wraps)"},
			&cli.StringSliceFlag{Name: "previous-key", Usage: "decrypt-only KEK as `ID:FILE` (repeatable)"},
			&cli.StringFlag{Name: "state-dir", Usage: "staging and metadata `DIR` (ciphertext only; default under $XDG_STATE_HOME/sealfs, or /var/lib/sealfs/state as root)"},
			&cli.StringFlag{Name: "volume-id", Usage: "pin the store's volume id (32 hex digits); a store with another id is refused"},
			&cli.BoolFlag{Name: "foreground", Aliases: []string{"f"}, Usage: "stay in the foreground and log to stderr"},
			&cli.BoolFlag{Name: "write-back", Usage: "acknowledge fsync/close once the sealed copy is durable on local disk (STATE_DIR/pending) and upload in the background (without it: once it is in the store)"},
			&cli.BoolFlag{Name: "sync-dirs", Usage: "local tier: fsync every directory a commit changes, even on ext4 and XFS, where the object's own fsync already makes them durable"},
			&cli.BoolFlag{Name: "allow-other", Usage: "let other users (such as the orthanc user) use the mount"},
			&cli.StringFlag{Name: "uid", Usage: "`USER` (name or number) who owns every file; default: whoever mounts"},
			&cli.StringFlag{Name: "gid", Usage: "`GROUP` (name or number) that owns every file; default: the mounting user's group"},
			&cli.StringFlag{Name: "chunk-size", DefaultText: "64KiB", Usage: "plaintext chunk size of a new volume: a power of two from 4KiB to 1MiB"},
			&cli.StringFlag{Name: "verify-open-max", DefaultText: "128MiB", Usage: "verify objects up to this size in full at open (4KiB to 1TiB)"},
			&cli.StringFlag{Name: "cache-size", DefaultText: "1GiB", Usage: "keep up to this much ciphertext of cloud objects on local disk for repeated reads (1MiB to 16TiB)"},
			&cli.StringFlag{Name: "memory-budget", DefaultText: "unlimited", Usage: "bound the memory of all encryption and transfer buffers, e.g. 256MiB (1MiB to 1TiB; the Orthanc plugin's MaxConcurrentInputSize sets it too)"},
			&cli.DurationFlag{Name: "attr-timeout", Value: time.Second, Usage: "how long the kernel caches attributes (up to 1h)"},
			&cli.DurationFlag{Name: "metadata-ttl", Value: 2 * time.Second, Usage: "how long sealfs trusts its cached attributes and listings: how soon changes made by other mounts show (missing names half as long; up to 1h)"},
			&cli.BoolFlag{Name: "nonempty", Usage: "mount even if MOUNTPOINT holds files (they are hidden while mounted)"},
			&cli.BoolFlag{Name: "allow-insecure-http", Usage: "allow a plain http:// store endpoint on another host (loopback is always allowed)"},
			&cli.StringFlag{Name: "log-file", Usage: "log to `FILE` (default: stderr in the foreground, STATE_DIR/sealfs.log as a daemon)"},
			&cli.StringFlag{Name: "log-level", DefaultText: "info", Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "audit-log", Usage: "audit log `FILE`: key loads, refused keys, failed verifications (default STATE_DIR/audit.log)"},
			&cli.BoolFlag{Name: "debug-fuse", Usage: "log every FUSE request (very verbose)"},
		}, append(modeCLIFlags(), serviceCLIFlags()...)...),
		Action: func(c *cli.Context) error {
			if err := checkFusermount(exec.LookPath); err != nil {
				return err
			}
			cfg, devKey, err := resolveConfig(c)
			if err != nil {
				return err
			}
			// The warning goes to the terminal; a daemon's log gets it too.
			if devKey != "" && os.Getenv(readyFDEnv) == "" && (!c.Bool("foreground") || cfg.LogFile != "") {
				fmt.Fprintln(c.App.ErrWriter, devKeyWarning(devKey))
			}
			if !c.Bool("foreground") {
				return daemonize(cfg)
			}
			return serve(cfg, devKey)
		},
	}
}

// resolveConfig merges the config file, the flags and the embedded default,
// and validates the result. devKey names the development key in use, if any.
func resolveConfig(c *cli.Context) (*config, string, error) {
	cfg := &config{}
	if path := c.String("config"); path != "" {
		var err error
		if cfg, err = loadConfig(path); err != nil {
			return nil, "", err
		}
	}
	switch c.NArg() {
	case 1:
		cfg.Mountpoint = c.Args().Get(0)
	case 2:
		cfg.Store, cfg.Mountpoint = c.Args().Get(0), c.Args().Get(1)
	case 0:
	default:
		return nil, "", errors.New("mount: want [STORE] MOUNTPOINT (see sealfs mount --help)")
	}
	if cfg.Mountpoint == "" {
		return nil, "", errors.New("mount: no MOUNTPOINT given (see sealfs mount --help)")
	}
	if err := applyFlags(c, cfg); err != nil {
		return nil, "", err
	}
	devKey := ""
	// The embedded default is only for a bare "sealfs mount MOUNTPOINT":
	// a config file or a key without a store is a mistake to report.
	if c.String("config") == "" && cfg.Store == "" && len(cfg.Keys) == 0 {
		var err error
		if devKey, err = embeddedDefault(cfg); err != nil {
			return nil, "", err
		}
	}
	if err := finishConfig(cfg); err != nil {
		return nil, "", err
	}
	return cfg, devKey, nil
}

func applyFlags(c *cli.Context, cfg *config) error {
	if c.Uint("key-id") > math.MaxUint32 {
		return fmt.Errorf("mount: %w: --key-id %d: want a number from 0 to %d", errSetting, c.Uint("key-id"), uint32(math.MaxUint32))
	}
	if k := c.String("key"); k != "" {
		cfg.Keys = append(cfg.Keys, keyConfig{ID: uint32(c.Uint("key-id")), State: "current", File: k})
	} else if c.IsSet("key-id") && c.String("key-credential") == "" {
		return errors.New("mount: --key-id needs --key FILE")
	}
	for _, pk := range c.StringSlice("previous-key") {
		id, path, err := keyring.ParseSpecString(pk)
		if err != nil {
			return fmt.Errorf("mount: --previous-key: %w", err)
		}
		cfg.Keys = append(cfg.Keys, keyConfig{ID: id, State: "decrypt-only", File: path})
	}
	setString := func(flag string, dst *string) {
		if v := c.String(flag); v != "" {
			*dst = v
		}
	}
	setString("state-dir", &cfg.StateDir)
	setString("uid", &cfg.UID)
	setString("gid", &cfg.GID)
	setString("volume-id", &cfg.VolumeID)
	setString("log-file", &cfg.LogFile)
	setString("log-level", &cfg.LogLevel)
	setString("audit-log", &cfg.AuditLog)
	for flag, dst := range map[string]*byteSize{"chunk-size": &cfg.ChunkSize, "verify-open-max": &cfg.VerifyOpenMax, "memory-budget": &cfg.MemoryBudget, "cache-size": &cfg.CacheSize} {
		if v := c.String(flag); v != "" {
			n, err := parseByteSize(v)
			if err != nil {
				return fmt.Errorf("mount: --%s: %w", flag, err)
			}
			*dst = byteSize(n)
		}
	}
	if c.IsSet("attr-timeout") {
		cfg.AttrTimeout = duration(c.Duration("attr-timeout"))
	}
	if c.IsSet("metadata-ttl") {
		cfg.MetadataTTL = duration(c.Duration("metadata-ttl"))
	}
	if c.Bool("allow-other") {
		cfg.AllowOther = true
	}
	cfg.debugFUSE = c.Bool("debug-fuse")
	applyServiceFlags(c, cfg)
	if err := applyModeFlags(c, cfg); err != nil {
		return err
	}
	if c.Bool("write-back") {
		cfg.WriteBack = true
	}
	if c.Bool("sync-dirs") {
		cfg.SyncDirs = true
	}
	if c.Bool("nonempty") {
		cfg.Nonempty = true
	}
	if c.Bool("allow-insecure-http") {
		cfg.AllowInsecureHTTP = true
	}
	return nil
}

// devKeyWarning says that the embedded default's development key is in use.
func devKeyWarning(key string) string {
	return "using the DEVELOPMENT key " + key + " (generated on this machine, not backed up): never store real data with it; see docs/keys.md"
}

// transportSpec is the store spec with the transport rules applied: a
// plain-HTTP endpoint is refused unless it is a loopback address or
// allow_insecure_http is set, and S3 signs every body on plain HTTP.
func (c *config) transportSpec() (storeSpec, error) {
	spec, err := c.storeSpec()
	if err != nil {
		return spec, err
	}
	aws := os.Getenv("AWS_ENDPOINT_URL_S3")
	if aws == "" {
		aws = os.Getenv("AWS_ENDPOINT_URL")
	}
	env := transportEnv{awsEndpoint: aws, gcsEmulatorHost: os.Getenv("STORAGE_EMULATOR_HOST")}
	if err := checkTransport(&spec, c.AllowInsecureHTTP, env); err != nil {
		return spec, err
	}
	return spec, nil
}

// embeddedDefault points cfg at the development store and key under the
// user's data dir, creating the key on first use.
func embeddedDefault(cfg *config) (string, error) {
	dir := dataDir()
	cfg.Store = filepath.Join(dir, "store")
	if err := os.MkdirAll(cfg.Store, 0o700); err != nil {
		return "", fmt.Errorf("embedded default: %w", err)
	}
	key := filepath.Join(dir, "dev-kek-1.key")
	if _, err := os.Stat(key); errors.Is(err, os.ErrNotExist) {
		if err := keyring.GenerateFile(key); err != nil {
			return "", fmt.Errorf("embedded default: creating the development key: %w", err)
		}
	}
	cfg.Keys = []keyConfig{{ID: 1, State: "current", File: key}}
	return key, nil
}

// finishConfig fills defaults and checks what can be checked before mounting.
func finishConfig(cfg *config) error {
	if err := validateSettings(cfg); err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	spec, err := cfg.transportSpec()
	if err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	if spec.Kind == "local" {
		if _, err := localDir(spec.Dir); err != nil {
			return err
		}
	}
	if spec.ServiceAccountFile != "" {
		// A service account key is a private key: the key files' rules.
		info, err := os.Stat(spec.ServiceAccountFile)
		if err != nil {
			return fmt.Errorf("gcs service account file: %w", err)
		}
		if err := checkPrivateFile(spec.ServiceAccountFile, info, "service account file", "it holds a private key"); err != nil {
			return err
		}
	}
	if len(cfg.Keys) == 0 {
		return errors.New("mount: no key: pass --key FILE --key-id N, or keys in --config (sealfs never mounts unencrypted)")
	}
	mp, err := filepath.Abs(cfg.Mountpoint)
	if err != nil {
		return err
	}
	cfg.Mountpoint = mp
	if err := checkMountPoint(mp, cfg.Nonempty); err != nil {
		return err
	}
	if cfg.StateDir == "" {
		cfg.StateDir = defaultStateDir(mp)
	}
	if cfg.StateDir, err = filepath.Abs(cfg.StateDir); err != nil {
		return err
	}
	if cfg.AttrTimeout == 0 {
		cfg.AttrTimeout = duration(time.Second)
	}
	if cfg.AllowOther {
		if err := checkAllowOther(); err != nil {
			return err
		}
	}
	if _, err := cfg.keySpecs(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, _, _, err := cfg.modes(); err != nil {
		return err
	}
	return nil
}

// checkAllowOther explains why --allow-other would fail for a non-root user.
func checkAllowOther() error {
	if os.Geteuid() == 0 {
		return nil
	}
	data, err := os.ReadFile("/etc/fuse.conf")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "user_allow_other" {
				return nil
			}
		}
	}
	return errors.New("--allow-other needs the line user_allow_other in /etc/fuse.conf when not mounting as root (add it as root, or mount without --allow-other)")
}
