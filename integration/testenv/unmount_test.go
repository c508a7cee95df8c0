package testenv

import (
	"errors"
	"testing"
)

func TestUnmountNotMounted(t *testing.T) {
	dir := t.TempDir()
	err := Unmount(dir)
	if err == nil {
		t.Fatalf("Unmount(%s) of a plain directory succeeded", dir)
	}
	if errors.Is(err, errBusy) {
		t.Fatalf("Unmount(%s) of a plain directory reported busy: %v", dir, err)
	}
}
