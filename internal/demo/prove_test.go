package demo_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/demo"
)

// TestProve requires Prove to pass only when the new key opens every
// file and the old one opens none.
func TestProve(t *testing.T) {
	dir := t.TempDir()
	l, err := demo.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := func(name string) string { return l.IdentityFiles[name] }
	files := []string{"sops/griefling.yaml", "sops/shared.yaml"}
	var out bytes.Buffer
	// griefling's key opens both; malphas's opens griefling.yaml not.
	if err := demo.Prove(&out, dir, files[:1], key("griefling"), key("malphas")); err != nil {
		t.Errorf("griefling's key, malphas's as the old one: %v", err)
	}
	if !strings.Contains(out.String(), "sops/griefling.yaml") {
		t.Errorf("nothing said of griefling.yaml: %q", out.String())
	}
	if err := demo.Prove(&out, dir, files, key("griefling"), key("rain")); err == nil || !strings.Contains(err.Error(), "old key still opens") {
		t.Errorf("rain's key as the old one opens both files: err %v", err)
	}
	if err := demo.Prove(&out, dir, files, key("malphas"), key("sorrow")); err == nil || !strings.Contains(err.Error(), "new key does not open") {
		t.Errorf("malphas's key as the new one opens neither: err %v", err)
	}
}
