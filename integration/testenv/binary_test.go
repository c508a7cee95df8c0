package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestFindModuleRoot(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory named go.mod is not a module file.
	if err := os.Mkdir(filepath.Join(root, "a", "go.mod"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{root, filepath.Join(root, "a"), deep} {
		got, err := findModuleRoot(start)
		if err != nil {
			t.Errorf("findModuleRoot(%q): %v", start, err)
			continue
		}
		if got != root {
			t.Errorf("findModuleRoot(%q) = %q, want %q", start, got, root)
		}
	}
}

func TestFindModuleRootFindsThisModule(t *testing.T) {
	root, err := findModuleRoot(".")
	if err != nil {
		t.Fatalf("findModuleRoot(.): %v", err)
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "module github.com/sealfs/sealfs\n") {
		t.Errorf("go.mod at %s is not sealfs's: %q", root, data[:min(len(data), 60)])
	}
}

func TestFindModuleRootWithoutModule(t *testing.T) {
	_, err := findModuleRoot("/proc/self")
	if !errors.Is(err, errNoModuleRoot) {
		t.Fatalf("findModuleRoot(/proc/self) = %v, want errNoModuleRoot", err)
	}
}

func TestRemoveStaleBuilds(t *testing.T) {
	tempDir := t.TempDir()
	// A process that has exited: start one and wait for it.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	deadPid := cmd.Process.Pid
	dirs := map[string]bool{ // name → should survive
		buildDirPrefix + strconv.Itoa(deadPid):     false,
		buildDirPrefix + strconv.Itoa(os.Getpid()): true,
		buildDirPrefix + "1":                       true, // init is always running
		buildDirPrefix + "notapid":                 true,
		"unrelated-" + strconv.Itoa(deadPid):       true,
	}
	for name := range dirs {
		if err := os.MkdirAll(filepath.Join(tempDir, name, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleBuilds(tempDir)
	for name, survive := range dirs {
		_, err := os.Stat(filepath.Join(tempDir, name))
		if exists := err == nil; exists != survive {
			t.Errorf("%s: exists = %v, want %v", name, exists, survive)
		}
	}
}
