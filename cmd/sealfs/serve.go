package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sealfs/sealfs/cache"
	"github.com/sealfs/sealfs/cache/budget"
	"github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// serve mounts according to cfg and serves until unmounted or signalled.
// It reports readiness (or the error) to a waiting parent, if any.
func serve(cfg *config, devKey string) (err error) {
	ready := readinessPipe()
	// Signals are caught from the start: the kernel shows the mount before
	// fs.Mount returns, and a SIGTERM in that gap must not kill a daemon
	// that holds a file open on its own mount.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(signals)
	defer func() {
		if err != nil {
			ready.fail(err)
		}
	}()
	logger, closeLog, err := openLogger(cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	harden(logger)
	if devKey != "" {
		logger.Warn("using the DEVELOPMENT key " + devKey + " (generated on this machine, not backed up): never store real data with it; see docs/keys.md")
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if err := checkStateDir(cfg.StateDir); err != nil {
		return err
	}
	auditLog, err := openAuditLog(cfg)
	if err != nil {
		return err
	}
	defer auditLog.Close()
	auditor := keyring.SlogAuditor{Logger: slog.New(slog.NewJSONHandler(auditLog, nil))}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	specs, err := cfg.keySpecs()
	if err != nil {
		return err
	}
	ring, err := keyring.Load(ctx, specs, auditor)
	if err != nil {
		return err
	}
	defer ring.Close()
	if _, err := ring.Current(); err != nil {
		return fmt.Errorf("keys: %w (mark one key current)", err)
	}

	spec, err := cfg.storeSpec()
	if err != nil {
		return err
	}
	spec.SyncDirs = cfg.SyncDirs
	owner, err := resolveOwner(cfg.UID, cfg.GID)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, spec, cfg.StateDir, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	vol, err := openVolume(ctx, cfg, store)
	if err != nil {
		return err
	}
	spoolDir, commitBuffer := "", int64(0)
	if spec.Kind != "local" {
		commitBuffer = cloudCommitBuffer
		// Objects verified at open are spooled to disk (ciphertext), not
		// held in memory, and the reads that follow use the spool.
		spoolDir = filepath.Join(cfg.StateDir, "spool")
	}
	logger.Info("volume", "store", spec.String(), "volume_id", fmt.Sprintf("%x", vol.ID), "chunk_size", vol.ChunkSize, "kek_ids", ring.IDs())

	// The metadata cache saves round trips to object stores; on the local
	// tier a stat is cheaper than a cache write, so it is not used there.
	var meta *cache.Meta
	if spec.Kind != "local" {
		if meta, err = openMeta(filepath.Join(cfg.StateDir, "meta"), ring, time.Duration(cfg.MetadataTTL), logger); err != nil {
			return err
		}
		defer meta.Close()
	}

	var writeBack *fs.WriteBack
	if cfg.WriteBack {
		writeBack = fs.NewWriteBack()
	}
	// On object stores an empty directory needs a marker object, but most
	// directories (Orthanc's xx/yy) get a file at once: markers are written
	// only for directories still empty after a few seconds.
	var markers *fs.DirMarkers
	if spec.Kind != "local" {
		markers = fs.NewDirMarkers(fs.DefaultMarkerDelay)
	}
	server, err := fs.Mount(cfg.Mountpoint, fs.Options{
		Store:         store,
		Keyring:       ring,
		Volume:        vol.ID,
		ChunkSize:     vol.ChunkSize,
		StagingDir:    filepath.Join(cfg.StateDir, "staging"),
		PendingDir:    filepath.Join(cfg.StateDir, "pending"),
		WriteBack:     writeBack,
		DirMarkers:    markers,
		SpoolDir:      spoolDir,
		CacheSize:     int64(cfg.CacheSize),
		Budget:        budget.New(int64(cfg.MemoryBudget)),
		CommitBuffer:  commitBuffer,
		Meta:          meta,
		ListLookups:   spec.Kind != "local",
		VerifyOpenMax: int64(cfg.VerifyOpenMax),
		AttrTimeout:   time.Duration(cfg.AttrTimeout),
		UID:           owner.uid,
		GID:           owner.gid,
		Logger:        logger,
	}, fs.MountOptions{AllowOther: cfg.AllowOther, FsName: "sealfs:" + spec.String(), Debug: cfg.debugFUSE})
	if err != nil {
		return explainMountError(err)
	}
	logger.Info("mounted", "mountpoint", cfg.Mountpoint)
	ready.ok()

	done := make(chan struct{})
	go func() { server.Wait(); close(done) }()
	for {
		select {
		case <-done:
			logger.Info("unmounted", "mountpoint", cfg.Mountpoint)
			if markers != nil {
				ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
				defer cancel()
				if err := markers.Drain(ctx); err != nil {
					logger.Error("empty directories made just before the unmount may be lost: " + err.Error())
				}
			}
			if writeBack != nil {
				ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
				defer cancel()
				if err := writeBack.Drain(ctx); err != nil {
					logger.Warn("write-back: "+err.Error(), "journal", filepath.Join(cfg.StateDir, "pending"))
				}
			}
			return nil
		case sig := <-signals:
			logger.Info("signal: unmounting", "signal", sig.String())
			if err := server.Unmount(); err != nil {
				logger.Error("cannot unmount yet (files still open?); still serving, send the signal again to retry", "err", err)
			}
		}
	}
}

// openMeta opens the metadata cache. A cache whose state key no loaded KEK
// can unwrap (keys replaced, or the file altered) is only a copy of store
// metadata: it is discarded, loudly, and rebuilt.
func openMeta(dir string, ring *keyring.Keyring, ttl time.Duration, logger *slog.Logger) (*cache.Meta, error) {
	opts := cache.MetaOptions{AttrTTL: ttl, ListTTL: ttl, NegativeTTL: ttl / 2, Logger: logger}
	meta, err := cache.OpenMeta(dir, ring, opts)
	if err == nil {
		// Entries live seconds; ones from before this mount (perhaps from
		// a crash between a store change and the cache update) are dropped.
		if err := meta.Clear(); err != nil {
			meta.Close()
			return nil, err
		}
		return meta, nil
	}
	if !errors.Is(err, cache.ErrWrongKey) && !errors.Is(err, cache.ErrTampered) && !errors.Is(err, cache.ErrMalformedStateKey) &&
		!errors.Is(err, keyring.ErrUnknownKEK) && !errors.Is(err, keyring.ErrRevokedKEK) {
		return nil, err
	}
	logger.Warn("metadata cache unusable with these keys: discarding it (the store is the source of truth)", "dir", dir, "err", err)
	if rmErr := os.RemoveAll(dir); rmErr != nil {
		return nil, fmt.Errorf("%w (and removing it failed: %w)", err, rmErr)
	}
	return cache.OpenMeta(dir, ring, opts)
}

// drainTimeout bounds how long an unmount waits for write-back uploads;
// what is left is uploaded by the next mount.
const drainTimeout = 2 * time.Minute

// cloudCommitBuffer is what a cloud SDK may hold in memory while it sends
// one object: a 16 MiB part or block of a large upload.
const cloudCommitBuffer = 16 << 20

// openVolume reads or creates the store's volume file and pins its id in the
// state dir on first use (trust on first use, like ssh's known_hosts), so a
// store swapped for another volume is refused.
func openVolume(ctx context.Context, cfg *config, store remote.Store) (fs.Volume, error) {
	var pinned [16]byte
	pinFile := filepath.Join(cfg.StateDir, "volume-id")
	if cfg.VolumeID != "" {
		id, err := fs.ParseVolumeID(cfg.VolumeID)
		if err != nil {
			return fs.Volume{}, fmt.Errorf("config: %w", err)
		}
		pinned = id
	} else if data, err := os.ReadFile(pinFile); err == nil {
		id, err := fs.ParseVolumeID(strings.TrimSpace(string(data)))
		if err != nil {
			return fs.Volume{}, fmt.Errorf("%s: %w", pinFile, err)
		}
		pinned = id
	}
	vol, err := fs.EnsureVolume(ctx, store, pinned, int(cfg.ChunkSize))
	if err != nil {
		if errors.Is(err, fs.ErrVolumeMismatch) && cfg.VolumeID == "" {
			err = fmt.Errorf("%w (pinned in %s by an earlier mount; use another --state-dir for another store)", err, pinFile)
		}
		return fs.Volume{}, err
	}
	if pinned == ([16]byte{}) {
		if err := os.WriteFile(pinFile, fmt.Appendf(nil, "%x\n", vol.ID), 0o600); err != nil {
			return fs.Volume{}, fmt.Errorf("pinning the volume id: %w", err)
		}
	}
	return vol, nil
}

func openLogger(cfg *config) (*slog.Logger, func(), error) {
	level := slog.LevelInfo
	if cfg.LogLevel != "" {
		if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
			return nil, nil, fmt.Errorf("log level %q: want debug, info, warn or error", cfg.LogLevel)
		}
	}
	var w io.Writer = os.Stderr
	closeFn := func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}

func openAuditLog(cfg *config) (*os.File, error) {
	path := cfg.AuditLog
	if path == "" {
		path = filepath.Join(cfg.StateDir, "audit.log")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return f, nil
}

// explainMountError adds the usual fix to FUSE mount failures.
func explainMountError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "fusermount") && strings.Contains(msg, "not found"), strings.Contains(msg, "executable file not found"):
		return fmt.Errorf("%w (install fuse3: apt-get install fuse3)", err)
	case strings.Contains(msg, "allow_other"):
		return fmt.Errorf("%w (add user_allow_other to /etc/fuse.conf, or mount without --allow-other)", err)
	}
	return err
}
