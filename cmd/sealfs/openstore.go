package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/azure"
	"github.com/sealfs/sealfs/remote/gcs"
	"github.com/sealfs/sealfs/remote/local"
	"github.com/sealfs/sealfs/remote/retry"
	"github.com/sealfs/sealfs/remote/s3"
)

// openStore opens the store spec names, behind the shared retry policy
// (onRetry, if set, is told of each retried failure). Uploads to cloud
// stores are staged (as ciphertext) under stateDir.
func openStore(ctx context.Context, spec storeSpec, stateDir string, logger *slog.Logger, onRetry func(op string)) (remote.Store, error) {
	timeout := time.Duration(spec.RequestTimeoutSeconds) * time.Second
	if timeout == 0 {
		// One metadata request that takes longer is a stalled connection;
		// with the retry policy's 30 s ceiling a dead store answers EIO in
		// well under a minute. Transfers get more, in proportion to size.
		timeout = defaultRequestTimeout
	}
	spool := filepath.Join(stateDir, "uploads")
	if spec.Kind != "local" {
		if err := os.MkdirAll(spool, 0o700); err != nil {
			return nil, fmt.Errorf("state dir: %w", err)
		}
	}
	var (
		store remote.Store
		err   error
	)
	switch spec.Kind {
	case "local":
		var dir string
		if dir, err = localDir(spec.Dir); err == nil {
			store, err = local.New(dir, local.Options{Logger: logger, SyncDirs: spec.SyncDirs})
		}
	case "s3":
		store, err = s3.New(ctx, s3.Config{
			Bucket: spec.Bucket, Prefix: spec.Prefix, Endpoint: spec.Endpoint, Region: spec.Region,
			AccessKey: spec.AccessKey, SecretKey: spec.SecretKey, PathStyle: spec.PathStyle,
			CABundle: spec.CABundle, StorageClass: spec.StorageClass, SignPayload: spec.SignPayload,
			SpoolDir: spool, RequestTimeout: timeout, Logger: logger,
		})
	case "gcs":
		store, err = gcs.New(ctx, gcs.Config{
			Bucket: spec.Bucket, Prefix: spec.Prefix, ServiceAccountFile: spec.ServiceAccountFile,
			Endpoint: spec.Endpoint, SpoolDir: spool, RequestTimeout: timeout, Logger: logger,
		})
	case "azure":
		store, err = azure.New(ctx, azure.Config{
			Container: spec.Bucket, Prefix: spec.Prefix, ConnectionString: spec.ConnectionString,
			AccountName: spec.AccountName, AccountKey: spec.AccountKey, SASToken: spec.SASToken,
			Endpoint: spec.Endpoint, AccessTier: spec.AccessTier,
			SpoolDir: spool, RequestTimeout: timeout, Logger: logger,
		})
	default:
		err = fmt.Errorf("unknown store kind %q", spec.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", spec, err)
	}
	return retry.Wrap(store, retry.Policy{Logger: logger, OnRetry: onRetry}), nil
}

// defaultRequestTimeout bounds one attempt of a metadata request.
const defaultRequestTimeout = 10 * time.Second

// localDir checks a local-tier store directory and makes it absolute.
func localDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("store %s is not a directory", abs)
	}
	return abs, nil
}
