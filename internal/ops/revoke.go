package ops

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/deploy"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// HostRemoveRequest is a host remove: a host revoked.
type HostRemoveRequest struct {
	// Name is the host's name (&NAME).
	Name string
	// Dir is the folder of the secrets files, relative to the repository.
	Dir string
	// KeepFile keeps the host's rule and file, re-encrypted for the
	// remaining keys.
	KeepFile bool
	// NoPolicy leaves the host under keycycle.yaml's hosts:.
	NoPolicy bool
	// Deploy brings the change to the remaining hosts whose files it
	// altered.
	Deploy deploy.Step
}

// HostRemove revokes a host: &NAME and its user keys (&USER_NAME) leave
// keys: and every rule, its own rule and file go (unless KeepFile), every
// file it could read gets a new data key, and keys.yaml and keycycle.yaml
// follow; then the deploy step runs. A name .sops.yaml no longer has is
// AlreadyRemoved when the audit log shows the revocation done.
func HostRemove(ctx context.Context, o Options, r HostRemoveRequest) (res *AccessResult, err error) {
	s, ed, err := beginEditing(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	l := sopsconfig.Layout{Config: ed.Config(), Dir: r.Dir}
	if _, ok := l.Config.AnchorByName(r.Name); !ok {
		return revokedAlready(s, r.Name)
	}
	req := s.Request(ed)
	revoke := append(l.UserKeysOf(r.Name), r.Name)
	for _, n := range revoke {
		if a, ok := l.Config.AnchorByName(n); ok {
			req.RotateFor = append(req.RotateFor, a.Value)
		}
	}
	if i := l.PerHostRule(r.Name); i >= 0 && !r.KeepFile {
		if err := ed.RemoveRule(i); err != nil {
			return nil, textutil.WithHint(err, "make this edit by hand, then run 'keycycle rekey --rotate-data-key'")
		}
		file := l.HostFile(r.Name)
		if _, err := os.Stat(filepath.Join(filepath.Dir(s.ConfigPath), file)); err == nil {
			req.Delete = append(req.Delete, file)
		}
	}
	if err := removeKeys(ed, revoke); err != nil {
		return nil, err
	}
	if err := RecordKeys(&req, nil, req.RotateFor); err != nil {
		return nil, err
	}
	if !r.NoPolicy {
		if err := UpdateHosts(&req, r.Name, false, policy.HostEdit{}); err != nil {
			return nil, err
		}
	}
	req.NewConfig = ed.Bytes()
	return s.changeAndDeploy(ctx, Change{Subject: "keycycle: host remove " + r.Name, Diff: ed.Diff(), Request: req}, r.Deploy)
}

// removeKeys removes the keys names from keys: and every rule.
func removeKeys(ed *configedit.Editor, names []string) error {
	for _, n := range names {
		if err := ed.RemoveKey(n); err != nil {
			return textutil.WithHint(err, "a file must keep at least one recipient: add another key to that rule first")
		}
	}
	return nil
}

// revokedAlready answers a revocation of a name .sops.yaml no longer
// has: when the audit log shows the key removed and no file lists it any
// more, the revocation is done (AlreadyRemoved, no error, so that
// re-running a command converges); otherwise it says what is left.
func revokedAlready(s *Session, name string) (*AccessResult, error) {
	removed := audit.RemovedRecipients(s.Root, name)
	if len(removed) == 0 {
		return nil, textutil.Hintf("'keycycle inventory' lists the keys .sops.yaml defines", "no key &%s in .sops.yaml", name)
	}
	open, err := change.Opens(s.Root, removed)
	if err != nil {
		return nil, err
	}
	if len(open) > 0 {
		return nil, textutil.Hintf("give them new data keys: 'keycycle rekey --rotate-data-key "+strings.Join(open, " ")+"'",
			"&%s is out of .sops.yaml, but its key still opens %s", name, strings.Join(open, ", "))
	}
	return &AccessResult{AlreadyRemoved: true}, nil
}
