package s3

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Config describes the bucket a Store keeps its objects in.
type Config struct {
	// Bucket is the bucket's name (required).
	Bucket string
	// Prefix is prepended to every key; "" means the bucket's root. A
	// non-empty prefix is normalized to end in "/".
	Prefix string
	// Endpoint is a custom service URL such as http://127.0.0.1:9000; ""
	// means AWS's endpoint for Region.
	Endpoint string
	// Region is the bucket's region; "" means "us-east-1".
	Region string
	// AccessKey and SecretKey are static credentials. If both are empty,
	// the SDK's default credential chain (environment, shared files,
	// instance role) is used.
	AccessKey string
	SecretKey string
	// PathStyle selects path-style addressing (endpoint/bucket/key), which
	// MinIO and most S3-compatible servers need.
	PathStyle bool
	// CABundle is the path of a PEM file with the certificates of a
	// private certificate authority to trust for Endpoint.
	CABundle string
	// StorageClass is the storage class of new objects; "" means the
	// bucket's default.
	StorageClass string
	// SignPayload includes a SHA-256 of every request body in the SigV4
	// signature. By default bodies are sent as UNSIGNED-PAYLOAD with a
	// CRC32 content checksum (x-amz-checksum-crc32, itself a signed
	// header) that the server verifies, which is what the SDK does over
	// HTTPS anyway: the envelope's AEAD authenticates every byte end to
	// end, and skipping the hash saves a SHA-256 pass over every upload
	// here and its check on the server. Over plain HTTP the signed hash
	// also makes the server refuse a body altered in transit (sealfs would
	// otherwise store it and refuse it when read); set this there if the
	// network is not trusted. Does not apply to HTTPS.
	SignPayload bool
	// CreateBucket creates the bucket if it does not exist. Meant for tests.
	CreateBucket bool
	// SpoolDir is the directory where uploads are staged before they are
	// sent (required). Only ciphertext passes through it.
	SpoolDir string
	// RequestTimeout bounds one attempt of a metadata request; 0 means
	// 30 s. Transfers get RequestTimeout plus one second per MiB.
	RequestTimeout time.Duration
	// Logger receives the store's logs; nil means slog.Default().
	Logger *slog.Logger
}

const (
	defaultRegion         = "us-east-1"
	defaultRequestTimeout = 30 * time.Second
)

// errMissingField reports a required Config field left empty.
var errMissingField = errors.New("required field is empty")

// normalized checks cfg and returns it with defaults filled in.
func (cfg Config) normalized() (Config, error) {
	switch {
	case cfg.Bucket == "":
		return cfg, fmt.Errorf("s3: config Bucket: %w", errMissingField)
	case cfg.SpoolDir == "":
		return cfg, fmt.Errorf("s3: config SpoolDir: %w", errMissingField)
	}
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	if cfg.Prefix != "" {
		if _, err := checkKey(cfg.Prefix); err != nil {
			return cfg, fmt.Errorf("s3: config Prefix: %w", err)
		}
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultRequestTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, nil
}

// Format prints cfg, with any verb, without its secret key.
func (cfg Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "s3.Config{Bucket:%q Prefix:%q Endpoint:%q Region:%q AccessKey:%q}",
		cfg.Bucket, cfg.Prefix, cfg.Endpoint, cfg.Region, cfg.AccessKey)
}

// LogValue logs cfg without its secret key.
func (cfg Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("bucket", cfg.Bucket),
		slog.String("prefix", cfg.Prefix),
		slog.String("endpoint", cfg.Endpoint),
		slog.String("region", cfg.Region),
		slog.String("access_key", cfg.AccessKey),
	)
}
