package hostkey

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func setup(t *testing.T) (key, old string) {
	t.Helper()
	dir := t.TempDir()
	key = filepath.Join(dir, "key.txt")
	if _, _, err := Keygen(key, false); err != nil {
		t.Fatal(err)
	}
	old, err := Recipient(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, old
}

func TestInstallResumesAfterCrashBetweenKeepAndSwap(t *testing.T) {
	key, old := setup(t)
	newRcp, _, err := Keygen(Staged(key), true)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := os.ReadFile(key)
	// The crash: the previous key was kept, the swap never happened.
	if err := os.WriteFile(Kept(key), cur, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Install(Staged(key), key)
	if err != nil || res.Recipient != newRcp {
		t.Fatalf("Install = %+v, %v; want %s", res, err, newRcp)
	}
	if r, _ := Recipient(Kept(key)); r != old {
		t.Fatalf("kept key is %s, want the old %s", r, old)
	}
	// Crash after the swap, before the staged copy was removed.
	data, _ := os.ReadFile(key)
	if err := os.WriteFile(Staged(key), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := Install(Staged(key), key); err != nil || res.Recipient != newRcp {
		t.Fatalf("second Install = %+v, %v", res, err)
	}
	if _, err := os.Stat(Staged(key)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("staged key left: %v", err)
	}
	res, err = Restore(key, Staged(key))
	if err != nil || res.Recipient != old || !res.Changed {
		t.Fatalf("Restore = %+v, %v", res, err)
	}
}

func TestRestoreAfterCrashMidRestore(t *testing.T) {
	key, old := setup(t)
	if _, _, err := Keygen(Staged(key), false); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(Staged(key), key); err != nil {
		t.Fatal(err)
	}
	kept, _ := os.ReadFile(Kept(key))
	// Crash inside Restore: the key file is back, the kept copy remains.
	if err := os.WriteFile(key, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Restore(key, "")
	if err != nil || res.Recipient != old {
		t.Fatalf("Restore = %+v, %v", res, err)
	}
	after, _ := os.ReadFile(key)
	if !bytes.Equal(after, kept) {
		t.Fatal("key file is not the old key")
	}
}

func TestRecipientRefusesLooseModeAndTwoKeys(t *testing.T) {
	key, _ := setup(t)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Recipient(key); err == nil {
		t.Fatal("a 0644 key was accepted")
	}
	data, _ := os.ReadFile(key)
	two := filepath.Join(filepath.Dir(key), "two.txt")
	if err := os.WriteFile(two, append(data, data...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Recipient(two); err == nil {
		t.Fatal("a file with two identities was accepted")
	}
}
