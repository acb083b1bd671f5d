package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/secret"
	"github.com/keycycle/keycycle/internal/secret/keypath"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
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

// maxValueSize bounds a value read from stdin or a file.
const maxValueSize = 1 << 20

type secretSetOptions struct {
	mutateFlags
	fromFile string
	raw      bool
	generate bool
	kind     string
	stdin    io.Reader
}

func newSecretSetCmd(e *env) *cobra.Command {
	opts := &secretSetOptions{stdin: e.stdin}
	cmd := &cobra.Command{
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretSet(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	cmd.Flags().StringVar(&opts.fromFile, "from-file", "", "read the value from this file instead of stdin")
	cmd.Flags().BoolVar(&opts.raw, "raw", false, "keep a final newline")
	cmd.Flags().BoolVar(&opts.generate, "generate", false, "make the value with PATH's generator (keycycle.yaml) instead of reading it")
	cmd.Flags().StringVar(&opts.kind, "kind", "", "with --generate: the generator kind")
	return cmd
}

func runSecretSet(ctx context.Context, opts *secretSetOptions, out io.Writer, args []string) (err error) {
	if opts.generate {
		if opts.fromFile != "" || opts.raw {
			return errorf("choose one source of the value", "--generate takes no --from-file or --raw")
		}
		return runSecretGenerate(ctx, &secretGenerateOptions{mutateFlags: opts.mutateFlags, kind: opts.kind, force: true}, out, args)
	}
	if opts.kind != "" {
		return errorf("add --generate to make the value with that kind", "--kind is for --generate")
	}
	value, err := readValue(opts.stdin, opts.stderr, opts.fromFile, opts.raw, args[1])
	if err != nil {
		return err
	}
	return secretChange(ctx, &opts.mutateFlags, out, "set", func(st *secretStep) error {
		rel, path, err := fileAndPath(st.r, args[0], args[1])
		if err != nil {
			return err
		}
		return st.b.Set(rel, path, value, "set")
	})
}

// readValue reads a value from --from-file or stdin, bounded. From a
// terminal it reads one line without echo, so the value never shows.
func readValue(stdin io.Reader, stderr io.Writer, fromFile string, raw bool, path string) (string, error) {
	src := stdin
	if f, ok := stdin.(*os.File); ok && fromFile == "" && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "value of %s (not shown): ", path)
		line, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		src = bytes.NewReader(line)
	}
	if fromFile != "" {
		f, err := os.Open(fromFile)
		if err != nil {
			return "", errorf("check the path given to --from-file", "cannot read %s: %s", fromFile, textutil.ErrReason(err))
		}
		defer f.Close()
		src = f
	}
	data, err := io.ReadAll(io.LimitReader(src, maxValueSize+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxValueSize {
		return "", errorf("keep a secret under 1 MiB", "the value is longer than %d bytes", maxValueSize)
	}
	v := string(data)
	if !raw {
		v = strings.TrimSuffix(strings.TrimSuffix(v, "\n"), "\r")
	}
	if v == "" {
		return "", errorf("pipe the value in (printf %s \"$VALUE\" | keycycle secret set …) or use --from-file", "the value is empty")
	}
	return v, nil
}

// fileAndPath checks the FILE and PATH arguments.
func fileAndPath(r *secret.Repo, file, path string) (string, string, error) {
	rel, err := r.Rel(file)
	if err != nil {
		return "", "", errorf("name a file inside the repository, e.g. sops/shared.yaml", "%v", err)
	}
	if _, err := keypath.Parse(path); err != nil {
		return "", "", errorf("write the path as sops-nix does: keys joined with '/', e.g. passwords/borg", "%v", err)
	}
	return rel, path, nil
}

// secretRepo is the secret domain's view of the repository at root.
func secretRepo(cfgPath string, stderr io.Writer) (*secret.Repo, error) {
	root := filepath.Dir(cfgPath)
	pol, err := policy.Load(root)
	if err != nil {
		return nil, err
	}
	if pol.ConfigErr != nil {
		return nil, errorf("'keycycle check' shows what is wrong with keycycle.yaml", "%v", pol.ConfigErr)
	}
	return &secret.Repo{Root: root, ConfigPath: cfgPath, Policy: pol.Config, Identities: identities(stderr), Stderr: stderr}, nil
}

// secretStep is what a secret command fills: the batch of values, the
// change request (its audit record, public files) and the .sops.yaml
// editor (a key to register).
type secretStep struct {
	r   *secret.Repo
	b   *secret.Batch
	req *change.Request
	ed  *configedit.Editor
}

// secretChange runs one change of values through the change pipeline.
func secretChange(ctx context.Context, m *mutateFlags, out io.Writer, verb string, fill func(st *secretStep) error) (err error) {
	ed, s, err := openEditor(ctx, m)
	if err != nil {
		return err
	}
	defer s.End(&err)
	r, err := secretRepo(ed.Config().Path, m.stderr)
	if err != nil {
		return err
	}
	req := change.Request{ConfigPath: ed.Config().Path, OldConfig: ed.Bytes(),
		Exclude: m.exclude, Identities: r.Identities, Only: []string{}}
	b := r.NewBatch()
	if err := fill(&secretStep{r: r, b: b, req: &req, ed: ed}); err != nil {
		return secretError(err)
	}
	req.NewConfig = ed.Bytes()
	if b.Empty() {
		if m.format == "json" {
			return writeChangeJSON(out, m.dryRun, "", &change.Plan{Files: []change.FileResult{}}, req.Audit)
		}
		fmt.Fprintln(out, "nothing to change")
		return nil
	}
	if err := b.Fill(&req); err != nil {
		return secretError(err)
	}
	subject := "keycycle: secret " + verb + " " + refList(b)
	if _, err := s.Change(ctx, ops.Change{Subject: subject, Diff: ed.Diff(), Request: req}); err != nil {
		return err
	}
	if m.format == "text" {
		writeSecretDone(out, b, m.dryRun)
	}
	return nil
}

// secretError gives a domain error its hint.
func secretError(err error) error {
	switch {
	case errors.Is(err, sopsfile.ErrNotFound):
		return errorf("'keycycle secret list FILE' shows the paths a file holds", "%v", err)
	case errors.As(err, new(*sopsfile.NoIdentityError)):
		return withHint(err, "set SOPS_AGE_KEY_FILE to a key that opens the file")
	}
	return withHint(err, "nothing was written; 'keycycle secret --help' shows the usage")
}

func refList(b *secret.Batch) string {
	var names []string
	for _, d := range b.Done {
		if d.Action != "public" {
			names = append(names, d.File+":"+d.Path)
		}
	}
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("and %d more", len(names)-3))
	}
	return strings.Join(names, ", ")
}

// regenerateHint ends a revocation's text output by naming the command
// that makes the exposed secrets anew.
func regenerateHint(out io.Writer, m *mutateFlags, key string) {
	if m.format != "text" {
		return
	}
	if m.dryRun {
		fmt.Fprintf(out, "after it: 'keycycle secret regenerate --exposed-by %s' makes anew the exposed secrets that have a generator\n", key)
		return
	}
	fmt.Fprintf(out, "next: 'keycycle secret regenerate --exposed-by %s' makes anew the exposed secrets that have a generator and lists the rest\n", key)
}

// secretVerbs are an action's words: done, and in a dry run.
var secretVerbs = map[string][2]string{
	"set": {"set", "would set"}, "generate": {"generated", "would generate"},
	"regenerate": {"regenerated", "would regenerate"}, "remove": {"removed", "would remove"},
	"move": {"moved", "would move"}, "public": {"public key set", "would set the public key"},
}

func writeSecretDone(out io.Writer, b *secret.Batch, dryRun bool) {
	for _, d := range b.Done {
		what := secretVerbs[d.Action][0]
		if dryRun {
			what = secretVerbs[d.Action][1]
		}
		if strings.Contains(d.From, ":") {
			fmt.Fprintf(out, "%s -> %s: %s: %s\n", d.From, d.File, d.Path, what)
		} else if d.From != "" {
			fmt.Fprintf(out, "%s: %s -> %s: %s\n", d.File, d.From, d.Path, what)
		} else {
			fmt.Fprintf(out, "%s: %s: %s\n", d.File, d.Path, what)
		}
	}
	for _, p := range b.Public {
		if dryRun {
			fmt.Fprintf(out, "%s: would write the public key\n", p.Rel)
		} else {
			fmt.Fprintf(out, "%s: public key written\n", p.Rel)
		}
	}
}

type secretGetOptions struct {
	repo   string
	force  bool
	stderr io.Writer
}

func newSecretGetCmd(e *env) *cobra.Command {
	opts := &secretGetOptions{stderr: e.stderr}
	cmd := &cobra.Command{
		Use:   "get FILE PATH",
		Short: "Print a secret's value on stdout, for scripts",
		Long: `Get decrypts PATH of FILE in memory and prints its value on stdout, as
sops-nix would install it, without a final newline. It refuses to print
to a terminal unless --force: pipe it where it is needed.`,
		Example: `  keycycle secret get sops/shared.yaml passwords/borg | borg key import …`,
		Args:    argsHint(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretGet(opts, e.stdout, args)
		},
	}
	repoFlag(cmd, &opts.repo)
	cmd.Flags().BoolVar(&opts.force, "force", false, "print to a terminal too")
	return cmd
}

func runSecretGet(opts *secretGetOptions, out io.Writer, args []string) error {
	if isTerminal(out) && !opts.force {
		return errorf("pipe it (keycycle secret get … | cmd), or pass --force to show it on the screen",
			"refusing to print a secret value to a terminal")
	}
	cfgPath, err := findConfig(opts.repo)
	if err != nil {
		return err
	}
	if cfgPath, err = filepath.Abs(cfgPath); err != nil {
		return err
	}
	r, err := secretRepo(cfgPath, opts.stderr)
	if err != nil {
		return err
	}
	rel, path, err := fileAndPath(r, args[0], args[1])
	if err != nil {
		return err
	}
	data, err := os.ReadFile(r.Abs(rel))
	if err != nil {
		return errorf("'keycycle secret list' shows the files and paths", "cannot read %s: %s", rel, textutil.ErrReason(err))
	}
	keys, _ := keypath.Parse(path)
	v, err := sopsfile.GetValue(r.Abs(rel), data, keys, sopsfile.EditOptions{ConfigPath: cfgPath, Identities: r.Identities})
	if err != nil {
		return secretError(err)
	}
	_, err = io.WriteString(out, v)
	return err
}

type secretListOptions struct {
	repo    string
	format  string
	exclude []string
}

func newSecretListCmd(e *env) *cobra.Command {
	opts := &secretListOptions{}
	cmd := &cobra.Command{
		Use:   "list [FILE]",
		Short: "List secret paths, from the files' metadata (no key needed)",
		Long: `List prints the secret paths of FILE, one a line, or with no FILE every
secrets file's paths as FILE: PATH. Paths are plaintext in sops files, so no
key is needed and no value is decrypted.`,
		Args: argsHint(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretList(cmd.Context(), opts, e.stdout, args)
		},
	}
	repoFlag(cmd, &opts.repo)
	formatFlag(cmd, &opts.format)
	cmd.Flags().StringArrayVar(&opts.exclude, "exclude", nil, "glob of files to leave out (repeatable)")
	return cmd
}

func runSecretList(ctx context.Context, opts *secretListOptions, out io.Writer, args []string) error {
	type fileSecrets struct {
		File    string   `json:"file"`
		Secrets []string `json:"secrets"`
	}
	var list []fileSecrets
	if len(args) == 1 {
		cfgPath, err := findConfig(opts.repo)
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(cfgPath)
		r := &secret.Repo{Root: filepath.Dir(abs), ConfigPath: abs}
		rel, err := r.Rel(args[0])
		if err != nil {
			return errorf("name a file inside the repository", "%v", err)
		}
		f, err := sopsfile.Read(r.Abs(rel))
		if err != nil {
			return errorf("name a sops-encrypted file; 'keycycle secret list' lists them all", "%s: %v", rel, err)
		}
		list = append(list, fileSecrets{File: rel, Secrets: secretNames(f.Secrets)})
	} else {
		rp, err := loadRepo(ctx, opts.repo, opts.exclude)
		if err != nil {
			return err
		}
		for _, e := range rp.Entries {
			if e.File != nil {
				list = append(list, fileSecrets{File: e.Rel, Secrets: secretNames(e.File.Secrets)})
			}
		}
	}
	if opts.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema string        `json:"schema"`
			Files  []fileSecrets `json:"files"`
		}{"keycycle.secrets/v1", list})
	}
	for _, f := range list {
		for _, s := range f.Secrets {
			if len(args) == 1 {
				fmt.Fprintln(out, s)
			} else {
				fmt.Fprintf(out, "%s: %s\n", f.File, s)
			}
		}
	}
	return nil
}
