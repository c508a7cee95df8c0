package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// storeSpec says which store to open and how: the STORE URL, completed by
// the config file's store sections. Secrets (keys, connection strings)
// come only from the config file or the environment, never from the URL.
type storeSpec struct {
	Kind     string // "local", "s3", "gcs", "azure"
	Dir      string // local
	SyncDirs bool   // local: fsync every changed directory
	Bucket   string // s3, gcs; azure: the container
	Prefix   string

	Endpoint     string
	Region       string
	PathStyle    bool
	CABundle     string
	StorageClass string
	AccessKey    string
	SecretKey    string
	SignPayload  bool // s3: sign every body (always on plain HTTP)

	ServiceAccountFile string

	ConnectionString string
	AccountName      string
	AccountKey       string
	SASToken         string
	AccessTier       string

	RequestTimeoutSeconds int
}

// s3Section is sealfs's "s3" config section.
type s3Section struct {
	Endpoint       string `json:"endpoint"`
	Region         string `json:"region"`
	PathStyle      bool   `json:"path_style"`
	CABundle       string `json:"ca_bundle"`
	StorageClass   string `json:"storage_class"`
	AccessKey      string `json:"access_key"`
	SecretKey      string `json:"secret_key"`
	RequestTimeout int    `json:"request_timeout_seconds"`
}

// gcsSection is sealfs's "gcs" config section.
type gcsSection struct {
	ServiceAccountFile string `json:"service_account_file"`
	Endpoint           string `json:"endpoint"`
	RequestTimeout     int    `json:"request_timeout_seconds"`
}

// azureSection is sealfs's "azure" config section.
type azureSection struct {
	ConnectionString string `json:"connection_string"`
	AccountName      string `json:"account_name"`
	AccountKey       string `json:"account_key"`
	SASToken         string `json:"sas_token"`
	Endpoint         string `json:"endpoint"`
	AccessTier       string `json:"access_tier"`
	RequestTimeout   int    `json:"request_timeout_seconds"`
}

// orthancS3 is the Orthanc object-storage plugin's "AwsS3Storage" section.
type orthancS3 struct {
	BucketName        string `json:"BucketName"`
	Region            string `json:"Region"`
	AccessKey         string `json:"AccessKey"`
	SecretKey         string `json:"SecretKey"`
	Endpoint          string `json:"Endpoint"`
	VirtualAddressing *bool  `json:"VirtualAddressing"`
	RootPath          string `json:"RootPath"`
	CaFile            string `json:"CaFile"`
	StorageClass      string `json:"StorageClass"`
	RequestTimeout    int    `json:"RequestTimeout"`    // seconds
	ConnectionTimeout int    `json:"ConnectionTimeout"` // seconds; folded into the request timeout
	StorageStructure  string `json:"StorageStructure"`
}

// orthancGCS is the plugin's "GoogleCloudStorage" section.
type orthancGCS struct {
	BucketName         string `json:"BucketName"`
	ServiceAccountFile string `json:"ServiceAccountFile"`
	RootPath           string `json:"RootPath"`
	StorageStructure   string `json:"StorageStructure"`
}

// orthancAzure is the plugin's "AzureBlobStorage" section.
type orthancAzure struct {
	ConnectionString string `json:"ConnectionString"`
	ContainerName    string `json:"ContainerName"`
	RootPath         string `json:"RootPath"`
	StorageStructure string `json:"StorageStructure"`
}

// parseStoreURL reads STORE: a path, file:///path, s3://bucket/prefix,
// gs://bucket/prefix or az://container/prefix, with optional query
// parameters endpoint, region, path-style, storage-class, access-tier,
// ca-bundle.
func parseStoreURL(store string) (storeSpec, error) {
	if !strings.Contains(store, "://") {
		return storeSpec{Kind: "local", Dir: store}, nil
	}
	u, err := url.Parse(store)
	if err != nil {
		return storeSpec{}, fmt.Errorf("store %q: %w", store, err)
	}
	if u.User != nil {
		return storeSpec{}, fmt.Errorf("store %q: credentials do not belong in the store URL (ps and shell history show it); put them in the config file or the environment", u.Redacted())
	}
	spec := storeSpec{Bucket: u.Host, Prefix: strings.TrimPrefix(u.Path, "/")}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return storeSpec{}, fmt.Errorf("store %q: file:// URLs must name a local path (file:///path)", store)
		}
		return storeSpec{Kind: "local", Dir: u.Path}, nil
	case "s3":
		spec.Kind = "s3"
	case "gs", "gcs":
		spec.Kind = "gcs"
	case "az", "azure":
		spec.Kind = "azure"
	default:
		return storeSpec{}, fmt.Errorf("store %q: unknown scheme %s:// (want a path, file://, s3://, gs:// or az://)", store, u.Scheme)
	}
	if spec.Bucket == "" {
		return storeSpec{}, fmt.Errorf("store %q: no bucket or container name", store)
	}
	for name, values := range u.Query() {
		v := values[len(values)-1]
		switch name {
		case "endpoint":
			spec.Endpoint = v
		case "region":
			spec.Region = v
		case "path-style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return storeSpec{}, fmt.Errorf("store %q: path-style=%q: want true or false", store, v)
			}
			spec.PathStyle = b
		case "storage-class":
			spec.StorageClass = v
		case "access-tier":
			spec.AccessTier = v
		case "ca-bundle":
			spec.CABundle = v
		default:
			return storeSpec{}, fmt.Errorf("store %q: unknown parameter %q (want endpoint, region, path-style, storage-class, access-tier or ca-bundle)", store, name)
		}
	}
	return spec, nil
}

// storeSpec combines the STORE URL (or, without one, an Orthanc plugin
// section) with the config's store sections.
func (c *config) storeSpec() (storeSpec, error) {
	store := c.Store
	if store == "" {
		switch {
		case c.AwsS3Storage != nil:
			store = "s3://" + c.AwsS3Storage.BucketName + "/" + c.AwsS3Storage.RootPath
		case c.GoogleCloudStorage != nil:
			store = "gs://" + c.GoogleCloudStorage.BucketName + "/" + c.GoogleCloudStorage.RootPath
		case c.AzureBlobStorage != nil:
			store = "az://" + c.AzureBlobStorage.ContainerName + "/" + c.AzureBlobStorage.RootPath
		default:
			return storeSpec{}, errors.New("no STORE given (a directory, file:///path, s3://, gs:// or az://)")
		}
	}
	spec, err := parseStoreURL(store)
	if err != nil {
		return spec, err
	}
	for _, section := range []struct {
		name, kind string
		set        bool
	}{
		{"s3", "s3", c.S3 != nil}, {"AwsS3Storage", "s3", c.AwsS3Storage != nil},
		{"gcs", "gcs", c.GCS != nil}, {"GoogleCloudStorage", "gcs", c.GoogleCloudStorage != nil},
		{"azure", "azure", c.Azure != nil}, {"AzureBlobStorage", "azure", c.AzureBlobStorage != nil},
	} {
		if section.set && section.kind != spec.Kind {
			return spec, fmt.Errorf("config section %q does not apply to store %s (a %s store)", section.name, store, spec.Kind)
		}
	}
	if err := c.applyStoreSections(&spec); err != nil {
		return spec, err
	}
	return spec, nil
}

func (c *config) applyStoreSections(spec *storeSpec) error {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if o := c.AwsS3Storage; o != nil {
		if o.StorageStructure != "" && o.StorageStructure != "legacy" {
			return fmt.Errorf(`AwsS3Storage.StorageStructure %q: sealfs stores objects at their file paths (Orthanc's "legacy" xx/yy/uuid layout); plugin objects are not read in place`, o.StorageStructure)
		}
		set(&spec.Region, o.Region)
		set(&spec.AccessKey, o.AccessKey)
		set(&spec.SecretKey, o.SecretKey)
		set(&spec.Endpoint, o.Endpoint)
		set(&spec.CABundle, o.CaFile)
		set(&spec.StorageClass, o.StorageClass)
		if o.VirtualAddressing != nil {
			spec.PathStyle = !*o.VirtualAddressing
		}
		spec.RequestTimeoutSeconds = max(o.RequestTimeout, o.ConnectionTimeout)
	}
	if s := c.S3; s != nil {
		set(&spec.Endpoint, s.Endpoint)
		set(&spec.Region, s.Region)
		set(&spec.CABundle, s.CABundle)
		set(&spec.StorageClass, s.StorageClass)
		set(&spec.AccessKey, s.AccessKey)
		set(&spec.SecretKey, s.SecretKey)
		spec.PathStyle = spec.PathStyle || s.PathStyle
		if s.RequestTimeout > 0 {
			spec.RequestTimeoutSeconds = s.RequestTimeout
		}
	}
	if o := c.GoogleCloudStorage; o != nil {
		if o.StorageStructure != "" && o.StorageStructure != "legacy" {
			return fmt.Errorf(`GoogleCloudStorage.StorageStructure %q: sealfs stores objects at their file paths (the "legacy" layout)`, o.StorageStructure)
		}
		set(&spec.ServiceAccountFile, o.ServiceAccountFile)
	}
	if g := c.GCS; g != nil {
		set(&spec.ServiceAccountFile, g.ServiceAccountFile)
		set(&spec.Endpoint, g.Endpoint)
		if g.RequestTimeout > 0 {
			spec.RequestTimeoutSeconds = g.RequestTimeout
		}
	}
	if o := c.AzureBlobStorage; o != nil {
		if o.StorageStructure != "" && o.StorageStructure != "legacy" {
			return fmt.Errorf(`AzureBlobStorage.StorageStructure %q: sealfs stores objects at their file paths (the "legacy" layout)`, o.StorageStructure)
		}
		set(&spec.ConnectionString, o.ConnectionString)
	}
	if a := c.Azure; a != nil {
		set(&spec.ConnectionString, a.ConnectionString)
		set(&spec.AccountName, a.AccountName)
		set(&spec.AccountKey, a.AccountKey)
		set(&spec.SASToken, a.SASToken)
		set(&spec.Endpoint, a.Endpoint)
		set(&spec.AccessTier, a.AccessTier)
		if a.RequestTimeout > 0 {
			spec.RequestTimeoutSeconds = a.RequestTimeout
		}
	}
	if spec.AccessKey != "" && spec.SecretKey == "" || spec.AccessKey == "" && spec.SecretKey != "" {
		return errors.New("s3: set both access key and secret key, or neither (to use the AWS credential chain)")
	}
	return nil
}

// String describes the store without secrets, for logs.
func (s storeSpec) String() string {
	switch s.Kind {
	case "local":
		return s.Dir
	case "s3":
		return "s3://" + s.Bucket + "/" + s.Prefix
	case "gcs":
		return "gs://" + s.Bucket + "/" + s.Prefix
	case "azure":
		return "az://" + s.Bucket + "/" + s.Prefix
	}
	return s.Kind
}
