package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/secret"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

func secretNames(ss []repo.Secret) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.Name())
	}
	return out
}

func newSecretRmCmd(e *env) *cobra.Command {
	opts := &mutateFlags{}
	cmd := &cobra.Command{
		Use:   "rm FILE PATH",
		Short: "Remove a secret (or a mapping of secrets) from a file",
		Long: `Rm removes PATH from FILE — a value, or a mapping with everything below it —
and the mappings it leaves empty; the file keeps its data key and
recipients. The old value stays in the VCS history, encrypted.`,
		Args: argsHint(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return secretChange(cmd.Context(), opts, e.stdout, "rm", func(st *secretStep) error {
				rel, path, err := fileAndPath(st.r, args[0], args[1])
				if err != nil {
					return err
				}
				return st.b.Remove(rel, path)
			})
		},
	}
	opts.register(cmd, e)
	return cmd
}

type secretMvOptions struct {
	mutateFlags
	to string
}

func newSecretMvCmd(e *env) *cobra.Command {
	opts := &secretMvOptions{}
	cmd := &cobra.Command{
		Use:   "mv FILE PATH NEWPATH",
		Short: "Rename a secret (or a mapping of secrets) within a file, or move a value to another file",
		Long: `Mv moves the value (or the mapping) at PATH to NEWPATH in FILE, which must
be free. With --to FILE2 one value moves to NEWPATH in FILE2 (created under
its rule when missing): it is decrypted in memory, set there and removed
from FILE in the same change. Remember to rename it in your sops-nix
configuration too.`,
		Example: `  keycycle secret mv sops/shared.yaml borg borg/passphrase
  keycycle secret mv sops/shared.yaml keys/ssh/borg keys/ssh/borg --to sops/malphas.yaml`,
		Args: argsHint(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return secretChange(cmd.Context(), &opts.mutateFlags, e.stdout, "mv", func(st *secretStep) error {
				rel, from, err := fileAndPath(st.r, args[0], args[1])
				if err != nil {
					return err
				}
				dst := args[0]
				if opts.to != "" {
					dst = opts.to
				}
				dstRel, to, err := fileAndPath(st.r, dst, args[2])
				if err != nil {
					return err
				}
				if dstRel == rel {
					return st.b.Move(rel, from, to)
				}
				if err := refuseExisting(st.r, dstRel, to, false); err != nil {
					return err
				}
				return st.b.MoveAcross(rel, from, dstRel, to)
			})
		},
	}
	opts.register(cmd, e)
	cmd.Flags().StringVar(&opts.to, "to", "", "move the value to this file")
	return cmd
}

type secretGenerateOptions struct {
	mutateFlags
	kind     string
	length   int
	bytes    int
	addKey   string
	keyGroup string
	force    bool
}

func newSecretGenerateCmd(e *env) *cobra.Command {
	opts := &secretGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate FILE PATH",
		Short: "Make a secret's value with its generator (keycycle.yaml) or --kind",
		Long: `Generate makes a new value for PATH in memory — with the generator
keycycle.yaml declares for PATH, or --kind password|hex|base64|age-key|
ssh-ed25519|wireguard — and sets it in FILE, which is created under its
rule when missing. A key pair's public half goes where the generator says
(public_file, public_secret) and is printed. An existing value is replaced
only with --force.

--add-key NAME (age-key only) also registers the new identity's recipient
in .sops.yaml as &NAME under keys: (--key-group, default users), in the
same change.`,
		Example: `  keycycle secret generate sops/shared.yaml passwords/borg
  keycycle secret generate sops/malphas.yaml wireguard/private --kind wireguard
  keycycle secret generate sops/malphas.yaml keys/age --kind age-key --add-key rain_malphas`,
		Args: argsHint(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretGenerate(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	f := cmd.Flags()
	f.StringVar(&opts.kind, "kind", "", "the generator: "+strings.Join(policy.GeneratorKinds[:6], ", ")+" (default: keycycle.yaml's)")
	f.IntVar(&opts.length, "length", 0, "password length (default 32)")
	f.IntVar(&opts.bytes, "bytes", 0, "random bytes of hex or base64 (default 32)")
	f.StringVar(&opts.addKey, "add-key", "", "age-key: also add the recipient to .sops.yaml as &NAME")
	f.StringVar(&opts.keyGroup, "key-group", "users", "with --add-key: the group under keys: it goes into")
	f.BoolVar(&opts.force, "force", false, "replace an existing value")
	return cmd
}

func runSecretGenerate(ctx context.Context, opts *secretGenerateOptions, out io.Writer, args []string) error {
	return secretChange(ctx, &opts.mutateFlags, out, "generate", func(st *secretStep) error {
		r, b, req := st.r, st.b, st.req
		rel, path, err := fileAndPath(r, args[0], args[1])
		if err != nil {
			return err
		}
		g, err := opts.generator(r, path)
		if err != nil {
			return err
		}
		if err := refuseExisting(r, rel, path, opts.force); err != nil {
			return err
		}
		if err := refuseRegistered(r, rel, path, g); err != nil {
			return err
		}
		pub, err := b.Generate(ctx, rel, path, g, "generate")
		if err != nil {
			return err
		}
		if pub != "" {
			fmt.Fprintf(opts.stderr, "public key: %s\n", strings.TrimSpace(pub))
		}
		if opts.addKey != "" {
			return opts.registerKey(st.ed, req, pub)
		}
		return nil
	})
}

// generator is --kind's generator, or the one keycycle.yaml declares.
func (opts *secretGenerateOptions) generator(r *secret.Repo, path string) (*policy.Generator, error) {
	var declared *policy.Generator
	if r.Policy != nil {
		declared = r.Policy.Generator(path)
	}
	g := declared
	switch {
	case opts.kind == policy.GenCommand:
		return nil, errorf("declare it in keycycle.yaml under generators: (docs/secrets.md)", "--kind command needs its command, which only keycycle.yaml gives")
	case opts.kind != "" && (declared == nil || declared.Kind != opts.kind):
		g = &policy.Generator{Path: path, Kind: opts.kind, Length: policy.DefaultPasswordLength, Alphabet: policy.DefaultAlphabet, Bytes: policy.DefaultBytes}
		if !strings.Contains(" "+strings.Join(policy.GeneratorKinds, " ")+" ", " "+opts.kind+" ") {
			return nil, errorf("use one of: "+strings.Join(policy.GeneratorKinds[:6], ", "), "unknown --kind %q", opts.kind)
		}
	case g == nil:
		return nil, errorf("pass --kind KIND, or declare a generator for "+path+" under generators: in keycycle.yaml",
			"keycycle.yaml declares no generator for %s", path)
	}
	c := *g
	if opts.length > 0 {
		c.Length = opts.length
	}
	if opts.bytes > 0 {
		c.Bytes = opts.bytes
	}
	if opts.addKey != "" && c.Kind != policy.GenAgeKey {
		return nil, errorf("drop --add-key, or generate with --kind age-key", "--add-key is for age-key values, not %s", c.Kind)
	}
	return &c, nil
}

// refuseExisting refuses to replace a value unless force.
func refuseExisting(r *secret.Repo, rel, path string, force bool) error {
	f, err := sopsfile.Read(r.Abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return errorf("name a sops-encrypted file", "%s: %v", rel, err)
	}
	if f.HasSecret(path) && !force {
		return errorf("pass --force to replace it (the old value stays in the VCS history, encrypted)",
			"%s already holds %s", rel, path)
	}
	return nil
}

// refuseRegistered refuses to replace an age identity whose recipient
// .sops.yaml lists: the anchor would still name the old key.
func refuseRegistered(r *secret.Repo, rel, path string, g *policy.Generator) error {
	if g.Kind != policy.GenAgeKey {
		return nil
	}
	f, err := sopsfile.Read(r.Abs(rel))
	if err != nil || !f.HasSecret(path) {
		return nil
	}
	anchor, err := r.RegisteredKey(rel, path)
	if err != nil {
		return withHint(err, "set SOPS_AGE_KEY_FILE to a key that opens the file")
	}
	if anchor != "" {
		return errorf("rotate it instead: 'keycycle rotate start "+anchor+"' replaces the key, its anchor and its files together",
			"%s in %s is the identity of &%s, which .sops.yaml lists: a new value would leave &%s naming the old key", path, rel, anchor, anchor)
	}
	return nil
}

// registerKey adds the new age recipient to .sops.yaml (and keys.yaml).
func (opts *secretGenerateOptions) registerKey(ed *configedit.Editor, req *change.Request, recipient string) error {
	if err := ed.Config().CheckFree(opts.addKey, recipient); err != nil {
		return err
	}
	if err := ed.AddKey(opts.keyGroup, opts.addKey, recipient); err != nil {
		return withHint(err, "add the key by hand, or pick another --key-group")
	}
	return ops.RecordKeys(req, []policy.Key{{Name: opts.addKey, Recipient: recipient, Kind: policy.KindUser,
		Origin: policy.OriginGenerated}}, nil)
}

type secretEnsureOptions struct {
	mutateFlags
	host string
}

func newSecretEnsureCmd(e *env) *cobra.Command {
	opts := &secretEnsureOptions{}
	cmd := &cobra.Command{
		Use:   "ensure",
		Short: "Generate every secret keycycle.yaml declares that is missing and has a generator",
		Long: `Ensure reads the schema keycycle.yaml declares — each host's role and
categories name the secrets it needs and the file each lives in — and
generates, in one change, every missing one that has a generator
(generators: in keycycle.yaml). A missing file is created under its rule.
The missing secrets without a generator are listed (exit code 1): set them
with 'keycycle secret set'. 'keycycle check' reports them as KC202.`,
		Example: `  keycycle secret ensure --dry-run
  keycycle secret ensure --host malphas`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretEnsure(cmd.Context(), opts, e.stdout)
		},
	}
	opts.register(cmd, e)
	cmd.Flags().StringVar(&opts.host, "host", "", "only the secrets this host needs")
	return cmd
}

func runSecretEnsure(ctx context.Context, opts *secretEnsureOptions, out io.Writer) error {
	var byHand []secret.Need
	err := secretChange(ctx, &opts.mutateFlags, out, "ensure", func(st *secretStep) error {
		needs, err := secret.Missing(st.r, opts.host)
		if err != nil {
			return errorf("declare hosts, roles and categories in keycycle.yaml (docs/secrets.md)", "%v", err)
		}
		for _, n := range needs {
			if n.Generator == nil {
				byHand = append(byHand, n)
				st.req.Audit.ByHand = append(st.req.Audit.ByHand, audit.SecretRef{File: n.File, Path: n.Path})
				continue
			}
			if _, err := st.b.Generate(ctx, n.File, n.Path, n.Generator, "generate"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(byHand) == 0 {
		return err
	}
	if opts.format == "text" {
		fmt.Fprintln(out, "\nMissing, with no generator (set each with 'keycycle secret set FILE PATH'):")
		for _, n := range byHand {
			fmt.Fprintf(out, "  %s: %s (category %s, keycycle.yaml:%d; needed by %s)\n", n.File, n.Path, n.Category, n.Line, strings.Join(n.Hosts, ", "))
		}
	}
	return errFindings
}

type secretRegenerateOptions struct {
	mutateFlags
	exposedBy string
	entry     int
}

func newSecretRegenerateCmd(e *env) *cobra.Command {
	opts := &secretRegenerateOptions{}
	cmd := &cobra.Command{
		Use:   "regenerate",
		Short: "After a revocation, make anew every exposed secret that has a generator",
		Long: `Regenerate finds the revocation in the audit log — the newest entry that
removed KEY (an anchor name or a recipient), or entry #SEQ — and the secrets
the removed key could read then. Every one that still exists, was not
changed since and has a generator is made anew, in one change; the audit
entry records which. The rest are listed with the file each lives in: change
them by hand at their source, then 'keycycle secret set' (exit code 1 while
any is left).`,
		Example: `  keycycle host remove sorrow
  keycycle secret regenerate --exposed-by sorrow --dry-run
  keycycle secret regenerate --exposed-by sorrow --commit`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretRegenerate(cmd.Context(), opts, e.stdout)
		},
	}
	opts.register(cmd, e)
	cmd.Flags().StringVar(&opts.exposedBy, "exposed-by", "", "the removed key: its anchor name or recipient")
	cmd.Flags().IntVar(&opts.entry, "audit", 0, "the audit entry (seq) of the revocation")
	return cmd
}

func runSecretRegenerate(ctx context.Context, opts *secretRegenerateOptions, out io.Writer) error {
	if (opts.exposedBy == "") == (opts.entry == 0) {
		return errorf("pass --exposed-by KEY (the anchor host/user remove took away) or --audit SEQ ('keycycle audit log' numbers the entries)",
			"regenerate needs exactly one of --exposed-by and --audit")
	}
	var rv *secret.Revocation
	var plan secret.Regen
	err := secretChange(ctx, &opts.mutateFlags, out, "regenerate", func(st *secretStep) error {
		r, b, req := st.r, st.b, st.req
		var err error
		if rv, err = findRevocation(r.Root, opts.exposedBy, opts.entry); err != nil {
			return err
		}
		if plan, err = secret.PlanRegenerate(r, rv.Exposed); err != nil {
			return err
		}
		for _, n := range plan.Do {
			if _, err := b.Generate(ctx, n.File, n.Path, n.Generator, "regenerate"); err != nil {
				return err
			}
		}
		req.Audit.ByHand = plan.ByHand
		for _, k := range plan.Rotate {
			req.Audit.ByHand = append(req.Audit.ByHand, audit.SecretRef{File: k.File, Path: k.Path})
		}
		req.Audit.Note = fmt.Sprintf("secrets exposed by audit entry #%d (%s)", rv.Entry.Seq, rv.Entry.Command)
		return nil
	})
	if err != nil {
		return err
	}
	if opts.format == "text" {
		writeRegenRest(out, rv, plan)
	}
	if len(plan.ByHand) > 0 || len(plan.Rotate) > 0 {
		return errFindings
	}
	return nil
}

func findRevocation(root, key string, seq int) (*secret.Revocation, error) {
	f, err := os.Open(audit.Path(root))
	if err != nil {
		return nil, errorf("regenerate reads the revocation from .keycycle/audit.log, which host remove and user remove write",
			"cannot read the audit log: %s", textutil.ErrReason(err))
	}
	defer f.Close()
	recs, err := audit.Read(f)
	if err != nil {
		return nil, err
	}
	rv, err := secret.FindRevocation(recs, key, seq)
	if err != nil {
		return nil, errorf("'keycycle audit log' shows the entries and the keys each removed", "%v", err)
	}
	return rv, nil
}

func writeRegenRest(out io.Writer, rv *secret.Revocation, plan secret.Regen) {
	section := func(title string, refs []audit.SecretRef) {
		if len(refs) == 0 {
			return
		}
		fmt.Fprintf(out, "\n%s\n", title)
		for _, s := range refs {
			fmt.Fprintf(out, "  %s: %s\n", s.File, s.Path)
		}
	}
	section("Change by hand (no generator; change the value at its source, then 'keycycle secret set FILE PATH'):", plan.ByHand)
	if len(plan.Rotate) > 0 {
		fmt.Fprintln(out, "\nKeys .sops.yaml lists (rotate each: the key, its anchor and its files together):")
		for _, k := range plan.Rotate {
			fmt.Fprintf(out, "  %s: %s: keycycle rotate start %s\n", k.File, k.Path, k.Anchor)
		}
	}
	section("Already changed since entry #"+strconv.Itoa(rv.Entry.Seq)+":", rv.Since)
	section("No longer in the repository:", plan.Gone)
}
