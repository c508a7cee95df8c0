package orthanc

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/dicom"
	"github.com/sealfs/sealfs/integration/testenv"
)

// requireTools stops the test unless FUSE, root, Orthanc and dcmtk are here.
func requireTools(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("fusermount3")
	testenv.Require(t, "fusermount3 (apt-get install fuse3)", err == nil, "sealfs mounts through fusermount3")
	_, err = os.Stat("/dev/fuse")
	testenv.Require(t, "/dev/fuse", err == nil, "the kernel's FUSE device is missing")
	_, err = exec.LookPath("Orthanc")
	testenv.Require(t, "Orthanc (apt-get install orthanc)", err == nil, "the end-to-end tests run a real Orthanc")
	_, err = exec.LookPath("storescu")
	testenv.Require(t, "storescu (apt-get install dcmtk)", err == nil, "sends instances over DICOM C-STORE")
}

// testContext bounds a whole end-to-end test.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// mkdirs creates a fresh directory per name under a new temporary directory.
func mkdirs(t *testing.T, names ...string) map[string]string {
	t.Helper()
	base := t.TempDir()
	dirs := make(map[string]string, len(names))
	for _, name := range names {
		dirs[name] = filepath.Join(base, name)
		if err := os.Mkdir(dirs[name], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return dirs
}

// newKey writes a fresh KEK with sealfs keygen.
func newKey(t *testing.T, dir string) string {
	t.Helper()
	key := filepath.Join(dir, "kek-1.key")
	if out, err := exec.Command(testenv.SealfsBinary(t), "keygen", "--id", "1", key).CombinedOutput(); err != nil {
		t.Fatalf("sealfs keygen: %v\n%s", err, out)
	}
	return key
}

// sealfsMount is a sealfs process running in the foreground.
type sealfsMount struct {
	mountpoint string
	logPath    string
	cmd        *exec.Cmd
	exited     chan error
}

// mountSealfs mounts store at mountpoint with a foreground sealfs that logs
// to logDir, waits for the mount, and unmounts it when the test ends (if
// the test has not done so).
func mountSealfs(t *testing.T, store objectStore, key, stateDir, mountpoint, logDir string) *sealfsMount {
	t.Helper()
	logPath := filepath.Join(logDir, "sealfs-"+filepath.Base(stateDir)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	args := append([]string{"mount", "--foreground"}, store.mountArgs(t, key, stateDir)...)
	cmd := exec.Command(testenv.SealfsBinary(t), append(args, mountpoint)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := &sealfsMount{mountpoint: mountpoint, logPath: logPath, cmd: cmd, exited: make(chan error, 1)}
	go func() { m.exited <- cmd.Wait() }()
	t.Cleanup(func() { m.unmount(t) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := testenv.WaitMounted(ctx, mountpoint, "fuse.sealfs"); err != nil {
		t.Fatalf("sealfs did not mount: %v\n%s", err, m.log())
	}
	return m
}

// unmount unmounts and waits for the process to exit; a second call does
// nothing.
func (m *sealfsMount) unmount(t *testing.T) {
	t.Helper()
	if m.cmd == nil {
		return
	}
	if mounted, _ := testenv.Mounted(m.mountpoint, "fuse.sealfs"); mounted {
		if err := testenv.Unmount(m.mountpoint); err != nil {
			t.Errorf("unmount: %v", err)
		}
	}
	select {
	case err := <-m.exited:
		if err != nil {
			t.Errorf("sealfs exited with %v\n%s", err, m.log())
		}
	case <-time.After(30 * time.Second):
		_ = m.cmd.Process.Kill()
		t.Errorf("sealfs did not exit after the unmount\n%s", m.log())
	}
	m.cmd = nil
}

// log returns the end of the sealfs log.
func (m *sealfsMount) log() string {
	data, _ := os.ReadFile(m.logPath)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// startOrthanc starts Orthanc and stops it when the test ends (if the test
// has not done so).
func startOrthanc(t *testing.T, ctx context.Context, opts Options) *Server {
	t.Helper()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() }) // a second Stop only reports the exit
	return s
}

// stopOrthanc stops s and fails the test on an unclean exit.
func stopOrthanc(t *testing.T, s *Server) {
	t.Helper()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// instance is one uploaded file and what Orthanc calls it.
type instance struct {
	ct   dicom.CT
	data []byte
	id   string
	// rewritten is set for C-STORE: the receiver writes its own file meta
	// information, so only the dataset is compared.
	rewritten bool
}

// sameFile reports whether Orthanc's copy holds what was sent.
func (in *instance) sameFile(got []byte) bool {
	if !in.rewritten {
		return bytes.Equal(got, in.data)
	}
	gotSet, err1 := dicom.Dataset(got)
	wantSet, err2 := dicom.Dataset(in.data)
	return err1 == nil && err2 == nil && bytes.Equal(gotSet, wantSet)
}

// checkInstances reads every instance back: the file byte for byte and the
// identifying tags.
func checkInstances(t *testing.T, ctx context.Context, s *Server, instances []*instance) {
	t.Helper()
	ids, err := s.List(ctx, "instances")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(instances) {
		t.Errorf("orthanc lists %d instances, want %d", len(ids), len(instances))
	}
	for _, in := range instances {
		got, err := s.File(ctx, in.id)
		if err != nil {
			t.Errorf("instance %s: %v", in.ct.SOPInstanceUID, err)
			continue
		}
		if !in.sameFile(got) {
			t.Errorf("instance %s: /file differs from the upload (%d bytes, want %d)", in.ct.SOPInstanceUID, len(got), len(in.data))
		}
		tags, err := s.SimplifiedTags(ctx, in.id)
		if err != nil {
			t.Errorf("instance %s: %v", in.ct.SOPInstanceUID, err)
			continue
		}
		if tags["PatientID"] != in.ct.PatientID || tags["SOPInstanceUID"] != in.ct.SOPInstanceUID {
			t.Errorf("instance %s: simplified-tags PatientID %q SOPInstanceUID %q, want %q %q",
				in.id, tags["PatientID"], tags["SOPInstanceUID"], in.ct.PatientID, in.ct.SOPInstanceUID)
		}
	}
}

// filesWith returns every regular file under the roots whose bytes contain
// needle.
func filesWith(t *testing.T, needle []byte, roots ...string) []string {
	t.Helper()
	var hits []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(data, needle) {
				hits = append(hits, path)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("scanning %s: %v", root, err)
		}
	}
	return hits
}

// userEntries lists what lies under root apart from sealfs's reserved
// top-level entries (.sealfs-volume, .sealfs-tmp, …).
func userEntries(t *testing.T, root string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case rel == ".":
			return nil
		case !strings.Contains(rel, "/") && strings.HasPrefix(rel, ".sealfs"):
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		found = append(found, rel)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("listing %s: %v", root, err)
	}
	return found
}
