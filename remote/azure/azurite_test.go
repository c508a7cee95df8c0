package azure

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

const (
	// azuriteVersion is the version scripts/tools/azurite.sh installs.
	azuriteVersion = "3.37.0"
	// azuriteAccount and azuriteKey are Azurite's well-known development
	// account (public: documented by Microsoft, accepted only by emulators).
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	// azuriteReadyTimeout bounds the wait for Azurite to accept requests.
	azuriteReadyTimeout = 60 * time.Second
)

// azuriteBinary finds azurite-blob: $SEALFS_AZURITE, else PATH, else the
// tools cache that scripts/tools/azurite.sh fills.
func azuriteBinary() (string, bool) {
	if p := os.Getenv("SEALFS_AZURITE"); p != "" {
		return p, true
	}
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		return p, true
	}
	dir := os.Getenv("SEALFS_TOOLS_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(home, ".cache", "sealfs-tools")
	}
	p := filepath.Join(dir, "azurite-"+azuriteVersion, "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// startAzurite runs Azurite's blob service on a free loopback port until
// the test ends and returns the blob endpoint of its development account.
func startAzurite(t testing.TB) string {
	t.Helper()
	bin, ok := azuriteBinary()
	testenv.Require(t, "azurite-blob", ok, "run scripts/test.sh, or set SEALFS_AZURITE to the azurite-blob executable")
	port := testenv.FreePort(t)
	var output syncBuffer
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(port),
		"--location", t.TempDir(), "--skipApiVersionCheck", "--silent", "--disableTelemetry",
		// Azure keeps idle connections for minutes; Azurite's default of 5 s
		// lets it close one the client is reusing (a broken pipe under load).
		"--blobKeepAliveTimeout", "300")
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/%s", port, azuriteAccount)
	deadline := time.Now().Add(azuriteReadyTimeout)
	for {
		resp, err := http.Get(endpoint + "?comp=list")
		if err == nil {
			resp.Body.Close()
			return endpoint
		}
		select {
		case err := <-exited:
			t.Fatalf("azurite-blob exited before it was ready (%v):\n%s", err, output.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("azurite-blob not ready after %v:\n%s", azuriteReadyTimeout, output.String())
		}
	}
}

// connectionString returns the connection string of Azurite's account at endpoint.
func connectionString(endpoint string) string {
	return "DefaultEndpointsProtocol=http;AccountName=" + azuriteAccount + ";AccountKey=" + azuriteKey +
		";BlobEndpoint=" + endpoint + ";"
}

// syncBuffer collects a child process's output for error messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
