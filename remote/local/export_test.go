package local

// NewWalking is New with openat2 turned off, so that tests exercise the
// component-by-component walk used on kernels without it.
func NewWalking(root string, opts Options) (*Store, error) {
	s, err := New(root, opts)
	if err != nil {
		return nil, err
	}
	s.useOpenat2 = false
	return s, nil
}

// UsesOpenat2 reports whether s resolves keys with openat2.
func UsesOpenat2(s *Store) bool { return s.useOpenat2 }
