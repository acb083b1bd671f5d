package hostkey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSSHPairWritesTheNixosAnywhereLayout(t *testing.T) {
	k, err := NewSSHPair("root@griefling")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Recipient, "age1") || !strings.HasSuffix(strings.TrimSpace(string(k.Public)), "root@griefling") {
		t.Fatalf("pair: recipient %q, public %q", k.Recipient, k.Public)
	}
	dir := filepath.Join(t.TempDir(), "extra")
	if err := k.WriteExtraFiles(dir, true); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]os.FileMode{
		".": 0o755, "persist": 0o755, "persist/etc": 0o755, "persist/etc/ssh": 0o755,
		"persist/etc/ssh/ssh_host_ed25519_key": 0o600, "persist/etc/ssh/ssh_host_ed25519_key.pub": 0o644,
	} {
		st, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", rel, st.Mode().Perm(), want)
		}
	}
	if err := k.WriteExtraFiles(dir, true); err == nil {
		t.Error("a second write replaced the private key")
	}
	if note := ExtraFilesNote(dir, true); !strings.Contains(note, "--extra-files "+dir) || strings.Contains(note, "chmod") {
		t.Errorf("note: %s", note)
	}
}
