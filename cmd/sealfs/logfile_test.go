package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestLogFileReopen: after a rename (logrotate) and Reopen, new lines go to
// a new file at the path and the old file keeps what it had; concurrent
// writers never see a closed file.
func TestLogFileReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sealfs.log")
	lf, err := openLogFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if _, err := lf.Write([]byte("before\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if _, err := lf.Write([]byte("x\n")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	if err := lf.Reopen(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := lf.Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if string(old[:7]) != "before\n" || string(cur[len(cur)-6:]) != "after\n" || len(old)+len(cur) != 7+400*2+6 {
		t.Errorf("old %d bytes, new %d bytes; want every line once", len(old), len(cur))
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("reopened file: %v %v", st.Mode(), err)
	}
}
