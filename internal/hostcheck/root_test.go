package hostcheck

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func fmtInt(n int) string { return strconv.Itoa(n) }

func TestResolveStaysInRoot(t *testing.T) {
	dir := t.TempDir()
	r := Root{Dir: dir}
	os.MkdirAll(filepath.Join(dir, "run/secrets.d/3"), 0o755)
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("x"), 0o644)
	links := map[string]string{
		"run/secrets": "/run/secrets.d/3",
		"run/rel":     "secrets.d/3",
		"run/up":      "../../../../../etc/passwd",
		"run/abs":     "/etc/passwd",
		"run/loop":    "/run/loop",
		"run/chain":   "/run/up",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct{ in, want string }{
		{"/run/secrets", "/run/secrets.d/3"},
		{"/run/secrets/x", "/run/secrets.d/3/x"},
		{"/run/rel", "/run/secrets.d/3"},
		{"/run/up", "/etc/passwd"},
		{"/run/abs", "/etc/passwd"},
		{"/run/chain", "/etc/passwd"},
		{"/../../etc/passwd", "/etc/passwd"},
		{"/missing/a/b", "/missing/a/b"},
	}
	for _, c := range cases {
		got, err := r.Resolve(c.in, true)
		if err != nil || got != c.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if got, _ := r.Resolve("/run/secrets", false); got != "/run/secrets" {
		t.Errorf("Resolve without the last link = %q", got)
	}
	if _, err := r.Resolve("/run/loop", true); err == nil {
		t.Error("a link loop resolved")
	}
	if _, f, err := r.readFile("/run/up"); err != nil || f.real != filepath.Join(dir, "etc/passwd") {
		t.Errorf("readFile through links: %v %q", err, f.real)
	}
}
