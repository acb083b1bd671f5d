package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/secret"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

func newSecretCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Set, read, list, remove, move and generate secret values, never as plaintext on disk",
		Long: `Secret commands change the values in the encrypted files, in memory, through
the sops library: a value comes from stdin, a file you name, or a generator
declared in keycycle.yaml, and is only ever written encrypted. PATH is
sops-nix's key syntax (passwords/borg is the key borg in the mapping
passwords). A FILE that does not exist is created under the creation rule
that matches it, for exactly its recipients.

  keycycle secret set FILE PATH [--from-file F]   value from stdin (or F)
  keycycle secret set FILE PATH --generate         value from PATH's generator
  keycycle secret get FILE PATH                    value to stdout (not a terminal)
  keycycle secret list [FILE]                      paths only, no key needed
  keycycle secret rm FILE PATH
  keycycle secret mv FILE PATH NEWPATH [--to FILE2]
  keycycle secret generate FILE PATH [--kind KIND]
  keycycle secret ensure [--host NAME]             make what keycycle.yaml declares
  keycycle secret regenerate --exposed-by KEY      after host/user remove

See docs/secrets.md.`,
	}
	cmd.AddCommand(newSecretSetCmd(e), newSecretGetCmd(e), newSecretListCmd(e), newSecretRmCmd(e),
		newSecretMvCmd(e), newSecretGenerateCmd(e), newSecretEnsureCmd(e), newSecretRegenerateCmd(e))
	return cmd
}

func newSecretSetCmd(e *env) *cobra.Command {
	q := ops.SecretSetRequest{Value: secret.ValueSource{Stdin: e.stdin}}
	cmd := secretOpCmd(e, &mutateFlags{}, &cobra.Command{
		Use:   "set FILE PATH",
		Short: "Set a secret's value from stdin, a file or a generator, encrypted in memory",
		Long: `Set reads the value from stdin (or --from-file F) and sets PATH in FILE to it,
as 'sops set' does: the same data key and recipients, a new MAC, verified in
memory before the atomic write. One final newline is taken off (echo adds
one); --raw keeps the bytes exactly. --generate makes the value with the
generator keycycle.yaml declares for PATH (or --kind), replacing any value:
'keycycle secret generate --force'.`,
		Example: `  printf %s "$PASSWORD" | keycycle secret set sops/shared.yaml passwords/borg
  keycycle secret set sops/malphas.yaml keys/ssh/borg --from-file ~/borg_key --raw`,
		Args: argsHint(cobra.ExactArgs(2)),
	}, func(ctx context.Context, o ops.Options, args []string) (*ops.SecretResult, error) {
		q.File, q.Path, q.Value.Prompt = args[0], args[1], noEchoPrompt(e, args[1])
		return ops.SecretSet(ctx, o, q)
	}, nil)
	f := cmd.Flags()
	f.StringVar(&q.Value.FromFile, "from-file", "", "read the value from this file instead of stdin")
	f.BoolVar(&q.Value.Raw, "raw", false, "keep a final newline")
	f.BoolVar(&q.Generate, "generate", false, "make the value with PATH's generator (keycycle.yaml) instead of reading it")
	f.StringVar(&q.Kind, "kind", "", "with --generate: the generator kind")
	return cmd
}

// noEchoPrompt, when stdin is a terminal, asks on stderr for path's
// value and reads one line without echo, so that the value never shows.
func noEchoPrompt(e *env, path string) func() ([]byte, error) {
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func() ([]byte, error) {
		fmt.Fprintf(e.stderr, "value of %s (not shown): ", path)
		defer fmt.Fprintln(e.stderr)
		return term.ReadPassword(int(f.Fd()))
	}
}

// secretOpCmd completes a changing secret command: run calls its
// operation, whose result is rendered; after, when given, renders more
// text. Secrets left to change by hand are findings.
func secretOpCmd(e *env, m *mutateFlags, cmd *cobra.Command, run func(context.Context, ops.Options, []string) (*ops.SecretResult, error),
	after func(*ops.SecretResult)) *cobra.Command {
	cmd.RunE = func(c *cobra.Command, args []string) error {
		res, err := run(c.Context(), m.options(), args)
		switch {
		case err != nil:
			return err
		case res.Nothing && m.format == "json":
			err = ops.WriteShown(e.stdout, "json", ops.Shown{DryRun: m.dryRun, Plan: &change.Plan{Files: []change.FileResult{}}, Request: &change.Request{Audit: res.Audit}})
		case res.Nothing:
			fmt.Fprintln(e.stdout, "nothing to change")
		case m.format == "text":
			writeSecretDone(e.stdout, res, m.dryRun)
		}
		if after != nil && m.format == "text" {
			after(res)
		}
		if err == nil && res.Left() {
			return errFindings
		}
		return err
	}
	m.register(cmd, e)
	return cmd
}

// writeSecretDone says what was done to each value ("file" is a public
// key file's action), or in a dry run what would be.
func writeSecretDone(out io.Writer, res *ops.SecretResult, dryRun bool) {
	verbs := map[bool]map[string]string{
		false: {"set": "set", "generate": "generated", "regenerate": "regenerated", "remove": "removed", "move": "moved",
			"public": "public key set", "file": "public key written"},
		true: {"set": "would set", "generate": "would generate", "regenerate": "would regenerate", "remove": "would remove",
			"move": "would move", "public": "would set the public key", "file": "would write the public key"},
	}[dryRun]
	for _, d := range res.Done {
		ref := d.File + ": " + d.Path
		switch {
		case strings.Contains(d.From, ":"):
			ref = d.From + " -> " + ref
		case d.From != "":
			ref = d.File + ": " + d.From + " -> " + d.Path
		}
		fmt.Fprintf(out, "%s: %s\n", ref, verbs[d.Action])
	}
	for _, p := range res.Public {
		fmt.Fprintf(out, "%s: %s\n", p, verbs["file"])
	}
}

func newSecretGetCmd(e *env) *cobra.Command {
	repo, force := "", false
	cmd := &cobra.Command{
		Use:   "get FILE PATH",
		Short: "Print a secret's value on stdout, for scripts",
		Long: `Get decrypts PATH of FILE in memory and prints its value on stdout, as
sops-nix would install it, without a final newline. It refuses to print
to a terminal unless --force: pipe it where it is needed.`,
		Example: `  keycycle secret get sops/shared.yaml passwords/borg | borg key import …`,
		Args:    argsHint(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if isTerminal(e.stdout) && !force {
				return errorf("pipe it (keycycle secret get … | cmd), or pass --force to show it on the screen",
					"refusing to print a secret value to a terminal")
			}
			v, err := ops.SecretGet(ops.SecretGetRequest{Repo: repo, File: args[0], Path: args[1],
				Warnf: func(format string, a ...any) { warnf(e.stderr, format, a...) }})
			if err == nil {
				_, err = io.WriteString(e.stdout, v)
			}
			return err
		},
	}
	repoFlag(cmd, &repo)
	cmd.Flags().BoolVar(&force, "force", false, "print to a terminal too")
	return cmd
}

func newSecretListCmd(e *env) *cobra.Command {
	q, format := ops.SecretListRequest{}, ""
	cmd := &cobra.Command{
		Use:   "list [FILE]",
		Short: "List secret paths, from the files' metadata (no key needed)",
		Long: `List prints the secret paths of FILE, one a line, or with no FILE every
secrets file's paths as FILE: PATH. Paths are plaintext in sops files, so no
key is needed and no value is decrypted.`,
		Args: argsHint(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			q.File = strings.Join(args, "") // the one FILE, or "": every file
			list, err := ops.SecretList(cmd.Context(), q)
			if err != nil || format != "json" {
				for _, f := range list {
					for _, s := range f.Secrets {
						if q.File == "" {
							s = f.File + ": " + s
						}
						fmt.Fprintln(e.stdout, s)
					}
				}
				return err
			}
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Schema string               `json:"schema"`
				Files  []secret.FileSecrets `json:"files"`
			}{"keycycle.secrets/v1", list})
		},
	}
	repoFlag(cmd, &q.Repo)
	formatFlag(cmd, &format)
	cmd.Flags().StringArrayVar(&q.Exclude, "exclude", nil, "glob of files to leave out (repeatable)")
	return cmd
}

func newSecretRmCmd(e *env) *cobra.Command {
	return secretOpCmd(e, &mutateFlags{}, &cobra.Command{
		Use:   "rm FILE PATH",
		Short: "Remove a secret (or a mapping of secrets) from a file",
		Long: `Rm removes PATH from FILE — a value, or a mapping with everything below it —
and the mappings it leaves empty; the file keeps its data key and
recipients. The old value stays in the VCS history, encrypted.`,
		Args: argsHint(cobra.ExactArgs(2)),
	}, func(ctx context.Context, o ops.Options, args []string) (*ops.SecretResult, error) {
		return ops.SecretRemove(ctx, o, args[0], args[1])
	}, nil)
}

func newSecretMvCmd(e *env) *cobra.Command {
	var to string
	cmd := secretOpCmd(e, &mutateFlags{}, &cobra.Command{
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
	}, func(ctx context.Context, o ops.Options, args []string) (*ops.SecretResult, error) {
		return ops.SecretMove(ctx, o, ops.SecretMoveRequest{File: args[0], Path: args[1], NewPath: args[2], To: to})
	}, nil)
	cmd.Flags().StringVar(&to, "to", "", "move the value to this file")
	return cmd
}

func newSecretGenerateCmd(e *env) *cobra.Command {
	var q ops.SecretGenerateRequest
	cmd := secretOpCmd(e, &mutateFlags{}, &cobra.Command{
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
	}, func(ctx context.Context, o ops.Options, args []string) (*ops.SecretResult, error) {
		q.File, q.Path = args[0], args[1]
		return ops.SecretGenerate(ctx, o, q)
	}, nil)
	f := cmd.Flags()
	f.StringVar(&q.Gen.Kind, "kind", "", "the generator: "+strings.Join(secret.Kinds(), ", ")+" (default: keycycle.yaml's)")
	f.IntVar(&q.Gen.Length, "length", 0, "password length (default 32)")
	f.IntVar(&q.Gen.Bytes, "bytes", 0, "random bytes of hex or base64 (default 32)")
	f.StringVar(&q.Gen.AddKey, "add-key", "", "age-key: also add the recipient to .sops.yaml as &NAME")
	f.StringVar(&q.KeyGroup, "key-group", "users", "with --add-key: the group under keys: it goes into")
	f.BoolVar(&q.Force, "force", false, "replace an existing value")
	return cmd
}

func newSecretEnsureCmd(e *env) *cobra.Command {
	m, host := &mutateFlags{}, ""
	cmd := secretOpCmd(e, m, &cobra.Command{
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
	}, func(ctx context.Context, o ops.Options, _ []string) (*ops.SecretResult, error) {
		return ops.SecretEnsure(ctx, o, host)
	}, func(res *ops.SecretResult) {
		if res.Left() {
			fmt.Fprintln(e.stdout, "\nMissing, with no generator (set each with 'keycycle secret set FILE PATH'):")
			for _, n := range res.ByHand {
				fmt.Fprintf(e.stdout, "  %s: %s (category %s, keycycle.yaml:%d; needed by %s)\n", n.File, n.Path, n.Category, n.Line, strings.Join(n.Hosts, ", "))
			}
		}
	})
	cmd.Flags().StringVar(&host, "host", "", "only the secrets this host needs")
	return cmd
}

func newSecretRegenerateCmd(e *env) *cobra.Command {
	m, q := &mutateFlags{}, ops.SecretRegenerateRequest{}
	cmd := secretOpCmd(e, m, &cobra.Command{
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
	}, func(ctx context.Context, o ops.Options, _ []string) (*ops.SecretResult, error) {
		return ops.SecretRegenerate(ctx, o, q)
	}, func(res *ops.SecretResult) { writeRegenRest(e.stdout, res) })
	cmd.Flags().StringVar(&q.ExposedBy, "exposed-by", "", "the removed key: its anchor name or recipient")
	cmd.Flags().IntVar(&q.Entry, "audit", 0, "the audit entry (seq) of the revocation")
	return cmd
}

func writeRegenRest(out io.Writer, res *ops.SecretResult) {
	section := func(title string, refs []audit.SecretRef) {
		if len(refs) > 0 {
			fmt.Fprintf(out, "\n%s\n", title)
		}
		for _, s := range refs {
			fmt.Fprintf(out, "  %s: %s\n", s.File, s.Path)
		}
	}
	section("Change by hand (no generator; change the value at its source, then 'keycycle secret set FILE PATH'):", res.Regen.ByHand)
	var rotate []audit.SecretRef // each line ends with the command
	for _, k := range res.Regen.Rotate {
		rotate = append(rotate, audit.SecretRef{File: k.File, Path: k.Path + ": keycycle rotate start " + k.Anchor})
	}
	section("Keys .sops.yaml lists (rotate each: the key, its anchor and its files together):", rotate)
	section("Already changed since entry #"+strconv.Itoa(res.Revocation.Entry.Seq)+":", res.Revocation.Since)
	section("No longer in the repository:", res.Regen.Gone)
}

// regenerateHint ends a revocation's text output by naming the command
// that makes the exposed secrets anew (secret.RegenerateHint).
func regenerateHint(out io.Writer, m *mutateFlags, key string) {
	if m.format == "text" {
		fmt.Fprintln(out, secret.RegenerateHint(key, m.dryRun))
	}
}

// completeFileThenPath completes a secret command's FILE (the secrets
// files) and then its PATH (the paths the file's metadata lists: no key
// is needed, no value read).
func completeFileThenPath(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return completeSecretsFiles(c, nil, toComplete)
	case 1:
		if f, err := sopsfile.Read(args[0]); err == nil {
			return secret.Paths(f.Secrets), cobra.ShellCompDirectiveNoFileComp
		}
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completeOneSecretsFile completes secret list's one FILE.
func completeOneSecretsFile(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeSecretsFiles(c, nil, toComplete)
}

// completeGeneratorKinds offers the built-in generator kinds.
func completeGeneratorKinds(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return secret.Kinds(), cobra.ShellCompDirectiveNoFileComp
}
