package main

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestS3Operation(t *testing.T) {
	tests := []struct {
		method, target string
		header         http.Header
		want           string
	}{
		{"HEAD", "/bench", nil, "HEAD HeadBucket"},
		{"HEAD", "/bench/sealfs/aa/bb/x", nil, "HEAD HeadObject"},
		{"GET", "/bench/sealfs/x", nil, "GET GetObject"},
		{"GET", "/bench/sealfs/x", http.Header{"Range": {"bytes=0-9"}}, "GET GetObject (range)"},
		{"GET", "/bench?list-type=2&prefix=sealfs%2F", nil, "GET ListObjectsV2"},
		{"GET", "/bench/?list-type=2", nil, "GET ListObjectsV2"},
		{"GET", "/bench?uploads", nil, "GET ListMultipartUploads"},
		{"GET", "/bench?location", nil, "GET GetBucketLocation"},
		{"GET", "/bench?prefix=a", nil, "GET ListObjects"},
		{"PUT", "/bench", nil, "PUT CreateBucket"},
		{"PUT", "/bench/k", nil, "PUT PutObject"},
		{"PUT", "/bench/k?partNumber=1&uploadId=u", nil, "PUT UploadPart"},
		{"PUT", "/bench/k", http.Header{"X-Amz-Copy-Source": {"/bench/j"}}, "PUT CopyObject"},
		{"POST", "/bench?delete", nil, "POST DeleteObjects"},
		{"POST", "/bench/k?uploads", nil, "POST CreateMultipartUpload"},
		{"POST", "/bench/k?uploadId=u", nil, "POST CompleteMultipartUpload"},
		{"POST", "/bench/k", nil, "POST other"},
		{"DELETE", "/bench/k", nil, "DELETE DeleteObject"},
		{"DELETE", "/bench/k?uploadId=u", nil, "DELETE AbortMultipartUpload"},
		{"DELETE", "/bench", nil, "DELETE DeleteBucket"},
		{"PATCH", "/bench/k", nil, "PATCH other"},
	}
	for _, tt := range tests {
		t.Run(tt.want+" "+tt.target, func(t *testing.T) {
			u, err := url.Parse(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			header := tt.header
			if header == nil {
				header = http.Header{}
			}
			if got := s3Operation(tt.method, u, header); got != tt.want {
				t.Errorf("s3Operation(%s %s) = %q, want %q", tt.method, tt.target, got, tt.want)
			}
		})
	}
}

func TestCountingProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path)
	}))
	defer backend.Close()
	p, err := startCountingProxy(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	do := func(method, path string) string {
		req, err := http.NewRequest(method, p.endpoint()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	if got := do("PUT", "/bench/a"); got != "PUT /bench/a" {
		t.Errorf("proxied answer %q, want the backend's", got)
	}
	do("PUT", "/bench/b")
	do("HEAD", "/bench/a")
	want := requestCounts{"PUT PutObject": 2, "HEAD HeadObject": 1}
	if got := p.take(); !maps.Equal(got, want) {
		t.Errorf("take() = %v, want %v", got, want)
	}
	if got := p.take(); len(got) != 0 {
		t.Errorf("second take() = %v, want nothing", got)
	}
	do("GET", "/bench?list-type=2")
	if got := p.take(); got.total() != 1 || !strings.Contains(strings.Join(operations(got), ","), "ListObjectsV2") {
		t.Errorf("take() after a listing = %v", got)
	}
}

func TestMergeCountsAndOperations(t *testing.T) {
	into := requestCounts{"PUT PutObject": 1}
	mergeCounts(into, requestCounts{"PUT PutObject": 2, "HEAD HeadObject": 3})
	if want := (requestCounts{"PUT PutObject": 3, "HEAD HeadObject": 3}); !maps.Equal(into, want) {
		t.Errorf("mergeCounts = %v, want %v", into, want)
	}
	if into.total() != 6 {
		t.Errorf("total = %d, want 6", into.total())
	}
	got := operations(into, requestCounts{"GET GetObject": 1})
	if want := "GET GetObject,HEAD HeadObject,PUT PutObject"; strings.Join(got, ",") != want {
		t.Errorf("operations = %q, want %s", got, want)
	}
}
