package rotation

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/audit"
)

// TestMakeAdminKeyIdempotent: the new admin key is appended beside the
// old identity under the rotation's marker, and a second run (after a
// crash before the journal recorded it) finds the same key instead of
// making another; a new --key-file is created 0600.
func TestMakeAdminKeyIdempotent(t *testing.T) {
	dir := t.TempDir()
	old, _ := age.GenerateX25519Identity()
	keyFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keyFile, []byte("# mine\n"+old.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var notes []string
	r := &Runner{ConfigPath: filepath.Join(dir, ".sops.yaml"), Out: io.Discard,
		Record: func(_ context.Context, e audit.Entry, _ string, _ []string) error {
			notes = append(notes, e.Note)
			return nil
		}}
	j := &Journal{ID: "rain-20260101T000000Z", Key: "rain", Kind: KindAdmin, KeyFile: keyFile}
	if _, err := r.makeAdminKey(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	first := j.New
	j.New = ""
	if _, err := r.makeAdminKey(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if j.New != first || first == "" {
		t.Fatalf("second run made %q, first %q", j.New, first)
	}
	data, _ := os.ReadFile(keyFile)
	s := string(data)
	if strings.Count(s, "AGE-SECRET-KEY-") != 2 || strings.Count(s, newKeyMarker(j)) != 1 ||
		!strings.HasPrefix(s, "# mine\n"+old.String()+"\n") || !strings.Contains(s, "# public key: "+first+"\n") {
		t.Fatalf("key file after two runs: %d identities, %d markers", strings.Count(s, "AGE-SECRET-KEY-"), strings.Count(s, newKeyMarker(j)))
	}
	if len(notes) != 1 {
		t.Errorf("audit entries %q, want one for the key made", notes)
	}
	if _, ok := findIdentity(data, first); !ok {
		t.Error("findIdentity does not find the new key")
	}

	j2 := &Journal{ID: "rain-20260102T000000Z", Key: "rain", Kind: KindAdmin, KeyFile: filepath.Join(dir, "new", "admin.key")}
	if _, err := r.makeAdminKey(context.Background(), j2); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(j2.KeyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v", st, err)
	}
}
