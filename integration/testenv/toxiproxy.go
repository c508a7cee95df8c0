package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ToxiproxyVersion is the Toxiproxy release scripts/tools/toxiproxy.sh
// installs into the tools cache.
const ToxiproxyVersion = "v2.12.0"

// Toxiproxy is a running Toxiproxy server, driven through its HTTP API.
type Toxiproxy struct {
	*Server
	// API is the base URL of its control API: http://127.0.0.1:PORT.
	API    string
	client *http.Client
}

// StartToxiproxy runs Toxiproxy on a free loopback port until the test ends.
func StartToxiproxy(t testing.TB) *Toxiproxy {
	t.Helper()
	// go install names the binary after its package directory: "server".
	bin, ok := FindTool("SEALFS_TOXIPROXY", "toxiproxy-server", filepath.Join("toxiproxy-"+ToxiproxyVersion, "server"))
	Require(t, "toxiproxy", ok, "run scripts/test.sh (it builds Toxiproxy into the tools cache), or set SEALFS_TOXIPROXY")
	port := strconv.Itoa(FreePort(t))
	tp := &Toxiproxy{API: "http://127.0.0.1:" + port, client: &http.Client{Timeout: 10 * time.Second}}
	tp.Server = StartServer(t, nil, tp.API+"/version", bin, "-host", "127.0.0.1", "-port", port, "-seed", "1")
	return tp
}

// Proxy is one proxy of a Toxiproxy server.
type Proxy struct {
	tp *Toxiproxy
	// Name identifies the proxy in the API.
	Name string
	// Listen is the address clients connect to: 127.0.0.1:PORT.
	Listen string
}

// Proxy creates an enabled proxy named name that listens on a free
// loopback port and forwards to upstream (host:port).
func (tp *Toxiproxy) Proxy(t testing.TB, name, upstream string) *Proxy {
	t.Helper()
	p := &Proxy{tp: tp, Name: name, Listen: "127.0.0.1:" + strconv.Itoa(FreePort(t))}
	tp.call(t, http.MethodPost, "/proxies", map[string]any{
		"name": name, "listen": p.Listen, "upstream": upstream, "enabled": true,
	})
	return p
}

// Toxic is a fault Toxiproxy applies to a proxy's connections, existing
// and new. See Toxiproxy's README for the types (latency, reset_peer,
// timeout, bandwidth, slow_close, limit_data, ...) and their attributes.
type Toxic struct {
	// Name identifies the toxic within its proxy.
	Name string `json:"name"`
	// Type is the kind of fault, such as "latency" or "reset_peer".
	Type string `json:"type"`
	// Stream is "downstream" (server to client, the default) or "upstream".
	Stream string `json:"stream,omitempty"`
	// Toxicity is the probability that a connection is affected; 0 means 1.
	Toxicity float64 `json:"toxicity,omitempty"`
	// Attributes are the type's parameters, such as {"latency": 300}
	// (milliseconds) or {"timeout": 0}.
	Attributes map[string]int `json:"attributes"`
}

// AddToxic starts applying toxic to the proxy.
func (p *Proxy) AddToxic(t testing.TB, toxic Toxic) {
	t.Helper()
	p.tp.call(t, http.MethodPost, "/proxies/"+p.Name+"/toxics", toxic)
}

// RemoveToxic stops applying the toxic named name.
func (p *Proxy) RemoveToxic(t testing.TB, name string) {
	t.Helper()
	p.tp.call(t, http.MethodDelete, "/proxies/"+p.Name+"/toxics/"+name, nil)
}

// SetEnabled opens (true) or closes (false) the proxy: a disabled proxy
// drops its connections and refuses new ones.
func (p *Proxy) SetEnabled(t testing.TB, enabled bool) {
	t.Helper()
	p.tp.call(t, http.MethodPost, "/proxies/"+p.Name, map[string]any{"enabled": enabled})
}

// call sends one API request with body (if not nil) as JSON and fails the
// test unless it is answered with a 2xx status.
func (tp *Toxiproxy) call(t testing.TB, method, path string, body any) {
	t.Helper()
	var payload io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("toxiproxy %s %s: %v", method, path, err)
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, tp.API+path, payload)
	if err != nil {
		t.Fatalf("toxiproxy %s %s: %v", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := tp.client.Do(req)
	if err != nil {
		t.Fatalf("toxiproxy %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		t.Fatalf("toxiproxy %s %s: %s", method, path, formatAnswer(resp.Status, answer))
	}
}

func formatAnswer(status string, body []byte) string {
	return fmt.Sprintf("%s: %s", status, bytes.TrimSpace(body))
}
