package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/sealfs/sealfs/envelope"
)

// errSetting marks a setting outside its allowed range.
var errSetting = errors.New("invalid setting")

// Bounds of the settings. Zero always means "the default" (or, for
// memory_budget, "unlimited"); these bound the values an operator may set.
const (
	minMemoryBudget  = 1 << 20
	maxMemoryBudget  = 1 << 40
	maxVerifyOpenMax = 1 << 40
	minCacheSize     = 1 << 20
	maxCacheSize     = 16 << 40
	maxTimeout       = time.Hour
	maxRequestSecs   = 3600
	maxOrthancMB     = maxMemoryBudget >> 20
)

// sizeRule is the allowed range of one size setting.
type sizeRule struct {
	name, flag string
	value      int64
	min, max   int64
	pow2       bool   // the value must be a power of two
	zero       string // what 0 means
}

// validateSettings range-checks every size, duration and timeout of cfg,
// whatever its source (flag, JSON number or JSON string), and names the
// setting and its allowed range when one is out of it.
func validateSettings(cfg *config) error {
	sizes := []sizeRule{
		{name: "chunk_size", flag: "--chunk-size", value: int64(cfg.ChunkSize), min: envelope.MinChunkSize, max: envelope.MaxChunkSize, pow2: true,
			zero: fmt.Sprintf("the default, %s", formatSize(envelope.DefaultChunkSize))},
		{name: "verify_open_max", flag: "--verify-open-max", value: int64(cfg.VerifyOpenMax), min: envelope.MinChunkSize, max: maxVerifyOpenMax, zero: "the default, 128MiB"},
		{name: "memory_budget", flag: "--memory-budget", value: int64(cfg.MemoryBudget), min: minMemoryBudget, max: maxMemoryBudget, zero: "unlimited"},
		{name: "cache_size", flag: "--cache-size", value: int64(cfg.CacheSize), min: minCacheSize, max: maxCacheSize, zero: "the default, 1GiB"},
	}
	for _, r := range sizes {
		if err := r.check(); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		name, flag string
		value      time.Duration
		zero       string
	}{
		{"attr_timeout", "--attr-timeout", time.Duration(cfg.AttrTimeout), "the default, 1s"},
		{"metadata_ttl", "--metadata-ttl", time.Duration(cfg.MetadataTTL), "the default, 2s"},
	} {
		if d.value < 0 || d.value > maxTimeout {
			return fmt.Errorf("%w: %s (%s) is %s: want a duration from 0 (%s) to %s", errSetting, d.name, d.flag, d.value, d.zero, maxTimeout)
		}
	}
	for _, t := range cfg.requestTimeouts() {
		if t.value < 0 || t.value > maxRequestSecs {
			return fmt.Errorf("%w: %s is %d: want a number of seconds from 0 (the default) to %d", errSetting, t.name, t.value, maxRequestSecs)
		}
	}
	return nil
}

// check fails unless r.value is 0 or within r's range.
func (r sizeRule) check() error {
	if r.value == 0 {
		return nil
	}
	if r.value >= r.min && r.value <= r.max && (!r.pow2 || r.value&(r.value-1) == 0) {
		return nil
	}
	what := "a size"
	if r.pow2 {
		what = "a power of two"
	}
	return fmt.Errorf("%w: %s (%s) is %d bytes: want 0 (%s) or %s from %s to %s",
		errSetting, r.name, r.flag, r.value, r.zero, what, formatSize(r.min), formatSize(r.max))
}

// namedInt is an integer setting and its name in the config file.
type namedInt struct {
	name  string
	value int
}

// requestTimeouts lists the request timeouts of the store sections present.
func (c *config) requestTimeouts() []namedInt {
	var out []namedInt
	if c.S3 != nil {
		out = append(out, namedInt{"s3.request_timeout_seconds", c.S3.RequestTimeout})
	}
	if c.GCS != nil {
		out = append(out, namedInt{"gcs.request_timeout_seconds", c.GCS.RequestTimeout})
	}
	if c.Azure != nil {
		out = append(out, namedInt{"azure.request_timeout_seconds", c.Azure.RequestTimeout})
	}
	if c.AwsS3Storage != nil {
		out = append(out, namedInt{"AwsS3Storage.RequestTimeout", c.AwsS3Storage.RequestTimeout},
			namedInt{"AwsS3Storage.ConnectionTimeout", c.AwsS3Storage.ConnectionTimeout})
	}
	return out
}

// formatSize writes n with the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.suffix)
		}
	}
	return fmt.Sprintf("%d", n)
}

// transportEnv holds the environment variables that point a store's SDK
// at another endpoint when the config names none.
type transportEnv struct {
	awsEndpoint     string // AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL
	gcsEmulatorHost string // STORAGE_EMULATOR_HOST
}

// checkTransport refuses a plain-HTTP endpoint whose host is not a loopback
// address unless allowInsecure is set, and refuses, on any plain-HTTP
// endpoint, credentials that would travel as bearer secrets (a GCS service
// account's OAuth token, an Azure SAS). On plain HTTP an S3 store signs
// every body (SignPayload), so that an altered upload is refused by the
// server rather than stored and refused at read.
func checkTransport(spec *storeSpec, allowInsecure bool, env transportEnv) error {
	endpoint, sas := "", false
	switch spec.Kind {
	case "s3":
		endpoint = spec.Endpoint
		if endpoint == "" {
			endpoint = env.awsEndpoint
		}
	case "gcs":
		endpoint = spec.Endpoint
		if endpoint == "" {
			endpoint = env.gcsEmulatorHost
		}
		if endpoint != "" && !strings.Contains(endpoint, "://") {
			endpoint = "http://" + endpoint // as the GCS client reads it
		}
	case "azure":
		endpoint = spec.Endpoint
		cs := parseConnectionString(spec.ConnectionString)
		if endpoint == "" {
			endpoint = cs["blobendpoint"]
		}
		if endpoint == "" && strings.EqualFold(cs["defaultendpointsprotocol"], "http") {
			endpoint = "http://" + cs["accountname"] + ".blob.core.windows.net"
		}
		sas = spec.SASToken != "" || cs["sharedaccesssignature"] != ""
	default:
		return nil
	}
	if endpoint == "" {
		return nil // the SDK's HTTPS default
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("%w: %s endpoint is not a URL", errSetting, spec.Kind) // the text may hold a secret: not shown
	}
	if !strings.EqualFold(u.Scheme, "http") {
		return nil
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if !isLoopbackHost(u.Hostname()) && !allowInsecure {
		return fmt.Errorf("%w: %s endpoint %s is plain HTTP to another host: anyone on the network sees and can alter the traffic; use https://, or set \"allow_insecure_http\": true (--allow-insecure-http) if the network is trusted",
			errSetting, spec.Kind, shown)
	}
	switch {
	case spec.Kind == "gcs" && spec.ServiceAccountFile != "":
		return fmt.Errorf("%w: gcs endpoint %s is plain HTTP: the service account's OAuth bearer token would travel in clear; use https://, or no service_account_file with an emulator", errSetting, shown)
	case spec.Kind == "azure" && sas:
		return fmt.Errorf("%w: azure endpoint %s is plain HTTP: the SAS token (a bearer secret in every URL) would travel in clear; use https://, or an account key (which only signs requests)", errSetting, shown)
	case spec.Kind == "s3":
		spec.SignPayload = true
	}
	return nil
}

// isLoopbackHost reports whether host names this machine only.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseConnectionString splits an Azure connection string into its
// fields, keyed in lower case.
func parseConnectionString(cs string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(cs, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			out[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return out
}
