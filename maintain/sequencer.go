package maintain

import "sync"

// sequencer folds the outcomes of objects handed out in List order and
// finished in any order into a Report, in List order: the report always
// covers exactly the objects up to and including lastKey, which is what
// the checkpoint records. Outcomes finished ahead of an unfinished one
// wait in pending.
type sequencer struct {
	mu      sync.Mutex
	next    uint64 // sequence number of the next object handed out
	done    uint64 // every object numbered below done is folded
	pending map[uint64]*slot
	lastKey string
	report  *Report
	changed bool // folded something since the last snapshot
}

type slot struct {
	key      string
	out      outcome
	finished bool
}

func newSequencer(after string, report *Report) *sequencer {
	return &sequencer{pending: map[uint64]*slot{}, lastKey: after, report: report}
}

// add hands out the next sequence number, for key.
func (s *sequencer) add(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.next
	s.next++
	s.pending[n] = &slot{key: key}
	return n
}

// finish records the outcome of object n and folds every outcome that is
// now contiguous with the ones already folded.
func (s *sequencer) finish(n uint64, out outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.pending[n]
	if sl == nil || sl.finished {
		return
	}
	sl.out, sl.finished = out, true
	for {
		head := s.pending[s.done]
		if head == nil || !head.finished {
			return
		}
		s.report.fold(head.key, head.out)
		s.lastKey = head.key
		delete(s.pending, s.done)
		s.done++
		s.changed = true
	}
}

// snapshot returns the last key folded and a copy of the report, and
// whether anything was folded since the previous snapshot.
func (s *sequencer) snapshot() (string, Report, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := s.changed
	s.changed = false
	return s.lastKey, s.report.clone(), changed
}

// allDone reports whether every object handed out has been folded.
func (s *sequencer) allDone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done == s.next
}

// current returns a copy of the report so far.
func (s *sequencer) current() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.report.clone()
}
