package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

type hostRemoveOptions struct {
	mutateFlags
	keepFile bool
	dir      string
	noPolicy bool
	deploy   deployFlags
}

func newHostRemoveCmd(e *env) *cobra.Command {
	opts := &hostRemoveOptions{}
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Revoke a host: out of every rule and keys:, its files re-keyed with new data keys",
		Long: `Host remove decommissions a host. It removes &NAME and the host's user keys
(&USER_NAME) from keys: and from every rule, removes the host's own rule
and deletes its file DIR/NAME.yaml (it stays in the VCS history) — or with
--keep-file keeps both, re-encrypted for the remaining keys. The host leaves
hosts: in keycycle.yaml too (--no-policy keeps it there).

Every file the host could read gets a new data key and all its values are
encrypted again, so the removed key opens nothing written from now on. The
secrets it could read are listed: their values are known to the host and
must be changed at their source.

Everything is verified in memory first; nothing is written unless every
file verified. It refuses to leave any file with no recipient. Then the
deploy command (--deploy, else keycycle.yaml's deploy:) runs for every
remaining host whose files changed.`,
		Example: `  keycycle host remove sorrow --dry-run
  keycycle host remove sorrow`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostRemove(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	cmd.Flags().BoolVar(&opts.keepFile, "keep-file", false, "keep the host's file and rule, re-encrypted for the remaining keys")
	cmd.Flags().BoolVar(&opts.noPolicy, "no-policy", false, "leave the host under hosts: in keycycle.yaml")
	opts.deploy.register(cmd)
	cmd.Flags().StringVar(&opts.dir, "dir", "sops", "folder of the secrets files, relative to the repository")
	return cmd
}

func runHostRemove(ctx context.Context, opts *hostRemoveOptions, out io.Writer, args []string) (err error) {
	name := args[0]
	ed, s, err := openEditor(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := ed.Config().Path
	l := sopsconfig.Layout{Config: ed.Config(), Dir: opts.dir}
	if _, ok := l.Config.AnchorByName(name); !ok {
		return revokedAlready(out, s, name)
	}
	req := change.Request{ConfigPath: cfgPath, OldConfig: ed.Bytes(), Exclude: opts.exclude, Identities: s.Identities()}
	revoke := append(l.UserKeysOf(name), name)
	for _, n := range revoke {
		if a, ok := l.Config.AnchorByName(n); ok {
			req.RotateFor = append(req.RotateFor, a.Value)
		}
	}
	if i := l.PerHostRule(name); i >= 0 && !opts.keepFile {
		if err := ed.RemoveRule(i); err != nil {
			return withHint(err, "make this edit by hand, then run 'keycycle rekey --rotate-data-key'")
		}
		file := l.HostFile(name)
		if _, err := os.Stat(filepath.Join(filepath.Dir(cfgPath), file)); err == nil {
			req.Delete = append(req.Delete, file)
		}
	}
	if err := removeKeys(ed, revoke); err != nil {
		return err
	}
	if err := ops.RecordKeys(&req, nil, req.RotateFor); err != nil {
		return err
	}
	if !opts.noPolicy {
		if err := ops.UpdateHosts(&req, name, false, policy.HostEdit{}); err != nil {
			return err
		}
	}
	req.NewConfig = ed.Bytes()
	if _, err := s.Change(ctx, ops.Change{Subject: "keycycle: host remove " + name, Diff: ed.Diff(), Request: req}); err != nil {
		return err
	}
	derr := deployAfter(ctx, out, &opts.mutateFlags, &opts.deploy, req)
	regenerateHint(out, &opts.mutateFlags, name)
	return derr
}

func removeKeys(ed *configedit.Editor, names []string) error {
	for _, n := range names {
		if err := ed.RemoveKey(n); err != nil {
			return withHint(err, "a file must keep at least one recipient: add another key to that rule first")
		}
	}
	return nil
}

type userOptions struct {
	mutateFlags
	age  string
	host string
	dir  string
}

func newUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Give a person's age key access, or revoke it",
		Long: `User commands add or remove a person's age key:

  keycycle user add NAME --age RECIPIENT [--host HOST]
  keycycle user remove NAME`,
	}
	cmd.AddCommand(newUserAddCmd(e), newUserRemoveCmd(e))
	return cmd
}

func newUserAddCmd(e *env) *cobra.Command {
	opts := &userOptions{}
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Register a user key and add it to the shared rules (and a host's rule)",
		Long: `User add puts &NAME under keys: (in the users group when there is one),
adds *NAME to the shared rule(s) — and with --host HOST to HOST's own rule —
and rekeys the files that changed, verified in memory before anything is
written.`,
		Example: `  keycycle user add rain_laptop --age age1… --host laptop --dry-run`,
		Args:    argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUserAdd(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	cmd.Flags().StringVar(&opts.age, "age", "", "the user's age recipient (age-keygen -y KEYFILE)")
	cmd.Flags().StringVar(&opts.host, "host", "", "also add the key to this host's own rule")
	cmd.Flags().StringVar(&opts.dir, "dir", "sops", "folder of the secrets files, relative to the repository")
	return cmd
}

func runUserAdd(ctx context.Context, opts *userOptions, out io.Writer, args []string) (err error) {
	name := args[0]
	if err := sopsconfig.CheckUserName(name); err != nil {
		return err
	}
	if opts.age == "" {
		return errorf("pass the user's recipient: --age $(age-keygen -y KEYFILE)", "user add needs --age")
	}
	hk, err := hostKeySource{age: opts.age}.resolve(ctx)
	if err != nil {
		return err
	}
	ed, s, err := openEditor(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := ed.Config().Path
	l := sopsconfig.Layout{Config: ed.Config(), Dir: opts.dir}
	if err := l.Config.CheckFree(name, hk.Recipient); err != nil {
		return err
	}
	old := ed.Bytes()
	rules := l.SharedRules()
	if opts.host != "" {
		i := l.PerHostRule(opts.host)
		if i < 0 {
			return errorf("'keycycle inventory' lists the hosts", "no rule for host %s's own file %s", opts.host, l.HostFile(opts.host))
		}
		if !slices.Contains(rules, i) {
			rules = append(rules, i)
		}
	}
	if len(rules) == 0 {
		return errorf("add the alias to a rule by hand, then run 'keycycle rekey'", "no shared rule found to add &%s to", name)
	}
	if err := ed.AddKey("users", name, hk.Recipient); err != nil {
		return withHint(err, "make this edit by hand, then run 'keycycle rekey'")
	}
	for _, i := range rules {
		if err := ed.AddAlias(i, name); err != nil && !errors.Is(err, configedit.ErrAlreadyPresent) {
			return withHint(err, "make this edit by hand, then run 'keycycle rekey'")
		}
	}
	req := change.Request{ConfigPath: cfgPath, OldConfig: old, NewConfig: ed.Bytes(),
		Exclude: opts.exclude, Identities: s.Identities()}
	rec := policy.Key{Name: name, Recipient: hk.Recipient, Kind: policy.KindUser, Owner: opts.host, Origin: policy.OriginImported}
	if err := ops.RecordKeys(&req, []policy.Key{rec}, nil); err != nil {
		return err
	}
	_, err = s.Change(ctx, ops.Change{Subject: "keycycle: user add " + name, Diff: ed.Diff(), Request: req})
	return err
}

func newUserRemoveCmd(e *env) *cobra.Command {
	opts := &userOptions{}
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Revoke a user key: out of every rule, its files re-keyed with new data keys",
		Long: `User remove deletes &NAME and every alias to it, gives every file the key
could read a new data key, and lists the secrets it could read: change
their values at the source. It refuses to leave a file with no recipient.`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUserRemove(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	return cmd
}

func runUserRemove(ctx context.Context, opts *userOptions, out io.Writer, args []string) (err error) {
	name := args[0]
	ed, s, err := openEditor(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := ed.Config().Path
	a, ok := ed.Config().AnchorByName(name)
	if !ok {
		return revokedAlready(out, s, name)
	}
	old := ed.Bytes()
	if err := removeKeys(ed, []string{name}); err != nil {
		return err
	}
	req := change.Request{ConfigPath: cfgPath, OldConfig: old, NewConfig: ed.Bytes(),
		Exclude: opts.exclude, Identities: s.Identities(), RotateFor: []string{a.Value}}
	if err := ops.RecordKeys(&req, nil, req.RotateFor); err != nil {
		return err
	}
	if _, err := s.Change(ctx, ops.Change{Subject: "keycycle: user remove " + name, Diff: ed.Diff(), Request: req}); err != nil {
		return err
	}
	regenerateHint(out, &opts.mutateFlags, name)
	return nil
}

// revokedAlready answers a revocation of a name .sops.yaml no longer
// has: when the audit log shows the key removed and no file lists it any
// more, the revocation is done (exit 0, so that re-running a command
// converges); otherwise it says what is left.
func revokedAlready(out io.Writer, s *ops.Session, name string) error {
	removed := audit.RemovedRecipients(s.Root, name)
	if len(removed) == 0 {
		return errorf("'keycycle inventory' lists the keys .sops.yaml defines", "no key &%s in .sops.yaml", name)
	}
	open, err := change.Opens(s.Root, removed)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		return errorf("give them new data keys: 'keycycle rekey --rotate-data-key "+strings.Join(open, " ")+"'",
			"&%s is out of .sops.yaml, but its key still opens %s", name, strings.Join(open, ", "))
	}
	fmt.Fprintf(out, "&%s was removed already (the audit log records it) and no file lists its key: nothing to do\n", name)
	return nil
}
