package azure

import (
	"io"
	"net/http"
	"strings"
	"sync"
)

// request is what recordingTransport remembers of one request.
type request struct {
	method, query string
	ifNoneMatch   string
	ifMatch       string
}

// recordingTransport sends requests with http.DefaultClient and records them.
type recordingTransport struct {
	mu       sync.Mutex
	requests []request
}

// Do records req and sends it.
func (rt *recordingTransport) Do(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.requests = append(rt.requests, request{
		method: req.Method, query: req.URL.Query().Get("comp"),
		ifNoneMatch: req.Header.Get("If-None-Match"), ifMatch: req.Header.Get("If-Match"),
	})
	rt.mu.Unlock()
	return http.DefaultClient.Do(req)
}

// take returns the requests recorded since the last call and forgets them.
func (rt *recordingTransport) take() []request {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := rt.requests
	rt.requests = nil
	return out
}

// cannedTransport answers every request with one status and Azure error
// code, or with err, without any network.
type cannedTransport struct {
	status int
	code   string
	err    error
}

// Do returns the canned answer.
func (ct cannedTransport) Do(req *http.Request) (*http.Response, error) {
	if ct.err != nil {
		return nil, ct.err
	}
	header := http.Header{}
	if ct.code != "" {
		header.Set("x-ms-error-code", ct.code)
	}
	return &http.Response{
		StatusCode: ct.status, Status: http.StatusText(ct.status), Header: header,
		Body: io.NopCloser(strings.NewReader("")), Request: req,
	}, nil
}
