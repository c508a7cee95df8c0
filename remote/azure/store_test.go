package azure

import (
	"crypto/rand"
	"testing"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/storetest"
)

// testContainer is the container the Azurite tests share; each store
// gets its own random prefix in it.
const testContainer = "sealfs-test"

// newTestStore returns a store on a fresh random prefix of testContainer
// at endpoint, closed when the test ends (if storetest does not close it).
func newTestStore(t testing.TB, endpoint string, edit func(*Config)) *Store {
	t.Helper()
	cfg := Config{
		Container:        testContainer,
		Prefix:           "t-" + rand.Text(),
		ConnectionString: connectionString(endpoint),
		CreateContainer:  true,
		SpoolDir:         t.TempDir(),
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// TestAzurite runs the conformance suite and the Azure-specific tests
// against one Azurite server.
func TestAzurite(t *testing.T) {
	endpoint := startAzurite(t)
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) remote.Store { return newTestStore(t, endpoint, nil) })
	})
	testAzureSpecific(t, endpoint)
}
