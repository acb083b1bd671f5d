package ops

import (
	"context"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/deploy"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// HostSetKeyRequest is a host set-key: a registered host's new key.
type HostSetKeyRequest struct {
	// Name is the host's name (&NAME).
	Name string
	// Key is where the new key comes from.
	Key hostkey.Source
	// Deploy brings the change to the hosts whose files it altered.
	Deploy deploy.Step
}

// HostSetKey replaces the value of the host key &NAME in place (its
// aliases stay), gives every file the host reads a new data key (the old
// key is presumed lost or leaked), and records the replacement in
// keys.yaml; then the deploy step runs. A new SSH host key
// (Key.NewSSHKey) is written, and its note printed on Options.Stdout,
// before the repository changes.
func HostSetKey(ctx context.Context, o Options, r HostSetKeyRequest) (res *AccessResult, err error) {
	if err := checkHostKey(r.Name, &r.Key, "host set-key"); err != nil {
		return nil, err
	}
	s, ed, err := beginEditing(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	a, err := setKeyAnchor(ed.Config(), filepath.Dir(s.ConfigPath), r.Name)
	if err != nil {
		return nil, err
	}
	hk, err := r.Key.Resolve(ctx)
	if err != nil {
		return nil, err
	}
	if hk.Recipient == a.Value {
		return nil, textutil.Hintf("to give its files new data keys anyway: 'keycycle rekey --rotate-data-key'",
			"%s is &%s's key already (.sops.yaml line %d)", hk.Recipient, r.Name, a.Pos.Line)
	}
	if b, ok := ed.Config().AnchorByValue(hk.Recipient); ok {
		return nil, textutil.Hintf("one key, one name: remove &"+b.Name+" first if the key moved",
			"that key is already registered as &%s (line %d)", b.Name, b.Pos.Line)
	}
	req := s.Request(ed)
	req.RotateFor = []string{a.Value}
	if err := ed.SetValue(r.Name, hk.Recipient); err != nil {
		return nil, textutil.WithHint(err, "replace the value of &"+r.Name+" by hand, then run 'keycycle rekey --rotate-data-key'")
	}
	req.NewConfig = ed.Bytes()
	if err := RecordReplaced(&req, a.Value, hostRecords(r.Name, hk.Recipient, r.Key.Age != "")[0]); err != nil {
		return nil, err
	}
	return s.changeAndDeploy(ctx, Change{Subject: "keycycle: host set-key " + r.Name, Diff: ed.Diff(), Request: req,
		Before: writeHostKey(s.Opts.Stdout, hk, r.Key)}, r.Deploy)
}

// setKeyAnchor returns the anchor &name, which must be a host's key.
func setKeyAnchor(cfg *sopsconfig.Config, root, name string) (sopsconfig.Anchor, error) {
	a, ok := cfg.AnchorByName(name)
	if !ok {
		return a, textutil.Hintf("register a new host with 'keycycle host add "+name+" …'", "no key &%s in .sops.yaml", name)
	}
	pol, err := policy.Load(root)
	if err != nil {
		return a, err
	}
	if kind, _ := rotation.KeyKind(cfg, pol, a); kind != policy.KindHost {
		return a, textutil.Hintf("replace it with 'keycycle user add' and 'keycycle user remove', or 'keycycle rotate start "+name+"'",
			"&%s is a%s %s key, not a host's", name, textutil.Article(string(kind)), kind)
	}
	return a, nil
}
