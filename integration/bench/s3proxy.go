package main

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// requestCounts maps an S3 operation ("PUT PutObject") to how many
// requests of it were seen.
type requestCounts map[string]int

// total returns the number of requests of every operation.
func (c requestCounts) total() int {
	sum := 0
	for _, n := range c {
		sum += n
	}
	return sum
}

// countingProxy is a reverse proxy in front of MinIO that counts the
// requests passing through it, by S3 operation.
type countingProxy struct {
	server   *http.Server
	listener net.Listener
	done     chan error

	mu     sync.Mutex
	counts requestCounts
}

// startCountingProxy listens on a free loopback port and forwards every
// request to target (http://host:port).
func startCountingProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("proxy target: %w", err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	forward := httputil.NewSingleHostReverseProxy(u)
	// The default transport keeps only two idle connections per host, which
	// would make parallel requests open new connections; keep plenty.
	forward.Transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	p := &countingProxy{listener: listener, done: make(chan error, 1), counts: requestCounts{}}
	p.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.count(s3Operation(r.Method, r.URL, r.Header))
			forward.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: time.Minute,
	}
	go func() { p.done <- p.server.Serve(listener) }()
	return p, nil
}

// endpoint is the proxy's URL, to give sealfs instead of MinIO's.
func (p *countingProxy) endpoint() string {
	return "http://" + p.listener.Addr().String()
}

// count records one request of operation op.
func (p *countingProxy) count(op string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[op]++
}

// take returns the counts since the last take and starts counting afresh.
func (p *countingProxy) take() requestCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	counts := p.counts
	p.counts = requestCounts{}
	return counts
}

// close stops the proxy.
func (p *countingProxy) close() error {
	err := p.server.Close()
	if serveErr := <-p.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// s3Operation names the S3 operation of a path-style request (/bucket or
// /bucket/key), prefixed by its HTTP method: "PUT PutObject",
// "GET GetObject (range)", "GET ListObjectsV2".
func s3Operation(method string, u *url.URL, header http.Header) string {
	query := u.Query()
	_, key, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	onObject := key != ""
	name := "other"
	switch method {
	case http.MethodHead:
		name = "HeadBucket"
		if onObject {
			name = "HeadObject"
		}
	case http.MethodGet:
		switch {
		case onObject && header.Get("Range") != "":
			name = "GetObject (range)"
		case onObject:
			name = "GetObject"
		case query.Get("list-type") == "2":
			name = "ListObjectsV2"
		case query.Has("uploads"):
			name = "ListMultipartUploads"
		case query.Has("location"):
			name = "GetBucketLocation"
		case query.Has("versioning"):
			name = "GetBucketVersioning"
		default:
			name = "ListObjects"
		}
	case http.MethodPut:
		switch {
		case !onObject:
			name = "CreateBucket"
		case query.Has("uploadId"):
			name = "UploadPart"
		case header.Get("X-Amz-Copy-Source") != "":
			name = "CopyObject"
		default:
			name = "PutObject"
		}
	case http.MethodPost:
		switch {
		case query.Has("delete"):
			name = "DeleteObjects"
		case query.Has("uploads"):
			name = "CreateMultipartUpload"
		case query.Has("uploadId"):
			name = "CompleteMultipartUpload"
		}
	case http.MethodDelete:
		switch {
		case !onObject:
			name = "DeleteBucket"
		case query.Has("uploadId"):
			name = "AbortMultipartUpload"
		default:
			name = "DeleteObject"
		}
	}
	return method + " " + name
}

// mergeCounts adds every count of from into into.
func mergeCounts(into, from requestCounts) {
	for op, n := range from {
		into[op] += n
	}
}

// operations returns the operations seen in any of counts, sorted.
func operations(counts ...requestCounts) []string {
	seen := map[string]bool{}
	for _, c := range counts {
		for op := range c {
			seen[op] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
