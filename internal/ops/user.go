package ops

import (
	"context"
	"errors"
	"slices"

	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// UserAddRequest is a user add: a person's age key given access.
type UserAddRequest struct {
	// Name is the key's name (&NAME).
	Name string
	// Age is the user's age recipient.
	Age string
	// Host, when set, adds the key to that host's own rule too.
	Host string
	// Dir is the folder of the secrets files, relative to the repository.
	Dir string
}

// UserAdd registers a user key: &NAME under keys:, *NAME in the shared
// rules (and Host's own rule), a keys.yaml entry; the files that changed
// are rekeyed.
func UserAdd(ctx context.Context, o Options, r UserAddRequest) (res *AccessResult, err error) {
	if err := sopsconfig.CheckUserName(r.Name); err != nil {
		return nil, err
	}
	if r.Age == "" {
		return nil, textutil.Hintf("pass the user's recipient: --age $(age-keygen -y KEYFILE)", "user add needs --age")
	}
	hk, err := hostkey.Source{Age: r.Age}.Resolve(ctx)
	if err != nil {
		return nil, err
	}
	s, ed, err := beginEditing(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	l := sopsconfig.Layout{Config: ed.Config(), Dir: r.Dir}
	if addedAlready(l, r.Name, hk.Recipient, false) {
		return &AccessResult{AlreadyAdded: true}, nil
	}
	if err := l.Config.CheckFree(r.Name, hk.Recipient); err != nil {
		return nil, err
	}
	req := s.Request(ed)
	rules := l.SharedRules()
	if r.Host != "" {
		i := l.PerHostRule(r.Host)
		if i < 0 {
			return nil, textutil.Hintf("'keycycle inventory' lists the hosts", "no rule for host %s's own file %s", r.Host, l.HostFile(r.Host))
		}
		if !slices.Contains(rules, i) {
			rules = append(rules, i)
		}
	}
	if len(rules) == 0 {
		return nil, textutil.Hintf("add the alias to a rule by hand, then run 'keycycle rekey'", "no shared rule found to add &%s to", r.Name)
	}
	if err := ed.AddKey("users", r.Name, hk.Recipient); err != nil {
		return nil, textutil.WithHint(err, byHandHint)
	}
	for _, i := range rules {
		if err := ed.AddAlias(i, r.Name); err != nil && !errors.Is(err, configedit.ErrAlreadyPresent) {
			return nil, textutil.WithHint(err, byHandHint)
		}
	}
	req.NewConfig = ed.Bytes()
	rec := policy.Key{Name: r.Name, Recipient: hk.Recipient, Kind: policy.KindUser, Owner: r.Host, Origin: policy.OriginImported}
	if err := RecordKeys(&req, []policy.Key{rec}, nil); err != nil {
		return nil, err
	}
	plan, err := s.Change(ctx, Change{Subject: "keycycle: user add " + r.Name, Diff: ed.Diff(), Request: req})
	if err != nil {
		return nil, err
	}
	return &AccessResult{Plan: plan}, nil
}

// UserRemove revokes the user key &name: it leaves keys: and every rule,
// every file it could read gets a new data key, keys.yaml retires it. A
// name .sops.yaml no longer has is AlreadyRemoved when the audit log
// shows the revocation done.
func UserRemove(ctx context.Context, o Options, name string) (res *AccessResult, err error) {
	s, ed, err := beginEditing(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	a, ok := ed.Config().AnchorByName(name)
	if !ok {
		return revokedAlready(s, name)
	}
	req := s.Request(ed)
	req.RotateFor = []string{a.Value}
	if err := removeKeys(ed, []string{name}); err != nil {
		return nil, err
	}
	req.NewConfig = ed.Bytes()
	if err := RecordKeys(&req, nil, req.RotateFor); err != nil {
		return nil, err
	}
	plan, err := s.Change(ctx, Change{Subject: "keycycle: user remove " + name, Diff: ed.Diff(), Request: req})
	if err != nil {
		return nil, err
	}
	return &AccessResult{Plan: plan}, nil
}
