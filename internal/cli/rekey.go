package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
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
		Use:   "rekey [FILE...] [--dry-run] [--rotate-data-key]",
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
	if err := checkFormat(opts.format, "text", "json"); err != nil {
		return err
	}
	if opts.rotateDataKey && opts.keepDataKey {
		return errorf("choose one of them", "--rotate-data-key and --keep-data-key contradict each other")
	}
	s, cfgPath, err := begin(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.end(&err)
	cfg, err := sopsconfig.Load(cfgPath)
	if err != nil {
		return withHint(err, "run 'keycycle check' to see what is wrong with .sops.yaml")
	}
	files, err := rekeyTargets(cfgPath, cfg, opts.exclude, args)
	if err != nil {
		return err
	}
	found := agekey.FindIdentities(agekey.OSEnv())
	ropts := sopsfile.RekeyOptions{ConfigPath: cfgPath, Identities: found.Identities,
		RotateDataKey: opts.rotateDataKey, KeepDataKey: opts.keepDataKey, Cache: sopsfile.NewRuleCache()}
	// Each folder is synced once, after every write, before the audit
	// entry says the files were rekeyed.
	var batch fsutil.Batch
	outcomes := rekeyAll(ctx, files, cfg, ropts, opts, diag, &batch)
	if err := batch.Sync(); err != nil {
		return err
	}
	names := anchorNames(cfg)
	if err := recordRekey(ctx, out, s, outcomes, names); err != nil {
		return err
	}
	for i := range outcomes {
		outcomes[i].Added = names.label(outcomes[i].Added)
		outcomes[i].Removed = names.label(outcomes[i].Removed)
	}
	failed := writeRekeyReport(out, opts.format, outcomes, opts.dryRun)
	if failed > 0 && len(found.Identities) == 0 {
		fmt.Fprintln(diag, "keycycle: hint: no age identity was found; set SOPS_AGE_KEY_FILE to a key file that opens these files")
	}
	if failed > 0 {
		return errFindings
	}
	return ctx.Err()
}

// rekeyTargets returns absolute paths: the named files, or every secrets
// file a rule matches.
func rekeyTargets(cfgPath string, cfg *sopsconfig.Config, exclude, args []string) ([]string, error) {
	root := filepath.Dir(cfgPath)
	if len(args) == 0 {
		rels, err := repo.SecretsFiles(cfgPath, cfg, exclude)
		if err != nil {
			return nil, errorf("check that the folder is readable", "cannot list the repository: %v", err)
		}
		out := make([]string, len(rels))
		for i, r := range rels {
			out[i] = filepath.Join(root, filepath.FromSlash(r))
		}
		return out, nil
	}
	var out []string
	for _, a := range args {
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, errorf("name an existing secrets file, or run 'keycycle rekey' for all", "cannot read %s: %v", a, errors.Unwrap(err))
		}
		if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
			return nil, errorf("run keycycle from the repository of that file, or pass --repo", "%s is outside the repository %s", a, root)
		}
		out = append(out, abs)
	}
	return out, nil
}

// rekeyAll runs the files through a bounded pool, in input order.
func rekeyAll(ctx context.Context, files []string, cfg *sopsconfig.Config, ropts sopsfile.RekeyOptions, opts *rekeyOptions, diag io.Writer, batch *fsutil.Batch) []rekeyOutcome {
	outcomes := make([]rekeyOutcome, len(files))
	prog := newProgress(diag, len(files))
	jobs := max(opts.jobs, 1)
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rel, _ := filepath.Rel(filepath.Dir(ropts.ConfigPath), files[i])
				rel = filepath.ToSlash(rel)
				fopts := ropts
				if fopts.Rule, _ = cfg.Match(rel); fopts.Rule < 0 {
					fopts.Rule = -1
				}
				outcomes[i] = rekeyOne(files[i], fopts, opts.dryRun, batch)
				outcomes[i].File = rel
				prog.step()
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			outcomes[i] = rekeyOutcome{Status: "skipped", Error: "interrupted"}
			continue
		}
		work <- i
	}
	close(work)
	wg.Wait()
	prog.done()
	return outcomes
}

func rekeyOne(path string, ropts sopsfile.RekeyOptions, dryRun bool, batch *fsutil.Batch) rekeyOutcome {
	data, err := os.ReadFile(path)
	if err != nil {
		return rekeyOutcome{Status: "failed", Error: err.Error()}
	}
	var res *sopsfile.RekeyResult
	if dryRun {
		res, err = sopsfile.PlanRekey(path, data, ropts)
	} else {
		res, err = sopsfile.Rekey(path, data, ropts)
	}
	if err != nil {
		return rekeyOutcome{Status: "failed", Error: err.Error()}
	}
	o := rekeyOutcome{Status: "unchanged", DataKeyRotate: res.Changed && res.DataKeyRotated}
	for _, k := range res.Added {
		o.Added = append(o.Added, k.ID)
	}
	for _, k := range res.Removed {
		o.Removed = append(o.Removed, k.ID)
	}
	switch {
	case !res.Changed:
	case dryRun:
		o.Status = "would-rekey"
	default:
		if err := writeLike(batch, path, res.Output); err != nil {
			return rekeyOutcome{Status: "failed", Error: err.Error()}
		}
		o.Status = "rekeyed"
	}
	return o
}

// writeLike replaces path atomically in batch, keeping its mode.
func writeLike(batch *fsutil.Batch, path string, data []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return batch.WriteFile(path, data, st.Mode().Perm())
}

// recordRekey appends the audit entry for the files rekeyed (none: no
// entry) and commits them when asked.
func recordRekey(ctx context.Context, out io.Writer, s *session, outcomes []rekeyOutcome, n names) error {
	var e audit.Entry
	for _, o := range outcomes {
		if o.Status != "rekeyed" {
			continue
		}
		e.Files = append(e.Files, o.File)
		for _, a := range o.Added {
			e.Added = append(e.Added, audit.Recipient{Name: n[a], Recipient: a})
		}
		for _, r := range o.Removed {
			e.Removed = append(e.Removed, audit.Recipient{Name: n[r], Recipient: r})
		}
		if o.DataKeyRotate {
			e.DataKeyRotated = append(e.DataKeyRotated, o.File)
		}
	}
	if len(e.Files) == 0 {
		return nil
	}
	return s.record(ctx, out, e, fmt.Sprintf("keycycle: rekey %d file(s)", len(e.Files)), e.Files)
}
