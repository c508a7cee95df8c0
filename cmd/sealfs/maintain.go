package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/maintain"
	"github.com/sealfs/sealfs/remote"
)

// maintainFlags are the flags verify, rotate and migrate share: the store, key and
// state settings of sealfs mount, and how the walk runs.
func maintainFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "read settings from the JSON config `FILE` (the one the mount uses)"},
		&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "current key-encryption key: base64 `FILE`"},
		&cli.UintFlag{Name: "key-id", Value: 1, Usage: "id of the --key KEK"},
		&cli.StringSliceFlag{Name: "previous-key", Usage: "decrypt-only KEK as `ID:FILE` (repeatable)"},
		&cli.StringFlag{Name: "state-dir", Usage: "`DIR` for the checkpoint, the audit log and the pinned volume id (default: the mount's, from the config's mountpoint)"},
		&cli.StringFlag{Name: "volume-id", Usage: "the store's volume id (32 hex digits); a store with another id is refused"},
		&cli.StringFlag{Name: "memory-budget", Usage: "bound the buffers of all jobs together, e.g. 256MiB (default unlimited)"},
		&cli.StringFlag{Name: "log-file", Usage: "log to `FILE` (default stderr)"},
		&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error (default info)"},
		&cli.StringFlag{Name: "audit-log", Usage: "audit log `FILE` (default STATE_DIR/audit.log)"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.NumCPU(), Usage: "objects worked on at once"},
		&cli.BoolFlag{Name: "restart", Usage: "ignore the checkpoint of an interrupted run and start over"},
		&cli.DurationFlag{Name: "progress-interval", Value: 10 * time.Second, Usage: "how often a progress line is printed when stderr is not a terminal"},
		&cli.DurationFlag{Name: "checkpoint-interval", Value: 2 * time.Second, Usage: "how often the checkpoint is saved (10ms to 1h)"},
	}
}

// maintenance holds what verify and rotate open: the store, the keys and
// the volume, as a mount with the same settings would.
type maintenance struct {
	cfg    *config
	logger *slog.Logger
	ring   *keyring.Keyring
	store  remote.Store
	kind   string // the store's kind: local, s3, gcs, azure
	vol    fs.Volume
	closer []func()
}

func (m *maintenance) Close() {
	for i := len(m.closer) - 1; i >= 0; i-- {
		m.closer[i]()
	}
}

// openMaintenance resolves the settings of op (verify or rotate) like
// sealfs mount does, loads the keys, opens the store and reads its volume
// file. A store without a volume file is refused: nothing is created.
// With recordKeys, the current key's check value is recorded on the volume
// as a mount would (rotate writes under it); otherwise keys are checked
// against the recorded values only.
func openMaintenance(ctx context.Context, c *cli.Context, op string, recordKeys bool) (_ *maintenance, err error) {
	cfg := &config{}
	if path := c.String("config"); path != "" {
		if cfg, err = loadConfig(path); err != nil {
			return nil, err
		}
	}
	switch c.NArg() {
	case 0:
	case 1:
		cfg.Store = c.Args().Get(0)
	default:
		return nil, fmt.Errorf("%s: want at most one STORE (see sealfs %s --help)", op, op)
	}
	if err := applyFlags(c, cfg); err != nil {
		return nil, err
	}
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("%s: no key: pass --key FILE --key-id N, or keys in --config", op)
	}
	specs, err := cfg.keySpecs()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	spec, err := cfg.storeSpec()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	spec.SyncDirs = cfg.SyncDirs
	switch {
	case cfg.StateDir != "":
	case cfg.Mountpoint != "":
		mp, err := filepath.Abs(cfg.Mountpoint)
		if err != nil {
			return nil, err
		}
		cfg.StateDir = defaultStateDir(mp)
	default:
		cfg.StateDir = defaultStateDir("maintain/" + spec.String())
	}
	if cfg.StateDir, err = filepath.Abs(cfg.StateDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}

	m := &maintenance{cfg: cfg, kind: spec.Kind}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	logger, logF, err := openLogger(cfg)
	if err != nil {
		return nil, err
	}
	m.logger = logger
	if logF != nil {
		m.closer = append(m.closer, func() { logF.Close() })
	}
	auditLog, err := openAuditLog(cfg)
	if err != nil {
		return nil, err
	}
	m.closer = append(m.closer, func() { auditLog.Close() })
	auditor := keyring.SlogAuditor{Logger: slog.New(slog.NewJSONHandler(auditLog, nil))}
	loadCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if m.ring, err = keyring.Load(loadCtx, specs, auditor); err != nil {
		return nil, err
	}
	m.closer = append(m.closer, func() { m.ring.Close() })
	if m.store, err = openStore(ctx, spec, cfg.StateDir, logger, nil); err != nil {
		return nil, err
	}
	m.closer = append(m.closer, func() { m.store.Close() })
	// migrate creates the volume file of a fresh store as a mount would
	// (its dry run assumes one and writes nothing); verify and rotate
	// refuse a store without one.
	migrating := op == "migrate"
	if _, err := m.store.Stat(ctx, fs.VolumeKey); err != nil {
		switch {
		case errors.Is(err, remote.ErrNotFound) && migrating && !recordKeys:
			m.vol = fs.Volume{ChunkSize: int(cfg.ChunkSize)}
			if m.vol.ChunkSize == 0 {
				m.vol.ChunkSize = envelope.DefaultChunkSize
			}
			logger.Info(op+": the store has no volume file yet; a real run creates it", "store", spec.String())
			return m, nil
		case errors.Is(err, remote.ErrNotFound) && migrating:
		case errors.Is(err, remote.ErrNotFound):
			return nil, fmt.Errorf("%s: store %s has no volume file (%s): not a sealfs store, or never mounted: %w", op, spec, fs.VolumeKey, err)
		default:
			return nil, fmt.Errorf("%s: store %s: %w", op, spec, err)
		}
	}
	if m.vol, err = openVolume(ctx, cfg, m.store); err != nil {
		return nil, err
	}
	if recordKeys {
		err = fs.CheckVolumeKeys(ctx, m.store, &m.vol, m.ring)
	} else {
		err = checkKeysReadOnly(m.vol, m.ring)
	}
	if err != nil {
		return nil, err
	}
	logger.Info(op, "store", spec.String(), "volume_id", fmt.Sprintf("%x", m.vol.ID), "chunk_size", m.vol.ChunkSize, "kek_ids", m.ring.IDs(), "state_dir", cfg.StateDir)
	return m, nil
}

// checkKeysReadOnly refuses a loaded key whose id the volume records with
// another key check value, like fs.CheckVolumeKeys, but records nothing.
func checkKeysReadOnly(vol fs.Volume, ring *keyring.Keyring) error {
	for _, k := range ring.KEKs() {
		rec, ok := vol.KeyChecks[k.ID()]
		if !ok {
			continue
		}
		kcv, err := k.CheckValue()
		if err != nil {
			return fmt.Errorf("key id %d: %w", k.ID(), err)
		}
		if subtle.ConstantTimeCompare(rec[:], kcv[:]) != 1 {
			err := fmt.Errorf("%w: key id %d (from %s) is not the key this volume records for id %d in %s",
				fs.ErrKeyMismatch, k.ID(), k.Source(), k.ID(), fs.VolumeKey)
			ring.Auditor().Audit(keyring.Event{Kind: keyring.KeyCheckFailed, KEKID: k.ID(), State: k.State(), Source: k.Source(), Err: err})
			return err
		}
	}
	return nil
}

// options returns the walk's options for op.
func (m *maintenance) options(c *cli.Context, op string) (maintain.Options, error) {
	var budget int64
	if v := c.String("memory-budget"); v != "" {
		n, err := parseByteSize(v)
		if err != nil {
			return maintain.Options{}, fmt.Errorf("%s: --memory-budget: %w", op, err)
		}
		budget = n
	} else {
		budget = int64(m.cfg.MemoryBudget)
	}
	jobs := c.Int("jobs")
	if jobs < 1 {
		return maintain.Options{}, fmt.Errorf("%s: --jobs must be at least 1", op)
	}
	if every := c.Duration("checkpoint-interval"); every < 10*time.Millisecond || every > time.Hour {
		return maintain.Options{}, fmt.Errorf("%s: --checkpoint-interval %v: want 10ms to 1h", op, every)
	}
	var jobMemory int64 // 0: maintain's estimate
	if (op == "rotate" || op == "migrate") && m.kind != "local" {
		// A cloud SDK may hold a part or block of each upload in memory.
		jobMemory = cloudCommitBuffer + 2<<20
	}
	return maintain.Options{
		JobMemory:       jobMemory,
		Store:           m.store,
		Keyring:         m.ring,
		Volume:          m.vol.ID,
		ChunkSize:       m.vol.ChunkSize,
		Jobs:            jobs,
		MemoryBudget:    budget,
		Checkpoint:      filepath.Join(m.cfg.StateDir, op+".checkpoint"),
		Restart:         c.Bool("restart"),
		CheckpointEvery: c.Duration("checkpoint-interval"),
		Logger:          m.logger,
	}, nil
}
