package change

import (
	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// AuditEntry is the audit entry of the applied plan, starting from e
// (what the command recorded), naming keys by n (value to name), and the
// files it touched.
func (p *Plan) AuditEntry(n map[string]string, e audit.Entry) (audit.Entry, []string) {
	seen := map[string]bool{}
	add := func(list *[]audit.Recipient, ids []string, sign string) {
		for _, id := range ids {
			if !seen[sign+id] {
				seen[sign+id] = true
				*list = append(*list, audit.Recipient{Name: n[id], Recipient: id})
			}
		}
	}
	var paths []string
	for _, f := range p.Files {
		paths = append(paths, f.Rel)
		add(&e.Added, f.Added, "+")
		add(&e.Removed, f.Removed, "-")
		if f.DataKeyRotated {
			e.DataKeyRotated = append(e.DataKeyRotated, f.Rel)
		}
		for _, s := range f.Readable {
			e.Exposed = append(e.Exposed, audit.SecretRef{File: f.Rel, Path: s})
		}
	}
	e.Files = paths
	return e, paths
}

// KeyNames maps key values to anchor names from the config before and
// after the change (the old name where both name a key).
func (req Request) KeyNames() map[string]string {
	n := map[string]string{}
	for _, data := range [][]byte{req.NewConfig, req.OldConfig} {
		if cfg, err := sopsconfig.Parse(req.ConfigPath, data); err == nil {
			for k, v := range cfg.NamesByValue() {
				n[k] = v
			}
		}
	}
	return n
}
