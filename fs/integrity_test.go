package fs_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

func fmtInt(n int) string { return strconv.Itoa(n) }

// An object that fails authentication must fail at open() with EIO: Orthanc
// turns a failed read() into 200 OK with zeros.
func TestTamperedObjectFailsAtOpen(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 4096)
		data := randomBytes(50_000)
		writeFile(t, m.path("t"), data)
		raw := m.readObject("t")
		for _, off := range []int{5, 60, 200, len(raw) / 2, len(raw) - 1} {
			bad := bytes.Clone(raw)
			bad[off] ^= 0x01
			m.writeObject("t", bad)
			m.remount()
			_, err := os.Open(m.path("t"))
			if !errors.Is(err, syscall.EIO) {
				t.Errorf("flip at %d: open = %v, want EIO", off, err)
			}
			if m.events.count(keyring.IntegrityFailed)+m.events.count(keyring.UnwrapFailed) == 0 {
				t.Errorf("flip at %d: no audit event", off)
			}
			if !m.logs.contains("path=t") {
				t.Errorf("flip at %d: failure not logged with the path", off)
			}
		}
	})
}

func TestSwappedObjectsFailAtOpen(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 0)
		os.MkdirAll(m.path("aa/bb"), 0o755)
		writeFile(t, m.path("aa/bb/one"), randomBytes(1000))
		writeFile(t, m.path("aa/bb/two"), randomBytes(1000))
		one, two := m.readObject("aa/bb/one"), m.readObject("aa/bb/two")
		m.writeObject("aa/bb/one", two)
		m.writeObject("aa/bb/two", one)
		m.remount()
		for _, name := range []string{"aa/bb/one", "aa/bb/two"} {
			if _, err := os.Open(m.path(name)); !errors.Is(err, syscall.EIO) {
				t.Errorf("swapped %s: open = %v, want EIO", name, err)
			}
		}
	})
}

func TestWrongKeyFailsAtOpen(t *testing.T) {
	m := newMount(t, 0)
	writeFile(t, m.path("k"), []byte("secret"))
	m.unmount()
	m.kek = bytes.Repeat([]byte{0x17}, 32)
	os.RemoveAll(filepath.Join(m.stateDir, "meta")) // the cache's state key is wrapped by the old KEK
	m.mount()
	if _, err := os.Open(m.path("k")); !errors.Is(err, syscall.EIO) {
		t.Errorf("open with the wrong KEK = %v, want EIO", err)
	}
}

// Nothing readable may land outside the mount: scan every byte under the
// store and the state dir for a marker that the files contain.
func TestNoPlaintextOutsideMount(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 4096)
		marker := []byte("PHI-MARKER-Jane-Doe-1970-01-01")
		payload := bytes.Repeat(append(bytes.Clone(marker), ' '), 3000)
		os.MkdirAll(m.path("p/q"), 0o755)
		writeFile(t, m.path("p/q/seq"), payload)
		f, err := os.OpenFile(m.path("p/q/random"), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 40; i++ {
			f.WriteAt(marker, int64((i*7919)%60000))
		}
		f.Sync()
		// Scan while the random file is still open (staged) and after close.
		scan := func(when string) {
			if hits := m.objectsContain(marker); len(hits) > 0 {
				t.Errorf("%s: plaintext marker found in objects %v", when, hits)
			}
			for _, root := range []string{m.storeDir, m.stateDir} {
				filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return nil
					}
					data, _ := os.ReadFile(p)
					if bytes.Contains(data, marker) || bytes.Contains([]byte(p), marker) {
						t.Errorf("%s: plaintext marker found in %s", when, p)
					}
					return nil
				})
			}
		}
		scan("while open")
		f.Close()
		scan("after close")
	})
}

// Objects larger than VerifyOpenMax are verified as they are read: open
// succeeds (header, key slot and final chunk are fine) and the read that
// touches the altered chunk fails with EIO, never returning its bytes.
func TestStreamingVerificationFailsRead(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 4096)
		m.unmount()
		m.verifyMax = 8192
		m.mount()
		data := randomBytes(40_000)
		writeFile(t, m.path("big"), data)
		raw := m.readObject("big")
		raw[160+5*(4096+16)+100] ^= 0x80 // inside chunk 5: plaintext bytes 20480..24575
		m.writeObject("big", raw)
		m.remount()
		f, err := os.Open(m.path("big"))
		if err != nil {
			t.Fatalf("open of a large object with a bad middle chunk: %v (only the final chunk is checked at open)", err)
		}
		defer f.Close()
		head := make([]byte, 4096)
		if _, err := f.ReadAt(head, 0); err != nil || !bytes.Equal(head, data[:4096]) {
			t.Fatalf("read of an intact chunk: %v", err)
		}
		bad := make([]byte, 4096)
		if n, err := f.ReadAt(bad, 20480); !errors.Is(err, syscall.EIO) {
			t.Fatalf("read of the altered chunk = %d, %v; want EIO", n, err)
		}
	})
}

// An authentic object sealed with another chunk size than the volume's
// is refused at open with EIO, logged and audited (not a wrong size and
// then ESTALE); like any refused object it can be removed and written
// again.
func TestChunkSizeMismatchRefused(t *testing.T) {
	m := newMount(t, 4096)
	data := randomBytes(50_000)
	writeFile(t, m.path("odd"), data)
	m.unmount()
	m.chunkSize = 0 // the volume's chunk size is now the default, 64 KiB
	m.mount()
	for range 2 {
		_, err := os.ReadFile(m.path("odd"))
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("read = %v, want EIO", err)
		}
	}
	if !m.logs.contains("chunk size differs") || !m.logs.contains("path=odd") {
		t.Errorf("refusal not logged with the path and the reason:\n%s", m.logs.w.String())
	}
	if m.events.count(keyring.IntegrityFailed) == 0 {
		t.Error("refusal not audited")
	}
	if err := os.Remove(m.path("odd")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, m.path("odd"), data[:1000])
	if got := mustRead(t, m.path("odd")); !bytes.Equal(got, data[:1000]) {
		t.Error("rewritten file reads back wrong")
	}
}
