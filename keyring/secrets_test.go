package keyring

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"testing"
)

// TestNoSecretsInErrorsOrLogs drives every path that reports on a key and
// checks that neither error text nor SlogAuditor output holds key material.
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	key, encoded := testKey(30)
	var logs bytes.Buffer
	audit := SlogAuditor{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	dir := t.TempDir()
	var errs []error
	load := func(specs ...Spec) {
		r, err := Load(context.Background(), specs, audit)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, id := range []uint32{1, 2, 3, 99} {
			if _, err := r.ForDecrypt(id, "object-1"); err != nil {
				errs = append(errs, err)
			}
		}
		r.ReportUnwrapFailure(1, "object-1", errors.New("message authentication failed"))
		r.Close()
	}

	good := writeFile(t, dir, "good.key", encoded+"\n", 0o600)
	load(Spec{ID: 1, State: Current, File: good})
	load(Spec{ID: 1, State: Current, File: writeFile(t, dir, "open.key", encoded, 0o644)})
	load(Spec{ID: 1, State: Current, File: writeFile(t, dir, "short.key", encoded[:43], 0o600)})
	load(Spec{ID: 1, State: Current, File: writeFile(t, dir, "long.key", base64.StdEncoding.EncodeToString(append(key[:32:32], 1)), 0o600)})
	load(Spec{ID: 1, State: Current, File: writeFile(t, dir, "raw.key", string(key), 0o600)})
	load(Spec{ID: 1, State: Current, Command: []string{"/bin/sh", "-c", "echo " + encoded + "; exit 1"}})
	load(Spec{ID: 1, State: Current, Command: []string{"/bin/sh", "-c", "echo " + encoded + "; echo " + encoded}})
	t.Setenv("SEALFS_TEST_SECRET", encoded+"x")
	load(Spec{ID: 1, State: Current, Env: "SEALFS_TEST_SECRET"})
	load(Spec{ID: 1, State: Current, File: good}, Spec{ID: 1, State: DecryptOnly, File: good})
	load(Spec{ID: 1, State: Current, File: good}, Spec{ID: 2, State: Current, File: good})
	load(Spec{ID: 1, State: DecryptOnly, File: good}, Spec{ID: 3, State: Revoked, File: good})

	if len(errs) < 12 {
		t.Fatalf("only %d errors collected; the scenarios above should fail more often", len(errs))
	}
	for _, err := range errs {
		assertNoSecret(t, "error", []byte(err.Error()), key, encoded)
	}
	for _, kind := range []EventKind{KeyLoaded, KeyLoadFailed, UnknownKeyUsed, RevokedKeyUsed, UnwrapFailed, KeyringClosed} {
		if !bytes.Contains(logs.Bytes(), []byte("event="+string(kind))) {
			t.Errorf("log has no %s event", kind)
		}
	}
	assertNoSecret(t, "log", logs.Bytes(), key, encoded)
}
