package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/check"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/textutil"
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
				return listKinds(e.stdout, opts.format)
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
	now, err := asOf(opts.asOf)
	if err != nil {
		return err
	}
	r, err := loadRepo(ctx, opts.repo, opts.exclude)
	if err != nil {
		return err
	}
	pol, err := policy.Load(r.Root)
	if err != nil {
		return errorf("check that the file is readable", "cannot read the policy: %v", err)
	}
	rep := check.RunWith(r, check.Options{Policy: pol, Now: now})
	switch opts.format {
	case "json":
		if err := writeCheckJSON(out, rep); err != nil {
			return err
		}
	case "github":
		check.WriteGitHub(out, rep, func(f string) string { return displayPath(rep.Root, f) })
	case "sarif":
		if err := check.WriteSARIF(out, rep, versionString(), func(f string) string { return displayPath(rep.Root, f) }); err != nil {
			return err
		}
	default:
		writeCheckText(out, rep)
	}
	if rep.Errors > 0 || (opts.strict && rep.Warnings > 0) {
		return errFindings
	}
	return nil
}

// checkJSON is the documented schema of 'check --format json'
// (docs/checks.md); it only grows.
type checkJSON struct {
	Schema string `json:"schema"`
	*check.Report
}

func writeCheckJSON(out io.Writer, rep *check.Report) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(checkJSON{Schema: "keycycle.check/v1", Report: rep})
}

func writeCheckText(out io.Writer, rep *check.Report) {
	for _, f := range rep.Findings {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		fmt.Fprintf(out, "%s: %s %s %s: %s\n", loc, f.Severity, f.ID, f.Name, f.Message)
		if f.Hint != "" {
			fmt.Fprintf(out, "    hint: %s\n", f.Hint)
		}
	}
	if len(rep.Findings) > 0 {
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "%s, %s, %s in %s and %s checked\n",
		plural(rep.Errors, "error"), plural(rep.Warnings, "warning"), plural(rep.Infos, "note"),
		rep.Config, plural(rep.Files, "secrets file"))
}

func listKinds(out io.Writer, format string) error {
	kinds := check.Kinds()
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(kinds)
	}
	for _, k := range kinds {
		fmt.Fprintf(out, "%s  %-7s  %-20s  %s\n", k.ID, k.Severity, k.Name, k.Summary)
	}
	return nil
}

// asOf parses --as-of; empty means now.
func asOf(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := policy.ParseTime(s)
	if err != nil {
		return time.Time{}, errorf("write --as-of 2026-01-01 or an RFC 3339 time", "--as-of: %v", err)
	}
	return t, nil
}

func plural(n int, word string) string { return textutil.Plural(n, word) }
