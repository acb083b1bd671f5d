package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/ops"
)

type rekeyOptions struct {
	mutateFlags
	rotateDataKey bool
	keepDataKey   bool
	jobs          int
}

func newRekeyCmd(e *env) *cobra.Command {
	opts := &rekeyOptions{}
	cmd := &cobra.Command{
		Use:   "rekey [FILE...]",
		Short: "Make every secrets file carry exactly the recipients its creation rule wants",
		Long: `Rekey does for every secrets file (or the FILEs named) what 'sops updatekeys -y'
does for one: it sets the recipients its creation rule in .sops.yaml wants.

A recipient that stays keeps its wrapped data key, so adding a key wraps
only for the new one. When a recipient leaves, the file gets a new data key
and every value is encrypted again (what 'sops rotate' does), so the
removed key learns nothing from the new file; --keep-data-key does what
updatekeys does instead. --rotate-data-key gives every file a new data key.

Each file is rekeyed in memory, decrypted back and compared with the
original values (MAC checked), then replaced atomically (temporary file in
the same folder, fsync, rename). Files already in sync are not touched.

The data keys are opened with the identities sops would use: SOPS_AGE_KEY,
SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt, SOPS_AGE_SSH_PRIVATE_KEY_FILE
or ~/.ssh/id_ed25519. A file none of them opens is reported with the keys
that could, and the others go on (exit 1).`,
		Example: `  keycycle rekey --dry-run          # what would change, nothing written
  keycycle rekey                    # every file
  keycycle rekey sops/sorrow.yaml   # one file
  keycycle rekey --rotate-data-key  # new data keys everywhere`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRekey(cmd.Context(), opts, e.stdout, e.stderr, args)
		},
	}
	opts.register(cmd, e)
	f := cmd.Flags()
	f.BoolVar(&opts.rotateDataKey, "rotate-data-key", false, "give every file a new data key and encrypt all values again")
	f.BoolVar(&opts.keepDataKey, "keep-data-key", false, "keep the data key when a recipient leaves (like sops updatekeys)")
	f.IntVarP(&opts.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "files rekeyed at once")
	return cmd
}

// rekeyOutcome is what happened to one file.
type rekeyOutcome struct {
	File          string   `json:"file"`
	Status        string   `json:"status"` // unchanged, rekeyed, would-rekey, failed
	Added         []string `json:"added,omitempty"`
	Removed       []string `json:"removed,omitempty"`
	DataKeyRotate bool     `json:"data_key_rotated,omitempty"`
	Error         string   `json:"error,omitempty"`
}

func runRekey(ctx context.Context, opts *rekeyOptions, out, diag io.Writer, args []string) (err error) {
	if opts.rotateDataKey && opts.keepDataKey {
		return errorf("choose one of them", "--rotate-data-key and --keep-data-key contradict each other")
	}
	s, err := begin(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := s.ConfigPath
	only, err := rekeyTargets(cfgPath, args)
	if err != nil {
		return err
	}
	cfgData, err := os.ReadFile(cfgPath)
	if err != nil {
		return errorf("check the file's permissions", "cannot read %s: %v", cfgPath, err)
	}
	ids := s.Identities()
	prog := newProgress(diag, 0)
	req := change.Request{ConfigPath: cfgPath, OldConfig: cfgData, Identities: ids, Exclude: opts.exclude,
		Only: only, RotateDataKey: opts.rotateDataKey, KeepDataKey: opts.keepDataKey, KeepGoing: true,
		Jobs: max(opts.jobs, 1), Progress: prog.step}
	plan, err := change.Prepare(req)
	prog.done()
	if err != nil {
		return ops.PlanError(err)
	}
	n := names(req.KeyNames())
	outcomes := rekeyOutcomes(plan, only, opts.dryRun)
	if !opts.dryRun && len(plan.Files) > 0 {
		entry, paths := plan.AuditEntry(n, req.Audit)
		if err := s.Write(ctx, plan, entry, fmt.Sprintf("keycycle: rekey %d file(s)", len(paths)), paths); err != nil {
			return err
		}
	}
	for i := range outcomes {
		outcomes[i].Added = n.label(outcomes[i].Added)
		outcomes[i].Removed = n.label(outcomes[i].Removed)
	}
	failed := writeRekeyReport(out, opts.format, outcomes, opts.dryRun)
	if failed > 0 && len(ids) == 0 {
		fmt.Fprintln(diag, "keycycle: hint: no age identity was found; set SOPS_AGE_KEY_FILE to a key file that opens these files")
	}
	if failed > 0 {
		return errFindings
	}
	return ctx.Err()
}

// rekeyOutcomes lists every file the plan checked, in order.
func rekeyOutcomes(plan *change.Plan, named []string, dryRun bool) []rekeyOutcome {
	byRel := map[string]rekeyOutcome{}
	for _, rel := range named {
		byRel[rel] = rekeyOutcome{File: rel, Status: "failed",
			Error: "not a secrets file keycycle rekeys: no creation rule with a path_regex names it, it carries no sops metadata, or --exclude leaves it out"}
	}
	for _, rel := range plan.Checked {
		byRel[rel] = rekeyOutcome{File: rel, Status: "unchanged"}
	}
	for _, f := range plan.Files {
		o := rekeyOutcome{File: f.Rel, Status: "rekeyed", Added: f.Added, Removed: f.Removed, DataKeyRotate: f.DataKeyRotated}
		if dryRun {
			o.Status = "would-rekey"
		}
		byRel[f.Rel] = o
	}
	for _, f := range plan.Failed {
		byRel[f.Rel] = rekeyOutcome{File: f.Rel, Status: "failed", Error: f.Err.Error()}
	}
	out := make([]rekeyOutcome, 0, len(byRel))
	for _, o := range byRel {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// rekeyTargets returns the named files relative to the repository, or nil
// (every secrets file) when none is named.
func rekeyTargets(cfgPath string, args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	root := filepath.Dir(cfgPath)
	out := []string{}
	for _, a := range args {
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, errorf("name an existing secrets file, or run 'keycycle rekey' for all", "cannot read %s: %v", a, errors.Unwrap(err))
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil || !filepath.IsLocal(rel) {
			return nil, errorf("run keycycle from the repository of that file, or pass --repo", "%s is outside the repository %s", a, root)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}
