package keyring

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// encodedKeyLen is the length of a KEK in padded standard base64.
const encodedKeyLen = 44

// maxKeySourceSize bounds what is read from a key file, variable or command.
const maxKeySourceSize = 4096

// keygenHint tells the operator how to make a valid key.
const keygenHint = "(generate one with: sealfs keygen FILE, or openssl rand -base64 32 > FILE)"

// ParseKey decodes a KEK from its text form: padded standard base64 of
// exactly 32 bytes, optionally surrounded by whitespace (such as the newline
// openssl rand -base64 32 prints). source names where data came from in
// errors. Errors wrap ErrMalformedKey and never contain the input bytes.
// The caller owns the returned key and should clear it once used.
func ParseKey(data []byte, source string) ([]byte, error) {
	text := bytes.TrimSpace(data)
	switch {
	case len(text) == 0:
		return nil, malformedKey(source, "is empty")
	case len(text) > maxKeySourceSize:
		return nil, malformedKey(source, fmt.Sprintf("is %d bytes long", len(text)))
	case bytes.ContainsAny(text, "\r\n"):
		// The base64 decoder skips line breaks; a key is one line.
		return nil, malformedKey(source, "has a line break inside the key")
	}
	decoded := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(decoded, text)
	switch {
	case err != nil:
		clear(decoded)
		return nil, malformedKey(source, "is not padded standard base64")
	case n != KeySize:
		clear(decoded)
		return nil, malformedKey(source, fmt.Sprintf("decodes to %d bytes", n))
	}
	return decoded[:KeySize:KeySize], nil
}

// malformedKey builds the ParseKey error: what is wrong, never the bytes.
func malformedKey(source, problem string) error {
	return fmt.Errorf("keyring: key from %s %s: %w %s", source, problem, ErrMalformedKey, keygenHint)
}
