package gcs

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// defaultRequestTimeout bounds one attempt of a metadata request when
// Config.RequestTimeout is zero.
const defaultRequestTimeout = 30 * time.Second

// Config describes the bucket a Store uses and how to reach it.
type Config struct {
	// Bucket is the name of the bucket; it must exist unless CreateBucket is set.
	Bucket string
	// Prefix is prepended to every key ("" allowed). A non-empty prefix
	// is normalized to end in "/".
	Prefix string
	// ServiceAccountFile is the path of a service account JSON key. Empty
	// means application default credentials, or no credentials at all when
	// Endpoint or STORAGE_EMULATOR_HOST names an emulator.
	ServiceAccountFile string
	// Endpoint is the base URL of the JSON API, for emulators and private
	// endpoints: "http://127.0.0.1:4443" or "127.0.0.1:4443" (the path
	// defaults to /storage/v1/). As with STORAGE_EMULATOR_HOST, which is
	// honoured when Endpoint is empty, requests then carry no credentials
	// unless ServiceAccountFile is set.
	Endpoint string
	// CreateBucket creates the bucket if it does not exist. For tests.
	CreateBucket bool
	// SpoolDir is the directory where uploads are staged before Commit
	// (required; created with mode 0700 if missing). Spool files hold the
	// bytes given to Write (ciphertext, for sealfs) and are removed after
	// Commit or Abort.
	SpoolDir string
	// RequestTimeout bounds one attempt of a metadata request (default
	// 30s). Transfers get RequestTimeout plus one second per MiB.
	RequestTimeout time.Duration
	// Logger receives debug and warning messages; nil discards them.
	Logger *slog.Logger
}

// errConfig marks an invalid Config.
var errConfig = errors.New("gcs: invalid config")

// normalized returns cfg with defaults applied and Prefix ending in "/",
// or an error naming the first invalid field.
func (cfg Config) normalized() (Config, error) {
	switch {
	case cfg.Bucket == "":
		return cfg, fmt.Errorf("%w: Bucket is empty", errConfig)
	case cfg.SpoolDir == "":
		return cfg, fmt.Errorf("%w: SpoolDir is empty", errConfig)
	case cfg.RequestTimeout < 0:
		return cfg, fmt.Errorf("%w: RequestTimeout is negative", errConfig)
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = defaultRequestTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Prefix != "" {
		cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/") + "/"
		if _, err := checkKey(cfg.Prefix); err != nil {
			return cfg, fmt.Errorf("%w: Prefix: %w", errConfig, err)
		}
	}
	if cfg.Endpoint != "" {
		endpoint, err := jsonEndpoint(cfg.Endpoint)
		if err != nil {
			return cfg, err
		}
		cfg.Endpoint = endpoint
	}
	return cfg, nil
}

// jsonEndpoint turns an Endpoint setting into the JSON API base URL the
// client library expects: a scheme (http when missing) and a path ending
// in "/" (/storage/v1/ when missing).
func jsonEndpoint(endpoint string) (string, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: Endpoint is not a URL", errConfig) // the text may hold a secret: not shown
	case u.User != nil:
		return "", fmt.Errorf("%w: Endpoint %s must not carry credentials", errConfig, u.Redacted())
	case u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return "", fmt.Errorf("%w: Endpoint %s is not an http(s) URL", errConfig, u.Redacted())
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/storage/v1/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}
