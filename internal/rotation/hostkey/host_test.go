package hostkey

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/textutil"
)

// TestHostKeyPath finds the key file under the root, following a link as
// the host would, and refuses what cannot name a key file, with a hint.
func TestHostKeyPath(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "persist/sops"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "var/lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/persist/sops", filepath.Join(root, "var/lib/sops-nix")); err != nil {
		t.Fatal(err)
	}
	h := Host{Root: root, KeyFile: "/var/lib/sops-nix/key.txt"}
	p, err := h.KeyPath()
	if err != nil || p != filepath.Join(root, "persist/sops/key.txt") {
		t.Fatalf("KeyPath: %q %v", p, err)
	}
	for _, bad := range []Host{{Root: root, KeyFile: "key.txt"}, {Root: filepath.Join(root, "none"), KeyFile: "/k"}} {
		if _, err := bad.KeyPath(); textutil.HintOf(err) == "" {
			t.Errorf("%+v: %v, want an error with a hint", bad, err)
		}
	}
}

// TestHostRotation runs the host side of a rotation through Host: a key
// staged beside the key file, installed, restored; then one installed
// and retired; a proof that reads nothing fails with a hint.
func TestHostRotation(t *testing.T) {
	root := t.TempDir()
	h := Host{Root: root, KeyFile: "/key.txt"}
	staged, rec, existed, err := h.NewKey("", false)
	if err != nil || existed || staged != filepath.Join(root, "key.txt"+StagedSuffix) {
		t.Fatalf("NewKey: %q %v %v", staged, existed, err)
	}
	if _, again, _, err := h.NewKey("", true); err != nil || again != rec {
		t.Fatalf("NewKey --reuse: %q %v", again, err)
	}
	if _, _, _, err := h.NewKey("", false); textutil.HintOf(err) == "" {
		t.Fatalf("NewKey over a key: %v, want an error with a hint", err)
	}
	if res, err := h.Install(""); err != nil || !res.Changed || res.Recipient != rec {
		t.Fatalf("Install: %+v %v", res, err)
	}
	if res, err := h.Restore(""); err != nil || !res.Changed || res.Recipient != "" {
		t.Fatalf("Restore: %+v %v", res, err)
	}
	if res, err := h.Retire(); err != nil || res.Changed {
		t.Fatalf("Retire with nothing kept: %+v %v", res, err)
	}
	if _, err := h.Install(""); textutil.HintOf(err) == "" || !strings.Contains(err.Error(), "cannot install") {
		t.Fatalf("Install with nothing staged: %v", err)
	}
	if _, err := h.Verify(bytes.NewReader(nil), Proof{Name: "x.yaml"}); textutil.HintOf(err) == "" {
		t.Fatalf("Verify without a key file: %v", err)
	}
}
