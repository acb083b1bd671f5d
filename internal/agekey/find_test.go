package agekey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func envWith(vars map[string]string) Env {
	return Env{Getenv: func(k string) string { return vars[k] }}
}

// TestFindIdentitiesBoundsWhatItReads: SOPS_AGE_KEY_FILE pointing at an
// endless device is refused after MaxIdentityFile bytes instead of
// hanging or filling memory, and named in Skipped.
func TestFindIdentitiesBoundsWhatItReads(t *testing.T) {
	for _, dev := range []string{"/dev/zero", "/dev/urandom"} {
		if _, err := os.Stat(dev); err != nil {
			t.Skipf("%s: %v", dev, err)
		}
		f := FindIdentities(envWith(map[string]string{"SOPS_AGE_KEY_FILE": dev}))
		if len(f.Identities) != 0 || len(f.Skipped) != 1 || !strings.Contains(f.Skipped[0], "not a key file") {
			t.Errorf("%s: identities %d, skipped %v; want it refused as too large", dev, len(f.Identities), f.Skipped)
		}
	}
	f := FindIdentities(envWith(map[string]string{"SOPS_AGE_KEY_FILE": t.TempDir()}))
	if len(f.Skipped) != 1 || !strings.Contains(f.Skipped[0], "is a folder") {
		t.Errorf("a folder: skipped %v", f.Skipped)
	}
}

// TestFindIdentitiesWarnsOnOpenKeyFiles: a key file readable by group or
// others is used, with a warning naming the fix; a 0600 one is not.
func TestFindIdentitiesWarnsOnOpenKeyFiles(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	p := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(p, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := envWith(map[string]string{"SOPS_AGE_KEY_FILE": p})
	if f := FindIdentities(env); len(f.Identities) != 1 || len(f.Warnings) != 0 {
		t.Fatalf("0600: %d identities, warnings %v", len(f.Identities), f.Warnings)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		f := FindIdentities(env)
		if len(f.Identities) != 1 || len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "chmod 600 "+p) {
			t.Errorf("%04o: %d identities, warnings %v; want the key used and one warning", mode, len(f.Identities), f.Warnings)
		}
		if strings.Contains(strings.Join(f.Warnings, ""), "AGE-SECRET-KEY") {
			t.Fatal("a warning holds the private key")
		}
	}
}
