package testenv

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Tool versions that scripts/tools/*.sh install into the tools cache.
const (
	MinIOVersion   = "v0.0.0-20260212201848-7aac2a2c5b7c"
	FakeGCSVersion = "v1.56.1"
	AzuriteVersion = "3.37.0"
	NFPMVersion    = "v2.48.0"
)

// Azurite's well-known development account: public, documented by
// Microsoft, accepted only by emulators.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// ToolsDir is the cache that scripts/test.sh builds test servers into.
func ToolsDir() string {
	if d := os.Getenv("SEALFS_TOOLS_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "sealfs-tools")
	}
	return filepath.Join(home, ".cache", "sealfs-tools")
}

// FindTool locates a test server: $envVar, else name on PATH, else
// cachePath (relative to ToolsDir).
func FindTool(envVar, name, cachePath string) (string, bool) {
	if p := os.Getenv(envVar); p != "" {
		return p, true
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	p := filepath.Join(ToolsDir(), cachePath)
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Server is a test server process started by StartServer.
type Server struct {
	cmd    *exec.Cmd
	output *lockedBuffer
	exited chan error
}

// StartServer runs argv with env added until the test ends, and waits (at
// most 90 s) until GET readyURL answers. It fails the test if the server
// exits or never gets ready, showing the server's output.
func StartServer(t testing.TB, env []string, readyURL string, argv ...string) *Server {
	t.Helper()
	s := &Server{output: &lockedBuffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", argv[0], err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(s.Kill)
	deadline := time.Now().Add(90 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(readyURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return s
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("%s exited before it was ready (%v):\n%s", filepath.Base(argv[0]), err, s.output.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 90s:\n%s", filepath.Base(argv[0]), s.output.String())
		}
	}
}

// Kill stops the server and waits for it to exit.
func (s *Server) Kill() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Kill()
	err := <-s.exited
	s.exited <- err
}

// Output returns what the server printed so far.
func (s *Server) Output() string { return s.output.String() }

// MinIO is a running MinIO server.
type MinIO struct {
	*Server
	Endpoint             string // http://127.0.0.1:PORT
	AccessKey, SecretKey string
	Dir                  string // its data directory
	argv                 []string
	env                  []string
}

// StartMinIO runs MinIO on a free loopback port with a fresh data
// directory until the test ends.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	bin, ok := FindTool("SEALFS_MINIO", "minio", filepath.Join("minio-"+MinIOVersion, "minio"))
	Require(t, "minio", ok, "run scripts/test.sh (it builds MinIO into the tools cache), or set SEALFS_MINIO")
	m := &MinIO{AccessKey: "sealfs-test", SecretKey: "sealfs-test-secret", Dir: t.TempDir()}
	port := FreePort(t)
	m.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
	m.env = []string{"MINIO_ROOT_USER=" + m.AccessKey, "MINIO_ROOT_PASSWORD=" + m.SecretKey, "MINIO_BROWSER=off"}
	m.argv = []string{bin, "server", m.Dir, "--address", "127.0.0.1:" + strconv.Itoa(port),
		"--console-address", "127.0.0.1:" + strconv.Itoa(FreePort(t)), "--quiet"}
	m.Server = StartServer(t, m.env, m.readyURL(), m.argv...)
	return m
}

// Restart kills MinIO and starts it again on the same port and data.
func (m *MinIO) Restart(t testing.TB) {
	t.Helper()
	m.Kill()
	m.Server = StartServer(t, m.env, m.readyURL(), m.argv...)
}

// readyURL answers 403 to an anonymous GET once MinIO serves S3 calls;
// /minio/health/ready says 200 a moment earlier, while they still get 503.
func (m *MinIO) readyURL() string { return m.Endpoint + "/" }

// StartFakeGCS runs fake-gcs-server (memory backend) on a free loopback
// port until the test ends and returns its host:port.
func StartFakeGCS(t testing.TB) string {
	t.Helper()
	bin, ok := FindTool("SEALFS_FAKEGCS", "fake-gcs-server", filepath.Join("fakegcs-"+FakeGCSVersion, "fake-gcs-server"))
	Require(t, "fake-gcs-server", ok, "run scripts/test.sh (it builds fake-gcs-server into the tools cache), or set SEALFS_FAKEGCS")
	port := strconv.Itoa(FreePort(t))
	addr := "127.0.0.1:" + port
	StartServer(t, nil, "http://"+addr+"/storage/v1/b", bin, "-scheme", "http", "-host", "127.0.0.1", "-port", port,
		"-backend", "memory", "-public-host", addr, "-external-url", "http://"+addr, "-log-level", "error")
	return addr
}

// StartAzurite runs Azurite's blob service on a free loopback port until
// the test ends and returns its connection string.
func StartAzurite(t testing.TB) string {
	t.Helper()
	bin, ok := FindTool("SEALFS_AZURITE", "azurite-blob", filepath.Join("azurite-"+AzuriteVersion, "node_modules", ".bin", "azurite-blob"))
	Require(t, "azurite-blob", ok, "run scripts/test.sh (it installs Azurite into the tools cache), or set SEALFS_AZURITE")
	port := strconv.Itoa(FreePort(t))
	endpoint := "http://127.0.0.1:" + port + "/" + AzuriteAccount
	StartServer(t, nil, endpoint+"?comp=list", bin, "--blobHost", "127.0.0.1", "--blobPort", port,
		"--location", t.TempDir(), "--skipApiVersionCheck", "--silent", "--disableTelemetry",
		// Azure keeps idle connections for minutes; Azurite's default of 5 s
		// lets it close one the client is reusing (a broken pipe under load).
		"--blobKeepAliveTimeout", "300")
	return "DefaultEndpointsProtocol=http;AccountName=" + AzuriteAccount + ";AccountKey=" + AzuriteKey + ";BlobEndpoint=" + endpoint + ";"
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
