package testenv

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// busyServer refuses to unmount until its attempts run out.
type busyServer struct{ refusals, calls int }

func (s *busyServer) Unmount() error {
	s.calls++
	if s.calls <= s.refusals {
		return errors.New("fusermount3: failed to unmount: Device or resource busy")
	}
	return nil
}

func TestUnmountServerRetriesBusy(t *testing.T) {
	s := &busyServer{refusals: 2}
	if err := UnmountServer(s, t.TempDir()); err != nil {
		t.Fatalf("UnmountServer: %v", err)
	}
	if s.calls != 3 {
		t.Errorf("Unmount called %d times, want 3", s.calls)
	}
}

func TestUnmountServerNamesHolders(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(dir + "/held")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = UnmountServer(&busyServer{refusals: serverUnmountAttempts}, dir)
	if err == nil || !strings.Contains(err.Error(), dir+"/held via ") {
		t.Fatalf("UnmountServer = %v, want an error naming %s/held", err, dir)
	}
}

func TestUnmountServerOtherErrorsAreNotRetried(t *testing.T) {
	s := &failingServer{}
	if err := UnmountServer(s, t.TempDir()); err == nil || s.calls != 1 {
		t.Fatalf("UnmountServer = %v after %d calls, want the error after 1", err, s.calls)
	}
}

type failingServer struct{ calls int }

func (s *failingServer) Unmount() error { s.calls++; return errors.New("not mounted") }
