package faults

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// watchdog bounds every file-system call of the tests: a call that has not
// returned by then is a hang, reported with every goroutine's stack. It
// is far above the longest failure the short timeouts allow (4 attempts
// of a few seconds each).
const watchdog = 2 * time.Minute

// writeSize is the size of Orthanc's writes.
const writeSize = 4 << 10

// outcome is what happened to one Orthanc-style write.
type outcome struct {
	rel  string // xx/yy/uuid
	data []byte
	step string // the first call that failed; "" when every call succeeded
	err  error
	took time.Duration
}

func (o outcome) ok() bool { return o.err == nil }

// newAttachment returns the path and content of a new Orthanc attachment
// of size bytes: xx/yy/uuid, named after the uuid's first four digits.
func newAttachment(size int) (string, []byte) {
	var u [16]byte
	rand.Read(u[:])
	id := fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	data := make([]byte, size)
	rand.Read(data)
	return filepath.Join(id[0:2], id[2:4], id), data
}

// attachmentSize varies sizes around a typical DICOM instance, never a
// multiple of the write size, so the last write is short.
func attachmentSize(i int) int { return 24<<10 + i*9<<10 + 123 }

// writeOrthanc stores data at root/rel the way Orthanc's filesystem
// storage does: create the directories, create the file, write it 4 KiB
// at a time, fdatasync, close. It reports the first call that failed.
func writeOrthanc(root, rel string, data []byte) outcome {
	o := outcome{rel: rel, data: data}
	start := time.Now()
	o.step, o.err = writeSteps(filepath.Join(root, rel), data)
	o.took = time.Since(start)
	return o
}

func writeSteps(path string, data []byte) (step string, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "mkdir", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "open", err
	}
	step, err = writeAndSync(f, data)
	if cerr := f.Close(); err == nil && cerr != nil {
		return "close", cerr
	}
	return step, err
}

// writeAndSync writes data to f in 4 KiB pieces and fdatasyncs it.
func writeAndSync(f *os.File, data []byte) (string, error) {
	for off := 0; off < len(data); off += writeSize {
		if _, err := f.Write(data[off:min(off+writeSize, len(data))]); err != nil {
			return "write", err
		}
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return "fdatasync", &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
	}
	return "", nil
}

// writeMany writes n new attachments through root, workers at a time (as
// Orthanc's concurrent storage threads do). It fails the test as a hang
// if no write returns within the watchdog.
func writeMany(t *testing.T, root string, n, workers int) []outcome {
	t.Helper()
	outcomes := make([]outcome, n)
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	finished := make(chan struct{}, n)
	for range workers {
		go func() {
			for i := range jobs {
				rel, data := newAttachment(attachmentSize(i))
				outcomes[i] = writeOrthanc(root, rel, data)
				finished <- struct{}{}
			}
		}()
	}
	for done := range n {
		select {
		case <-finished:
		case <-time.After(watchdog):
			failHang(t, fmt.Sprintf("%d of %d Orthanc writes", n-done, n))
		}
	}
	return outcomes
}

// within runs fn and returns its error; if fn has not returned after the
// watchdog, the test fails as a hang.
func within(t *testing.T, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(watchdog):
		failHang(t, what)
		return nil
	}
}

// failHang fails the test because what has not returned within the
// watchdog, showing every goroutine's stack (a hang is a bug).
func failHang(t *testing.T, what string) {
	t.Helper()
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Fatalf("HANG: %s did not return within %v; goroutines:\n%s", what, watchdog, buf)
}

// checkFailuresAreEIO fails the test for a failed write whose error is not
// EIO, the errno that sealfs returns for a store failure.
func checkFailuresAreEIO(t *testing.T, outcomes []outcome) {
	t.Helper()
	for _, o := range outcomes {
		if !o.ok() && !errors.Is(o.err, syscall.EIO) {
			t.Errorf("%s failed at %s with %v, want EIO", o.rel, o.step, o.err)
		}
	}
}

// checkStored fails the test unless every write that succeeded reads back
// byte for byte through root.
func checkStored(t *testing.T, root string, outcomes []outcome) {
	t.Helper()
	for _, o := range outcomes {
		if !o.ok() {
			continue
		}
		var got []byte
		err := within(t, "read "+o.rel, func() (err error) {
			got, err = os.ReadFile(filepath.Join(root, o.rel))
			return err
		})
		switch {
		case err != nil:
			t.Errorf("write of %s succeeded, but reading it back through %s fails: %v", o.rel, root, err)
		case !bytes.Equal(got, o.data):
			t.Errorf("write of %s succeeded, but %s holds %d different bytes (want %d)", o.rel, root, len(got), len(o.data))
		}
	}
}

// report logs the outcomes of one phase: successes, failures by step, and
// how long failures took to surface.
func report(t *testing.T, phase string, outcomes []outcome, retries int) {
	t.Helper()
	var ok int
	var slowestOK, fastestFail, slowestFail time.Duration
	steps := map[string]int{}
	for _, o := range outcomes {
		if o.ok() {
			ok++
			slowestOK = max(slowestOK, o.took)
			continue
		}
		steps[o.step]++
		if fastestFail == 0 || o.took < fastestFail {
			fastestFail = o.took
		}
		slowestFail = max(slowestFail, o.took)
	}
	t.Logf("%s: %d/%d writes succeeded (slowest %v); failed at %v in %v..%v; %d retries logged",
		phase, ok, len(outcomes), slowestOK.Round(time.Millisecond), steps,
		fastestFail.Round(time.Millisecond), slowestFail.Round(time.Millisecond), retries)
}

// failures counts the writes that failed.
func failures(outcomes []outcome) int {
	n := 0
	for _, o := range outcomes {
		if !o.ok() {
			n++
		}
	}
	return n
}
