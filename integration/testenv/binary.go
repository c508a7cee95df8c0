package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// buildDirPrefix starts the name of each test process's build directory,
// which ends with the process id.
const buildDirPrefix = "sealfs-test-"

// errNoModuleRoot reports that no go.mod was found above a directory.
var errNoModuleRoot = errors.New("no go.mod found")

// buildSealfsOnce builds cmd/sealfs at most once per test process and
// remembers the outcome for every later caller.
var buildSealfsOnce = sync.OnceValues(buildSealfs)

// SealfsBinary returns the path of a sealfs binary built from this source
// tree, building it the first time it is called in the test process. A build
// failure fails the test with the compiler's output.
func SealfsBinary(t testing.TB) string {
	t.Helper()
	path, err := buildSealfsOnce()
	if err != nil {
		t.Fatalf("building sealfs: %v", err)
	}
	return path
}

// buildSealfs runs go build for ./cmd/sealfs into
// os.TempDir()/sealfs-test-<pid>/sealfs and returns the binary's path,
// first removing the directories of earlier test processes that are gone.
func buildSealfs() (string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	root, err := findModuleRoot(cwd)
	if err != nil {
		return "", err
	}
	removeStaleBuilds(os.TempDir())
	dir := filepath.Join(os.TempDir(), buildDirPrefix+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating build directory: %w", err)
	}
	out := filepath.Join(dir, "sealfs")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/sealfs")
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sealfs in %s: %w\n%s", root, err, output)
	}
	return out, nil
}

// removeStaleBuilds deletes the build directories in tempDir left by test
// processes that have exited, so that they do not pile up. A directory whose
// process id is in use (perhaps by another program) is left alone.
func removeStaleBuilds(tempDir string) {
	dirs, err := filepath.Glob(filepath.Join(tempDir, buildDirPrefix+"*"))
	if err != nil {
		return // only a bad pattern fails, and this one is fixed
	}
	for _, dir := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), buildDirPrefix))
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if errors.Is(unix.Kill(pid, 0), unix.ESRCH) {
			_ = os.RemoveAll(dir) // best effort: a leftover costs only disk space
		}
	}
}

// findModuleRoot walks up from dir to the first directory holding go.mod.
func findModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("absolute path of %s: %w", dir, err)
	}
	for {
		info, err := os.Stat(filepath.Join(dir, "go.mod"))
		if err == nil && info.Mode().IsRegular() {
			return dir, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("looking for go.mod in %s: %w", dir, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w above the working directory", errNoModuleRoot)
		}
		dir = parent
	}
}
