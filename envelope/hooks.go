package envelope

import (
	"crypto/rand"
	"fmt"
	"io"
)

// sealHooks holds test-only seams. Production code always uses the zero
// value: randomness from crypto/rand and no observer. Only tests in this
// package can set them; there is deliberately no exported way to.
type sealHooks struct {
	// rand, if not nil, replaces crypto/rand.Reader as the source of DEKs and salts.
	rand io.Reader
	// observeSeal, if not nil, is called with the key and nonce of every
	// AEAD seal (DEK wraps and chunks). The slices must not be retained.
	observeSeal func(key, nonce []byte)
}

// random fills b with fresh random bytes.
func (h sealHooks) random(b []byte) error {
	src := h.rand
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, b); err != nil {
		return fmt.Errorf("reading randomness: %w", err)
	}
	return nil
}

// observe reports one seal to the observer, if any.
func (h sealHooks) observe(key, nonce []byte) {
	if h.observeSeal != nil {
		h.observeSeal(key, nonce)
	}
}
