package fs_test

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/sealfs/sealfs/cache/budget"
)

// Under a small memory budget, many concurrent writers, readers and random
// writers wait for each other and all finish; the budget is never exceeded.
func TestMemoryBudgetUnderLoad(t *testing.T) {
	m := newMount(t, 4096)
	m.unmount()
	m.budget = budget.New(256 << 10)
	m.mount()
	const files = 24
	contents := make([][]byte, files)
	var wg sync.WaitGroup
	errs := make(chan error, 3*files)
	for i := range files {
		contents[i] = randomBytes(300_000 + i*1000)
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := m.path("b" + itoa(i))
			if err := os.WriteFile(name, contents[i], 0o644); err != nil {
				errs <- err
				return
			}
			f, err := os.OpenFile(name, os.O_RDWR, 0)
			if err != nil {
				errs <- err
				return
			}
			patch := randomBytes(5000)
			if _, err := f.WriteAt(patch, 12345); err != nil {
				errs <- err
			}
			copy(contents[i][12345:], patch)
			errs <- f.Close()
		}()
	}
	wg.Wait()
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := os.ReadFile(m.path("b" + itoa(i)))
			if err == nil && !bytes.Equal(got, contents[i]) {
				t.Errorf("b%d: content differs", i)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if peak := m.budget.Peak(); peak > m.budget.Size() || peak == 0 {
		t.Errorf("budget peak %d, size %d", peak, m.budget.Size())
	}
	if in := m.budget.InUse(); in != 0 {
		t.Errorf("%d bytes still taken from the budget after every file was closed", in)
	}
}
