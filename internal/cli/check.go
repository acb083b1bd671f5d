package cli

import (
	"context"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/check"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

type checkOptions struct {
	repo    string
	format  string
	strict  bool
	exclude []string
	asOf    string
}

func newCheckCmd(e *env) *cobra.Command {
	opts := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Lint .sops.yaml and every encrypted file against it, offline",
		Long: `Check reads .sops.yaml and every file a creation rule matches or that
carries sops metadata, and reports what is wrong. It needs no private key:
recipients and secret paths are plaintext in sops files.

It finds, among others: parse errors and invalid recipients in .sops.yaml,
keys no rule uses, rules no file reaches, encrypted files whose recipients
drifted from their rule (a key that cannot decrypt, or one that still can
after it was removed), recipients no one listed, and plaintext secrets.
Every finding has a stable ID (KC001…), a severity, file:line where there
is one, and a hint naming the command that fixes it. 'keycycle check
--list' prints every ID; docs/checks.md explains each.

With a keycycle.yaml (docs/policy.md) it also checks that every host
can decrypt the files holding the secrets its role needs, that those
secrets are there, that no host can read a file it needs nothing from,
and, with .keycycle/keys.yaml, that no key is older than the policy.

Warnings do not fail the run unless --strict is given. --format github
prints GitHub Actions annotations, --format sarif a SARIF 2.1.0 log for
code scanning.`,
		Example: `  keycycle check
  keycycle check --repo ~/nix-secrets --format json
  keycycle check --strict --exclude 'legacy/*'
  keycycle check --format github          # in a GitHub Actions step
  keycycle check --as-of 2026-01-01       # which keys will be overdue then`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if list, _ := cmd.Flags().GetBool("list"); list {
				return check.WriteKinds(e.stdout, opts.format)
			}
			return runCheck(cmd.Context(), opts, e.stdout, args)
		},
	}
	f := cmd.Flags()
	repoFlag(cmd, &opts.repo)
	formatFlag(cmd, &opts.format, "text", "json", "github", "sarif")
	f.StringVar(&opts.asOf, "as-of", "", "measure key ages at this date (2006-01-02 or RFC 3339) instead of now")
	f.BoolVar(&opts.strict, "strict", false, "exit 1 on warnings too")
	f.StringArrayVar(&opts.exclude, "exclude", nil, "glob of files to leave out (repeatable), matched on the relative path or the name")
	f.Bool("list", false, "list every finding ID with its severity and meaning, then exit")
	return cmd
}

func runCheck(ctx context.Context, opts *checkOptions, out io.Writer, args []string) error {
	now, err := policy.AsOf(opts.asOf)
	if err != nil {
		return err
	}
	r, err := ops.OpenRepo(opts.repo, opts.exclude)
	if err != nil {
		return err
	}
	rep, err := check.Lint(ctx, r, sopsfile.Backend{}, now)
	if err != nil {
		return err
	}
	display := func(f string) string { return displayPath(rep.Root, f) }
	if err := check.Write(out, rep, opts.format, versionString(), display); err != nil {
		return err
	}
	if rep.Errors > 0 || (opts.strict && rep.Warnings > 0) {
		return errFindings
	}
	return nil
}

// displayPath makes a root-relative finding path relative to the working
// directory when the repository is below it (CI checks out the repository
// there and annotates paths from it), else leaves it root-relative.
func displayPath(root, file string) string {
	if file == "" {
		return ""
	}
	rel, ok := relToWD(filepath.Join(root, filepath.FromSlash(file)))
	if !ok {
		return file
	}
	return filepath.ToSlash(rel)
}
