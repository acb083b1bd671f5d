package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

func newHostCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "host",
		Short: "Bring hosts in and take them out of the secrets repository",
		Long: `Host commands change who can decrypt what, host by host, replacing the
hand edits of .sops.yaml and the 'sops updatekeys' loop:

  keycycle host add NAME …     register a host's key, its rules and its file
  keycycle host remove NAME    revoke a host: out of every rule, files re-keyed
  keycycle host set-key NAME … a reinstalled host's new key, files re-keyed

On the host itself:

  keycycle host check          what check-sops.sh did, and more (--fix, --metrics)
  keycycle host units          systemd units for hosts without NixOS
  keycycle host keygen         a new age key for rotation; only the recipient is printed
  keycycle host verify         prove a key alone opens a sops file (stdin)
  keycycle host install-key    swap the sops-nix key file, keeping the old one
  keycycle host restore-key    swap back (rotation abort)
  keycycle host retire-key     delete the kept key once rotation is done`,
	}
	cmd.AddCommand(newHostAddCmd(e), newHostRemoveCmd(e), newHostSetKeyCmd(e), newHostCheckCmd(e), newHostUnitsCmd(e))
	cmd.AddCommand(newHostKeyCmds(e)...)
	return cmd
}

type hostAddOptions struct {
	mutateFlags
	key      hostKeySource
	userKey  string
	dir      string
	noShare  bool
	pol      policy.HostEdit
	noPolicy bool
	deploy   deployFlags
}

func newHostAddCmd(e *env) *cobra.Command {
	opts := &hostAddOptions{}
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Register a host: its key, its per-host rule, the shared rules, its file",
		Long: `Host add does what the bootstrap helpers did by hand:
  1. converts the host's SSH ed25519 key to its age recipient (ssh-to-age),
  2. adds &NAME under keys: (in the hosts group when there is one),
  3. adds a rule for DIR/NAME.yaml (the admins every host file lists, and NAME),
     before any catch-all rule,
  4. adds *NAME to the shared rule(s) (the one for DIR/shared.yaml, and any
     rule that lists every host), unless --no-shared,
  5. creates DIR/NAME.yaml if missing, and with --user-key USER a new user
     age key whose private half is stored encrypted there under keys/age,
     registered as &USER_NAME,
  6. adds NAME under hosts: of keycycle.yaml, when there is one, with
     --role and --ssh (comments and order kept; --no-policy leaves it),
  7. rekeys every file that changed — all verified in memory first; nothing
     is written unless every file verified,
  8. runs the deploy command (--deploy, else keycycle.yaml's deploy:) for
     every host whose files changed, --max-parallel at a time; without one
     it names the hosts to deploy (--no-deploy: nothing).

--new-ssh-key DIR generates the host's SSH key pair into DIR/etc/ssh
(DIR/persist/etc/ssh with --persist) for 'nixos-anywhere --extra-files DIR',
so the host can decrypt on its first boot.`,
		Example: `  keycycle host add griefling --ssh-keyscan 192.0.2.10 --dry-run
  keycycle host add griefling --ssh-pubkey ssh_host_ed25519_key.pub --user-key rain --role desktop --ssh root@griefling.lan
  keycycle host add griefling --new-ssh-key /tmp/extra --persist`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostAdd(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	f := cmd.Flags()
	opts.key.register(cmd, "")
	f.StringVar(&opts.userKey, "user-key", "", "also make a user age key USER_NAME stored in the host's file")
	f.StringVar(&opts.dir, "dir", "sops", "folder of the secrets files, relative to the repository")
	f.BoolVar(&opts.noShare, "no-shared", false, "do not add the host to the shared rules")
	f.StringVar(&opts.pol.Role, "role", "", "the host's role, written to keycycle.yaml's hosts:")
	f.StringVar(&opts.pol.SSH, "ssh", "", "the host's ssh target (user@addr), written to keycycle.yaml's hosts:")
	f.BoolVar(&opts.noPolicy, "no-policy", false, "leave keycycle.yaml as it is")
	opts.deploy.register(cmd)
	return cmd
}

func runHostAdd(ctx context.Context, opts *hostAddOptions, out io.Writer, args []string) (err error) {
	name := args[0]
	if err := sopsconfig.CheckHostName(name); err != nil {
		return err
	}
	if err := opts.key.check("host add"); err != nil {
		return err
	}
	opts.key.comment = "root@" + name
	if opts.userKey != "" {
		if err := sopsconfig.CheckUserName(opts.userKey); err != nil {
			return err
		}
	}
	ed, s, err := openEditor(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := ed.Config().Path
	hk, err := opts.key.resolve(ctx)
	if err != nil {
		return err
	}
	recipient := hk.Recipient
	l := sopsconfig.Layout{Config: ed.Config(), Dir: opts.dir}
	if err := l.Config.CheckFree(name, recipient); err != nil {
		return err
	}
	req := change.Request{ConfigPath: cfgPath, OldConfig: ed.Bytes(), Exclude: opts.exclude}
	plain := []byte("{}\n")
	members := []string{name}
	records := hostRecords(name, recipient, opts.key.age != "")
	if opts.userKey != "" {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return err
		}
		uname := opts.userKey + "_" + name
		if err := l.Config.CheckFree(uname, id.Recipient().String()); err != nil {
			return err
		}
		if err := ed.AddKey("users", uname, id.Recipient().String()); err != nil {
			return withHint(err, "make this edit by hand, then run 'keycycle rekey'")
		}
		members = append([]string{uname}, members...)
		records = append(records, policy.Key{Name: uname, Recipient: id.Recipient().String(),
			Kind: policy.KindUser, Owner: name, Origin: policy.OriginGenerated})
		plain = []byte(fmt.Sprintf("keys:\n    age: %s\n", id))
	}
	if err := addHostEdits(ed, l, name, recipient, members, opts.noShare); err != nil {
		return err
	}
	req.NewConfig = ed.Bytes()
	req.Identities = s.Identities()
	req.Create = []change.NewFile{{Rel: l.HostFile(name), Plaintext: plain}}
	if err := ops.RecordKeys(&req, records, nil); err != nil {
		return err
	}
	if !opts.noPolicy {
		if err := ops.UpdateHosts(&req, name, true, opts.pol); err != nil {
			return err
		}
	}
	if opts.userKey != "" {
		if _, err := os.Stat(filepath.Join(filepath.Dir(cfgPath), l.HostFile(name))); err == nil {
			return errorf("add the user key by hand with 'sops edit', or remove the file first",
				"%s already exists: --user-key only creates a new host file", l.HostFile(name))
		}
	}
	// A new SSH host key is written before the repository changes (and
	// refuses to overwrite): the repository never names a key that is lost.
	_, err = s.Change(ctx, ops.Change{Subject: "keycycle: host add " + name, Diff: ed.Diff(), Request: req, Before: func() error {
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
	return deployAfter(ctx, out, &opts.mutateFlags, &opts.deploy, req)
}

// addHostEdits adds the host's key, its per-host rule and its aliases in
// the shared rules.
func addHostEdits(ed *configedit.Editor, l sopsconfig.Layout, name, recipient string, members []string, noShare bool) error {
	admins := l.Admins()
	shared := l.SharedRules()
	if err := ed.AddKey("hosts", name, recipient); err != nil {
		return withHint(err, "make this edit by hand, then run 'keycycle rekey'")
	}
	if !noShare {
		// Before AddRule, so that the rule indexes still hold.
		for _, i := range shared {
			for _, m := range members {
				if err := ed.AddAlias(i, m); err != nil && !errors.Is(err, configedit.ErrAlreadyPresent) {
					return withHint(err, "make this edit by hand, then run 'keycycle rekey'")
				}
			}
		}
	}
	if err := ed.AddRule(regexp.QuoteMeta(l.HostFile(name))+"$", append(admins, members...)); err != nil {
		return withHint(err, "make this edit by hand, then run 'keycycle rekey'")
	}
	return nil
}

// hostRecords is the keys.yaml entry of a new host.
func hostRecords(name, recipient string, imported bool) []policy.Key {
	origin := policy.OriginSSHHostKey
	if imported {
		origin = policy.OriginImported
	}
	return []policy.Key{{Name: name, Recipient: recipient, Kind: policy.KindHost, Owner: name, Origin: origin}}
}

// register adds the flags that give a host's key (one of them is
// needed); what is "" or "new " (host set-key).
func (k *hostKeySource) register(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.StringVar(&k.age, "age", "", "the host's "+what+"age recipient")
	f.StringVar(&k.sshPubkey, "ssh-pubkey", "", "the host's "+what+"SSH public key file")
	f.StringVar(&k.keyscan, "ssh-keyscan", "", "ask the host for its "+what+"key with ssh-keyscan")
	f.StringVar(&k.newSSHKey, "new-ssh-key", "", "generate the host's "+what+"SSH key pair into this folder")
	f.BoolVar(&k.persist, "persist", false, "with --new-ssh-key: under persist/etc/ssh (impermanence)")
}
