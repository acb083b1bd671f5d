package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

type hostSetKeyOptions struct {
	mutateFlags
	key    hostKeySource
	deploy deployFlags
}

func newHostSetKeyCmd(e *env) *cobra.Command {
	opts := &hostSetKeyOptions{}
	cmd := &cobra.Command{
		Use:   "set-key NAME",
		Short: "Give a registered host a new key (a reinstalled host): its files re-keyed with new data keys",
		Long: `Host set-key replaces the key of a host that is registered already — a
reinstalled host with a new SSH host key, say. The new key comes from
exactly one of --ssh-pubkey FILE, --ssh-keyscan ADDR[:PORT], --age
RECIPIENT or --new-ssh-key DIR. Then:
  1. the value of &NAME under keys: is replaced in place (its comments and
     every *NAME stay, so every rule that listed the host lists the new key),
  2. every file the host reads is re-keyed with a new data key: the old key
     is presumed lost or leaked, and must open nothing written from now on,
  3. the host's own file and its secrets (user keys under keys/age too)
     are kept,
  4. .keycycle/keys.yaml, when there is one: the old key retired (replaced
     by NAME), the new one created now,
  5. the deploy command (--deploy, else keycycle.yaml's deploy:) runs for
     every host whose files changed.
Everything is verified in memory first, with your own identity opening
the files (the host's old key is not needed).

The secrets the old key could read are listed: change them at the source
if the old key may have leaked.

For a planned replacement of a key the host still has, 'keycycle rotate
start NAME' keeps the host able to decrypt at every step.`,
		Example: `  keycycle host set-key ghost --ssh-keyscan 192.0.2.10 --dry-run
  keycycle host set-key ghost --ssh-pubkey ssh_host_ed25519_key.pub --commit
  keycycle host set-key ghost --new-ssh-key /tmp/extra   # then nixos-anywhere --extra-files /tmp/extra`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostSetKey(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	opts.key.register(cmd, "new ")
	opts.deploy.register(cmd)
	return cmd
}

func runHostSetKey(ctx context.Context, opts *hostSetKeyOptions, out io.Writer, args []string) (err error) {
	name := args[0]
	if err := sopsconfig.CheckHostName(name); err != nil {
		return err
	}
	if err := opts.key.check("host set-key"); err != nil {
		return err
	}
	opts.key.comment = "root@" + name
	ed, s, err := openEditor(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := ed.Config().Path
	a, err := setKeyAnchor(ed.Config(), filepath.Dir(cfgPath), name)
	if err != nil {
		return err
	}
	hk, err := opts.key.resolve(ctx)
	if err != nil {
		return err
	}
	if hk.Recipient == a.Value {
		return errorf("to give its files new data keys anyway: 'keycycle rekey --rotate-data-key'",
			"%s is &%s's key already (.sops.yaml line %d)", hk.Recipient, name, a.Pos.Line)
	}
	if b, ok := ed.Config().AnchorByValue(hk.Recipient); ok {
		return errorf("one key, one name: remove &"+b.Name+" first if the key moved",
			"that key is already registered as &%s (line %d)", b.Name, b.Pos.Line)
	}
	old := ed.Bytes()
	if err := ed.SetValue(name, hk.Recipient); err != nil {
		return withHint(err, "replace the value of &"+name+" by hand, then run 'keycycle rekey --rotate-data-key'")
	}
	req := change.Request{ConfigPath: cfgPath, OldConfig: old, NewConfig: ed.Bytes(),
		Exclude: opts.exclude, Identities: s.Identities(), RotateFor: []string{a.Value}}
	rec := hostRecords(name, hk.Recipient, opts.key.age != "")[0]
	if err := ops.RecordReplaced(&req, a.Value, rec); err != nil {
		return err
	}
	_, err = s.Change(ctx, ops.Change{Subject: "keycycle: host set-key " + name, Diff: ed.Diff(), Request: req, Before: func() error {
		if hk.Private == nil {
			return nil
		}
		if err := hk.WriteExtraFiles(opts.key.newSSHKey, opts.key.persist); err != nil {
			return err
		}
		fmt.Fprintln(out, hostkey.ExtraFilesNote(opts.key.newSSHKey, opts.key.persist))
		return nil
	}})
	if err != nil {
		return err
	}
	derr := deployAfter(ctx, out, &opts.mutateFlags, &opts.deploy, req)
	regenerateHint(out, &opts.mutateFlags, name)
	return derr
}

// setKeyAnchor returns the anchor &name, which must be a host's key.
func setKeyAnchor(cfg *sopsconfig.Config, root, name string) (sopsconfig.Anchor, error) {
	a, ok := cfg.AnchorByName(name)
	if !ok {
		return a, errorf("register a new host with 'keycycle host add "+name+" …'", "no key &%s in .sops.yaml", name)
	}
	pol, err := policy.Load(root)
	if err != nil {
		return a, err
	}
	if kind, _ := rotation.KeyKind(cfg, pol, a); kind != policy.KindHost {
		return a, errorf("replace it with 'keycycle user add' and 'keycycle user remove', or 'keycycle rotate start "+name+"'",
			"&%s is a%s %s key, not a host's", name, textutil.Article(string(kind)), kind)
	}
	return a, nil
}
