package azure

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
)

// defaultRequestTimeout bounds one attempt of a metadata request.
const defaultRequestTimeout = 30 * time.Second

// errConfig marks an invalid Config.
var errConfig = errors.New("azure: invalid config")

// Config configures a Store. Give exactly one way to authenticate: a
// ConnectionString, AccountName with AccountKey, or AccountName with
// SASToken.
type Config struct {
	// Container names the blob container holding the objects. Required.
	Container string
	// Prefix is prepended to every key ("" for none); a non-empty prefix
	// is given a trailing "/" if it lacks one.
	Prefix string
	// ConnectionString is an Azure Storage connection string
	// ("DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;BlobEndpoint=…").
	ConnectionString string
	// AccountName names the storage account (with AccountKey or SASToken).
	AccountName string
	// AccountKey is the account's shared key, base64 as the portal shows it.
	AccountKey string
	// SASToken is a shared access signature query string (a leading "?" is allowed).
	SASToken string
	// Endpoint is the blob service URL, such as
	// "https://ACCOUNT.blob.core.windows.net/". By default it is derived
	// from AccountName; with a ConnectionString it replaces the string's
	// BlobEndpoint.
	Endpoint string
	// AccessTier is the tier of new blobs: Hot, Cool, Cold or Archive;
	// empty means the account's default.
	AccessTier string
	// CreateContainer creates the container if it does not exist (for tests).
	CreateContainer bool
	// SpoolDir is the existing directory where uploads are staged before
	// they are sent. Required.
	SpoolDir string
	// RequestTimeout bounds one attempt of a metadata request (default
	// 30s); transfers get it plus one second per MiB.
	RequestTimeout time.Duration
	// Logger receives the store's logs; nil means slog.Default().
	Logger *slog.Logger

	// transport replaces the HTTP client; tests use it to count requests.
	transport policy.Transporter
}

// accessTiers are the tiers a block blob may be given at upload.
var accessTiers = []blob.AccessTier{blob.AccessTierHot, blob.AccessTierCool, blob.AccessTierCold, blob.AccessTierArchive}

// String describes the config without its secrets, so that printing it
// by mistake leaks nothing.
func (c Config) String() string {
	auth := "none"
	switch {
	case c.ConnectionString != "":
		auth = "connection string"
	case c.AccountKey != "":
		auth = "account key"
	case c.SASToken != "":
		auth = "SAS token"
	}
	return fmt.Sprintf("azure.Config{Container: %q, Prefix: %q, AccountName: %q, Endpoint: %q, auth: %s}",
		c.Container, c.Prefix, c.AccountName, c.Endpoint, auth)
}

// normalized checks c and returns it with defaults filled in and Prefix
// ending in "/".
func (c Config) normalized() (Config, error) {
	if c.Container == "" {
		return c, fmt.Errorf("%w: Container is required", errConfig)
	}
	if err := c.checkAuth(); err != nil {
		return c, err
	}
	if c.SpoolDir == "" {
		return c, fmt.Errorf("%w: SpoolDir is required", errConfig)
	}
	if fi, err := os.Stat(c.SpoolDir); err != nil {
		return c, fmt.Errorf("%w: SpoolDir: %w", errConfig, err)
	} else if !fi.IsDir() {
		return c, fmt.Errorf("%w: SpoolDir %s is not a directory", errConfig, c.SpoolDir)
	}
	if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.Prefix != "" {
		if _, err := checkKey(c.Prefix); err != nil {
			return c, fmt.Errorf("%w: Prefix: %w", errConfig, err)
		}
	}
	if c.AccessTier != "" {
		tier, ok := parseTier(c.AccessTier)
		if !ok {
			return c, fmt.Errorf("%w: AccessTier %q is not Hot, Cool, Cold or Archive", errConfig, c.AccessTier)
		}
		c.AccessTier = string(tier)
	}
	switch {
	case c.RequestTimeout < 0:
		return c, fmt.Errorf("%w: negative RequestTimeout", errConfig)
	case c.RequestTimeout == 0:
		c.RequestTimeout = defaultRequestTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// checkAuth checks that exactly one way to authenticate is configured.
func (c Config) checkAuth() error {
	switch {
	case c.ConnectionString != "":
		if c.AccountName != "" || c.AccountKey != "" || c.SASToken != "" {
			return fmt.Errorf("%w: ConnectionString excludes AccountName, AccountKey and SASToken", errConfig)
		}
	case c.AccountName == "":
		return fmt.Errorf("%w: ConnectionString or AccountName is required", errConfig)
	case c.AccountKey != "" && c.SASToken != "":
		return fmt.Errorf("%w: set AccountKey or SASToken, not both", errConfig)
	case c.AccountKey == "" && c.SASToken == "":
		return fmt.Errorf("%w: AccountName needs AccountKey or SASToken", errConfig)
	}
	return nil
}

// parseTier returns the access tier named by s (case-insensitive).
func parseTier(s string) (blob.AccessTier, bool) {
	for _, tier := range accessTiers {
		if strings.EqualFold(s, string(tier)) {
			return tier, true
		}
	}
	return "", false
}
