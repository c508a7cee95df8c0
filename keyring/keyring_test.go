package keyring

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// mustKEK builds a KEK from testKey(seed) or fails the test.
func mustKEK(t testing.TB, id uint32, state State, seed byte) *KEK {
	t.Helper()
	key, _ := testKey(seed)
	k, err := NewKEK(id, state, key, "test")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewRefusesBadSets(t *testing.T) {
	tests := []struct {
		name   string
		states []State
		ids    []uint32
		want   error
	}{
		{"duplicate id", []State{Current, DecryptOnly}, []uint32{1, 1}, ErrDuplicateID},
		{"duplicate decrypt-only id", []State{DecryptOnly, Revoked}, []uint32{5, 5}, ErrDuplicateID},
		{"two current", []State{Current, Current}, []uint32{1, 2}, ErrTwoCurrent},
		{"two current among others", []State{DecryptOnly, Current, Revoked, Current}, []uint32{1, 2, 3, 4}, ErrTwoCurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keks []*KEK
			for i, s := range tt.states {
				keks = append(keks, mustKEK(t, tt.ids[i], s, byte(i)))
			}
			r, err := New(nil, keks...)
			if !errors.Is(err, tt.want) || r != nil {
				t.Fatalf("New = %v, %v; want nil, %v", r, err, tt.want)
			}
			for _, k := range keks {
				if _, err := k.DeriveKey(nil, nil, 32); !errors.Is(err, ErrClosed) {
					t.Errorf("key %d usable after New failed: %v", k.ID(), err)
				}
			}
		})
	}
}

func TestLoadRefusesBadSets(t *testing.T) {
	_, a := testKey(20)
	_, b := testKey(21)
	t.Setenv("SEALFS_TEST_A", a)
	t.Setenv("SEALFS_TEST_B", b)
	tests := []struct {
		name  string
		specs []Spec
		want  error
	}{
		{"duplicate id", []Spec{{ID: 1, State: Current, Env: "SEALFS_TEST_A"}, {ID: 1, State: DecryptOnly, Env: "SEALFS_TEST_B"}}, ErrDuplicateID},
		{"two current", []Spec{{ID: 1, State: Current, Env: "SEALFS_TEST_A"}, {ID: 2, State: Current, Env: "SEALFS_TEST_B"}}, ErrTwoCurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SEALFS_TEST_A", a)
			t.Setenv("SEALFS_TEST_B", b)
			if _, err := Load(context.Background(), tt.specs, nil); !errors.Is(err, tt.want) {
				t.Fatalf("Load error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLoadRefusesBadSpecs(t *testing.T) {
	tests := []struct {
		name  string
		specs []Spec
	}{
		{"none", nil},
		{"no source", []Spec{{ID: 1, State: Current}}},
		{"two sources", []Spec{{ID: 1, State: Current, File: "/k", Env: "K"}}},
		{"empty command name", []Spec{{ID: 1, State: Current, Command: []string{""}}}},
		{"no state", []Spec{{ID: 1, File: "/k"}}},
		{"bad state", []Spec{{ID: 1, State: 9, File: "/k"}}},
		{"bad env name", []Spec{{ID: 1, State: Current, Env: "A=B"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := Load(context.Background(), tt.specs, nil); err == nil {
				r.Close()
				t.Fatal("Load succeeded, want an error")
			}
		})
	}
}

func TestLoadFailureIsAudited(t *testing.T) {
	log := &eventLog{}
	_, err := Load(context.Background(), []Spec{{ID: 7, State: DecryptOnly, Env: "SEALFS_TEST_UNSET_VAR"}}, log.auditor())
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	e := log.last(t)
	if e.Kind != KeyLoadFailed || e.KEKID != 7 || e.Source != "env:SEALFS_TEST_UNSET_VAR" || !errors.Is(e.Err, err) {
		t.Errorf("audit event = %+v, want key-load-failed for key 7", e)
	}
}

func TestForDecrypt(t *testing.T) {
	log := &eventLog{}
	r, err := New(log.auditor(), mustKEK(t, 1, DecryptOnly, 1), mustKEK(t, 2, Current, 2), mustKEK(t, 3, Revoked, 3))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, want := log.kinds(), []EventKind{KeyLoaded, KeyLoaded, KeyLoaded}; !slices.Equal(got, want) {
		t.Fatalf("audit after New = %v, want %v", got, want)
	}
	tests := []struct {
		id        uint32
		wantErr   error
		wantEvent EventKind // "" means no event
	}{
		{1, nil, ""},
		{2, nil, ""},
		{3, ErrRevokedKEK, RevokedKeyUsed},
		{4, ErrUnknownKEK, UnknownKeyUsed},
		{0, ErrUnknownKEK, UnknownKeyUsed},
	}
	for _, tt := range tests {
		before := len(log.kinds())
		k, err := r.ForDecrypt(tt.id, "orthanc/ab/cd/abcd-uuid")
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ForDecrypt(%d) error = %v, want %v", tt.id, err, tt.wantErr)
			continue
		}
		if err == nil && k.ID() != tt.id {
			t.Errorf("ForDecrypt(%d) returned key %d", tt.id, k.ID())
		}
		kinds := log.kinds()
		if tt.wantEvent == "" {
			if len(kinds) != before {
				t.Errorf("ForDecrypt(%d) audited %v, want nothing", tt.id, kinds[before:])
			}
			continue
		}
		if len(kinds) != before+1 {
			t.Fatalf("ForDecrypt(%d) audited %d events, want 1", tt.id, len(kinds)-before)
		}
		e := log.last(t)
		if e.Kind != tt.wantEvent || e.KEKID != tt.id || e.Object != "orthanc/ab/cd/abcd-uuid" || !errors.Is(e.Err, tt.wantErr) {
			t.Errorf("ForDecrypt(%d) audit event = %+v, want %s", tt.id, e, tt.wantEvent)
		}
	}
}

func TestCurrent(t *testing.T) {
	r, err := New(nil, mustKEK(t, 1, DecryptOnly, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Current(); !errors.Is(err, ErrNoCurrentKEK) {
		t.Errorf("Current error = %v, want ErrNoCurrentKEK", err)
	}
	r2, err := New(nil, mustKEK(t, 1, DecryptOnly, 1), mustKEK(t, 9, Current, 2))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := r2.Current(); err != nil || k.ID() != 9 {
		t.Errorf("Current = %v, %v; want key 9", k, err)
	}
	if got := r2.IDs(); !slices.Equal(got, []uint32{1, 9}) {
		t.Errorf("IDs = %v, want [1 9]", got)
	}
}

func TestCloseZeroes(t *testing.T) {
	log := &eventLog{}
	keks := []*KEK{mustKEK(t, 1, Current, 1), mustKEK(t, 2, DecryptOnly, 2)}
	r, err := New(log.auditor(), keks...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, k := range keks {
		if k.key != [KeySize]byte{} {
			t.Errorf("key %d bytes not zeroed after Close", k.ID())
		}
		if _, err := k.DeriveKey(nil, nil, 32); !errors.Is(err, ErrClosed) {
			t.Errorf("DeriveKey after Close: %v, want ErrClosed", err)
		}
		if _, err := k.Block(); !errors.Is(err, ErrClosed) {
			t.Errorf("Block after Close: %v, want ErrClosed", err)
		}
	}
	if _, err := r.Current(); !errors.Is(err, ErrClosed) {
		t.Errorf("Current after Close: %v, want ErrClosed", err)
	}
	if _, err := r.ForDecrypt(1, "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("ForDecrypt after Close: %v, want ErrClosed", err)
	}
	kinds := log.kinds()
	if n := slices.Index(kinds, KeyringClosed); n < 0 || n != len(kinds)-1 || slices.Index(kinds[n+1:], KeyringClosed) >= 0 {
		t.Errorf("audit = %v, want exactly one keyring-closed, last", kinds)
	}
}

func TestNewKEKRefusesBadInput(t *testing.T) {
	key, _ := testKey(1)
	tests := []struct {
		name  string
		key   []byte
		state State
		want  error
	}{
		{"short", key[:31], Current, ErrMalformedKey},
		{"long", append(key[:32:32], 0), Current, ErrMalformedKey},
		{"no state", key, 0, nil},
		{"unknown state", key, Revoked + 1, nil},
	}
	for _, tt := range tests {
		k, err := NewKEK(1, tt.state, tt.key, "test")
		if err == nil || k != nil {
			t.Errorf("%s: NewKEK = %v, %v; want an error", tt.name, k, err)
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: NewKEK error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestParseState(t *testing.T) {
	tests := []struct {
		in   string
		want State
		ok   bool
	}{
		{"current", Current, true},
		{"decrypt-only", DecryptOnly, true},
		{"previous", DecryptOnly, true},
		{"revoked", Revoked, true},
		{"Current", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseState(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseState(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != tt.in && tt.in != "previous" {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
}
