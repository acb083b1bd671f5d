package change

import (
	"slices"
	"testing"

	"github.com/keycycle/keycycle/internal/audit"
)

func TestAuditEntry(t *testing.T) {
	p := &Plan{Files: []FileResult{
		{Rel: "a.yaml", Added: []string{"age1new"}, Removed: []string{"age1old"}, DataKeyRotated: true, Readable: []string{"pw"}},
		{Rel: "b.yaml", Added: []string{"age1new"}, Removed: []string{"age1old"}},
	}}
	e, paths := p.AuditEntry(map[string]string{"age1old": "sorrow"}, audit.Entry{Command: "keycycle x"})
	if !slices.Equal(paths, []string{"a.yaml", "b.yaml"}) || !slices.Equal(e.Files, paths) || e.Command != "keycycle x" {
		t.Errorf("paths %v, entry %+v", paths, e)
	}
	if len(e.Added) != 1 || e.Added[0] != (audit.Recipient{Recipient: "age1new"}) ||
		len(e.Removed) != 1 || e.Removed[0] != (audit.Recipient{Name: "sorrow", Recipient: "age1old"}) {
		t.Errorf("recipients: added %v, removed %v (want each once)", e.Added, e.Removed)
	}
	if !slices.Equal(e.DataKeyRotated, []string{"a.yaml"}) || len(e.Exposed) != 1 || e.Exposed[0] != (audit.SecretRef{File: "a.yaml", Path: "pw"}) {
		t.Errorf("rotated %v, exposed %v", e.DataKeyRotated, e.Exposed)
	}
}

func TestKeyNames(t *testing.T) {
	req := Request{ConfigPath: ".sops.yaml",
		OldConfig: []byte("keys:\n  - &old age1x\ncreation_rules:\n  - age: *old\n"),
		NewConfig: []byte("keys:\n  - &renamed age1x\n  - &added age1y\ncreation_rules:\n  - age: *renamed\n")}
	n := req.KeyNames()
	if n["age1x"] != "old" || n["age1y"] != "added" {
		t.Errorf("KeyNames = %v", n)
	}
}
