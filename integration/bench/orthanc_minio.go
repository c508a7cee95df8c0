package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/sealfs/sealfs/remote/s3"
)

// targetSealfsS3 is sealfs over a MinIO that the bench starts, with its
// data in the target's directory. Only the -orthanc mode offers it.
const targetSealfsS3 = "sealfs-s3"

// orthancOnlyTargets are accepted by -targets only with -orthanc.
var orthancOnlyTargets = []string{targetSealfsS3}

// errOrthancOnlyTarget reports an -orthanc target asked for without -orthanc.
var errOrthancOnlyTarget = errors.New("target needs -orthanc")

// checkOrthancOnlyTargets refuses the -orthanc targets in the other modes.
func checkOrthancOnlyTargets(names []string, orthanc bool) error {
	if orthanc {
		return nil
	}
	for _, name := range names {
		if slices.Contains(orthancOnlyTargets, name) {
			return fmt.Errorf("%q: %w", name, errOrthancOnlyTarget)
		}
	}
	return nil
}

// usesSealfs reports whether a target runs the sealfs binary.
func usesSealfs(name string) bool {
	return name == targetSealfs || name == targetSealfsS3
}

// setUpSealfsOverMinIO starts MinIO with its data in base, creates the
// bucket, and mounts sealfs on it as setUpSealfsS3 does for the -s3 mode.
// The returned target owns the MinIO: tearDown stops it after sealfs.
func setUpSealfsOverMinIO(ctx context.Context, base, binary string) (*target, error) {
	minioDir, spoolDir := filepath.Join(base, "minio-data"), filepath.Join(base, "bucket-spool")
	if err := makeDirs(minioDir, spoolDir); err != nil {
		return nil, err
	}
	m, err := startMinIO(ctx, minioDir, filepath.Join(base, "minio.log"))
	if err != nil {
		return nil, err
	}
	t, err := mountOverMinIO(ctx, base, binary, spoolDir, m)
	if err != nil {
		return nil, errors.Join(err, m.stop())
	}
	t.minio = m
	return t, nil
}

// mountOverMinIO creates the bucket on m and mounts sealfs on it.
func mountOverMinIO(ctx context.Context, base, binary, spoolDir string, m *minioServer) (*target, error) {
	bucket, err := s3.New(ctx, s3.Config{
		Bucket: benchBucket, Endpoint: m.endpoint, AccessKey: m.accessKey, SecretKey: m.secretKey,
		PathStyle: true, CreateBucket: true, SpoolDir: spoolDir,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the bucket: %w", err)
	}
	if err := bucket.Close(); err != nil {
		return nil, fmt.Errorf("creating the bucket: %w", err)
	}
	t, err := setUpSealfsS3(ctx, base, binary, m.endpoint, m)
	if err != nil {
		return nil, err
	}
	t.name, t.daemon.name = targetSealfsS3, targetSealfsS3
	return t, nil
}
