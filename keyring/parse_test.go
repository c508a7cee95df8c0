package keyring

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	key, encoded := testKey(1)
	key33 := base64.StdEncoding.EncodeToString(append(key[:32:32], 0x42))
	tests := []struct {
		name string
		data string
		ok   bool
	}{
		{"bare", encoded, true},
		{"trailing newline", encoded + "\n", true},
		{"crlf", encoded + "\r\n", true},
		{"surrounding whitespace", " \t" + encoded + " \n\n", true},
		{"openssl rand -base64 32 output", "70AjkQ6rkf2LnYRfSjM6zc7ifmmSZ5CzKkS3o6wKxnY=\n", true},
		{"31 bytes", base64.StdEncoding.EncodeToString(key[:31]), false},
		{"33 bytes", key33, false},
		{"64 bytes", encoded + encoded, false},
		{"not base64", strings.Repeat("!", 44), false},
		{"unpadded", strings.TrimRight(encoded, "="), false},
		{"url alphabet", "-_" + encoded[2:], false},
		{"newline inside", encoded[:20] + "\n" + encoded[20:], false},
		{"empty", "", false},
		{"only whitespace", " \n", false},
		{"hex", strings.Repeat("ab", 32), false},
		{"raw bytes", string(key), false},
		{"too long", strings.Repeat("A", 5000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKey([]byte(tt.data), "/etc/sealfs/kek-1.key")
			if !tt.ok {
				if !errors.Is(err, ErrMalformedKey) {
					t.Fatalf("ParseKey error = %v, want ErrMalformedKey", err)
				}
				msg := err.Error()
				for _, want := range []string{"/etc/sealfs/kek-1.key", "openssl rand -base64 32 > FILE", "sealfs keygen FILE"} {
					if !strings.Contains(msg, want) {
						t.Errorf("error %q does not contain %q", msg, want)
					}
				}
				if trimmed := strings.TrimSpace(tt.data); len(trimmed) >= 8 && strings.Contains(msg, trimmed[:8]) {
					t.Errorf("error %q contains the input", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			want, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(tt.data))
			if !bytes.Equal(got, want) || len(got) != KeySize {
				t.Fatalf("ParseKey = %x, want %x", got, want)
			}
		})
	}
}

func TestParseKeyErrorsSayWhatIsWrong(t *testing.T) {
	key, _ := testKey(2)
	tests := []struct {
		data string
		want string
	}{
		{base64.StdEncoding.EncodeToString(key[:31]), "decodes to 31 bytes"},
		{"", "is empty"},
		{"%%%%", "not padded standard base64"},
	}
	for _, tt := range tests {
		_, err := ParseKey([]byte(tt.data), "src")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseKey(%q) error = %v, want it to say %q", tt.data, err, tt.want)
		}
	}
}

func TestParseSpecString(t *testing.T) {
	tests := []struct {
		in       string
		wantID   uint32
		wantPath string
		ok       bool
	}{
		{"2:/etc/sealfs/kek-2.key", 2, "/etc/sealfs/kek-2.key", true},
		{"0:kek.key", 0, "kek.key", true},
		{"4294967295:/k", 4294967295, "/k", true},
		{"7:/odd:name", 7, "/odd:name", true},
		{"4294967296:/k", 0, "", false},
		{"-1:/k", 0, "", false},
		{"+1:/k", 0, "", false},
		{" 1:/k", 0, "", false},
		{"x:/k", 0, "", false},
		{":/k", 0, "", false},
		{"2:", 0, "", false},
		{"2", 0, "", false},
		{"/etc/sealfs/kek-2.key", 0, "", false},
		{"", 0, "", false},
	}
	for _, tt := range tests {
		id, path, err := ParseSpecString(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseSpecString(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if id != tt.wantID || path != tt.wantPath {
			t.Errorf("ParseSpecString(%q) = %d, %q; want %d, %q", tt.in, id, path, tt.wantID, tt.wantPath)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	key, encoded := testKey(3)
	f.Add([]byte(encoded))
	f.Add([]byte(encoded + "\n"))
	f.Add([]byte(" " + encoded + "\r\n"))
	f.Add([]byte(base64.StdEncoding.EncodeToString(key[:31])))
	f.Add([]byte(base64.StdEncoding.EncodeToString(append(key, 0))))
	f.Add([]byte(strings.TrimRight(encoded, "=")))
	f.Add([]byte(base64.URLEncoding.EncodeToString(key)))
	f.Add([]byte(""))
	f.Add([]byte("not base64 at all"))
	f.Add(key)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseKey(data, "fuzz")
		if err != nil {
			if got != nil {
				t.Fatal("ParseKey returned a key and an error")
			}
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("error %v does not wrap ErrMalformedKey", err)
			}
			if trimmed := bytes.TrimSpace(data); len(trimmed) >= 24 && strings.Contains(err.Error(), string(trimmed)) {
				t.Fatalf("error %q contains the input", err)
			}
			return
		}
		if len(got) != KeySize {
			t.Fatalf("accepted a %d-byte key", len(got))
		}
		if base64.StdEncoding.EncodeToString(got) != string(bytes.TrimSpace(data)) {
			t.Fatalf("accepted non-canonical input %q", data)
		}
	})
}
