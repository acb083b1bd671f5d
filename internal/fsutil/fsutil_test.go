package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the temporary file must not go there
	p := filepath.Join(dir, "sub", "f.yaml")
	if err := WriteFileAtomic(p, []byte("one"), 0o640); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("new file: %v, mode %v", err, st.Mode())
	}
	// An existing file keeps its mode; the content is replaced whole.
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	st, _ = os.Stat(p)
	if string(data) != "two" || st.Mode().Perm() != 0o600 {
		t.Fatalf("after replace: %q, mode %v", data, st.Mode())
	}
	for _, d := range []string{filepath.Dir(p), tmp} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.Name() != "f.yaml" {
				t.Errorf("left behind in %s: %s", d, e.Name())
			}
		}
	}
}

func TestWriteFileAtomicFailureKeepsTheOldFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only folders")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "f.yaml")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	err := WriteFileAtomic(p, []byte("new"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "cannot write "+p) {
		t.Fatalf("err = %v, want a failure naming the file", err)
	}
	if data, _ := os.ReadFile(p); string(data) != "old" {
		t.Fatalf("the old file became %q", data)
	}
}

func TestWriteNewPrivate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys", "key.txt")
	if err := WriteNewPrivate(p, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	dst, _ := os.Stat(filepath.Dir(p))
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
		t.Fatalf("modes: file %v, folder %v", st.Mode(), dst.Mode())
	}
	err := WriteNewPrivate(p, []byte("other"))
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "never overwrites a key") {
		t.Fatalf("second write: %v", err)
	}
	if data, _ := os.ReadFile(p); string(data) != "secret" {
		t.Fatalf("the key was overwritten: %q", data)
	}
}

// TestWriteFileAtomicFailedRenameLeavesNothing makes the rename fail (the
// target is a folder that is not empty), as root too: the error names the
// file, and no temporary file is left.
func TestWriteFileAtomicFailedRenameLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.yaml")
	if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(p, []byte("new"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "cannot write "+p) {
		t.Fatalf("err = %v, want a failure naming the file", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestBatch(t *testing.T) {
	dir := t.TempDir()
	var b Batch
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func() {
			done <- b.WriteFile(filepath.Join(dir, "d"+string(rune('0'+i%2)), "f"+string(rune('a'+i))), []byte{byte(i)}, 0o640)
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Remove(filepath.Join(dir, "d0", "fa")); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(filepath.Join(dir, "d0", "missing")); err != nil {
		t.Fatalf("removing a missing file: %v", err)
	}
	if len(b.dirs) != 2 {
		t.Errorf("folders to sync: %v, want d0 and d1", b.dirs)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if b.dirs != nil {
		t.Error("Sync left folders to sync")
	}
	for i := 1; i < 8; i++ {
		p := filepath.Join(dir, "d"+string(rune('0'+i%2)), "f"+string(rune('a'+i)))
		if data, err := os.ReadFile(p); err != nil || len(data) != 1 || data[0] != byte(i) {
			t.Errorf("%s: %v %v", p, data, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "d0", "fa")); !os.IsNotExist(err) {
		t.Errorf("fa not removed: %v", err)
	}
}
