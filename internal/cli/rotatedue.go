package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

type rotateDueOptions struct {
	mutateFlags
	maxParallel int
	dueSoon     bool
	deploy      string
	remote      rotation.Remote
}

func newRotateDueCmd(e *env) *cobra.Command {
	opts := &rotateDueOptions{mutateFlags: mutateFlags{noExclude: true}}
	cmd := &cobra.Command{
		Use:   "due",
		Short: "Rotate every key past its policy age, several hosts at a time",
		Long: `Rotate due finds every key of .keycycle/keys.yaml that keycycle.yaml's
policy says is overdue (with --due-soon, also those inside the warning
window) and rotates each as 'rotate start' would, up to --max-parallel
hosts at a time (the keys of one host one after the other). A rotation that fails stops at its last recorded step
without stopping the others; one already open for a due key is resumed
(unless it waits for you to deploy). Progress goes to stderr; the summary
table (or --format json) to stdout.

The changes to the repository take turns; what happens on the hosts and
the deploy commands run side by side. An admin key's rotation waits for
your confirmation (rotate resume). Backup keys are listed as skipped:
rotate them by hand.

It exits 0 when every due key is rotated (or waits for your deployment),
1 when a rotation failed (the summary says where; 'keycycle rotate due'
again resumes it).`,
		Example: `  keycycle rotate due --dry-run
  keycycle rotate due --max-parallel 4 --deploy 'nixos-rebuild switch --flake .#{host} --target-host {ssh}'
  keycycle rotate due --format json > rotations.json`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRotateDue(cmd.Context(), opts, e.stdout, e.stderr)
		},
	}
	opts.register(cmd, e)
	f := cmd.Flags()
	f.IntVar(&opts.maxParallel, "max-parallel", 4, "how many hosts rotate at once")
	f.BoolVar(&opts.dueSoon, "due-soon", false, "also rotate keys inside the policy's warning window")
	registerReach(cmd, &opts.deploy, &opts.remote)
	return cmd
}

// dueKey is one key past its policy age and what became of it; its JSON
// form is an element of the keycycle.rotate-due/v1 "keys" list.
type dueKey struct {
	Key       string           `json:"key"`
	Kind      policy.Kind      `json:"kind"`
	Host      string           `json:"host,omitempty"`
	Recipient string           `json:"recipient"`
	Created   *time.Time       `json:"created,omitempty"`
	Due       *time.Time       `json:"due,omitempty"`
	Age       policy.AgeStatus `json:"age"`
	// Result is done, waiting, failed, skipped, or planned (--dry-run).
	Result   string         `json:"result"`
	Rotation string         `json:"rotation,omitempty"`
	State    rotation.State `json:"state,omitempty"`
	New      string         `json:"new_recipient,omitempty"`
	Note     string         `json:"note,omitempty"`

	j *rotation.Journal
	// fresh is a rotation planned by this run, saved when it starts.
	fresh bool
}

// The results of rotate due.
const (
	dueDone    = "done"
	dueWaiting = "waiting"
	dueFailed  = "failed"
	dueSkipped = "skipped"
	duePlanned = "planned"
)

func runRotateDue(ctx context.Context, opts *rotateDueOptions, out, progress io.Writer) (err error) {
	if opts.maxParallel < 1 {
		return errorf("pass --max-parallel 1 or more", "--max-parallel %d: at least one host must rotate at a time", opts.maxParallel)
	}
	s, cfgPath, err := begin(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.end(&err)
	now := time.Now().UTC()
	keys, err := dueKeys(cfgPath, now, opts.dueSoon)
	if err != nil {
		return err
	}
	for _, k := range keys {
		opts.prepare(rotation.Store{Root: s.root}, cfgPath, k)
	}
	if !s.DryRun() {
		r, err := newRotationRunner(s, cfgPath, &rotation.LockedWriter{W: progress})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.fresh {
				if err := r.Save(k.j, "planned by rotate due"); err != nil {
					k.Result, k.Note, k.j = dueFailed, err.Error(), nil
				}
			}
		}
		runDue(ctx, r, keys, opts.maxParallel)
	}
	if err := writeDue(out, opts.format, now, opts, keys); err != nil {
		return err
	}
	for _, k := range keys {
		if k.Result == dueFailed {
			return &userError{code: ExitFindings, msg: "some rotations failed (see the summary)",
				hint: "fix the causes, then run 'keycycle rotate due' again: it resumes them ('keycycle rotate status' lists them)"}
		}
	}
	return nil
}

// dueKeys returns the keys in use that are overdue (and, with soon, due
// soon), most overdue first.
func dueKeys(cfgPath string, now time.Time, soon bool) ([]*dueKey, error) {
	pol, err := policy.Load(filepath.Dir(cfgPath))
	switch {
	case err != nil:
		return nil, err
	case pol.ConfigErr != nil:
		return nil, errorf("'keycycle check' shows what is wrong with keycycle.yaml", "%v", pol.ConfigErr)
	case pol.KeysErr != nil:
		return nil, errorf("'keycycle check' shows what is wrong with "+policy.KeysFile, "%v", pol.KeysErr)
	case pol.Config == nil || len(pol.Config.Policy.MaxAge) == 0 && len(pol.Config.Policy.RoleMaxAge) == 0:
		return nil, errorf("set policy: max_age: in keycycle.yaml (docs/policy.md), e.g. 'host: 180d'",
			"no maximum key age is set: no key is ever due")
	case pol.Keys == nil:
		return nil, errorf("run 'keycycle init': it records each key's creation date from the repository's history",
			"there is no %s: no key's age is known", policy.KeysFile)
	}
	cfg, err := sopsconfig.Load(cfgPath)
	if err != nil {
		return nil, withHint(err, "run 'keycycle check' to see what is wrong with .sops.yaml")
	}
	seen := map[string]bool{}
	var out []*dueKey
	for _, a := range cfg.Anchors {
		k := pol.Keys.ByRecipient(a.Value)
		if seen[a.Value] || k == nil {
			continue
		}
		seen[a.Value] = true
		st, due := pol.KeyAge(k, now)
		if st == policy.AgeOverdue || soon && st == policy.AgeDueSoon {
			out = append(out, &dueKey{Key: a.Name, Kind: k.Kind, Host: k.Owner, Recipient: a.Value,
				Created: k.Created, Due: due, Age: st})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Due.Before(*out[j].Due) })
	return out, nil
}

// prepare finds k's open rotation or plans a new one (saved, unless dry
// run), or records why k is skipped.
func (opts *rotateDueOptions) prepare(store rotation.Store, cfgPath string, k *dueKey) {
	open, err := store.OpenFor(k.Key)
	if err != nil {
		k.Result, k.Note = dueFailed, err.Error()
		return
	}
	if open != nil {
		k.Rotation, k.State, k.Host, k.New = open.ID, open.State, open.Host, open.New
		if open.DeployAsked && open.Deploy == "" {
			k.Result, k.Note = dueWaiting, "waiting for you to deploy, then 'keycycle rotate resume "+open.ID+"'"
			return
		}
		k.Result, k.Note, k.j = duePlanned, "resuming the open rotation", open
		return
	}
	so := &rotateStartOptions{mutateFlags: opts.mutateFlags, deploy: opts.deploy, remote: opts.remote}
	st, err := so.startFor(cfgPath, k.Key)
	if err != nil {
		k.Result, k.Note = dueSkipped, err.Error()
		return
	}
	k.Kind, k.Host = policy.Kind(st.Kind), st.Host
	j, err := rotation.Plan(cfgPath, st)
	if err != nil {
		k.Result, k.Note = dueSkipped, "cannot rotate: "+err.Error()
		return
	}
	k.Rotation, k.State, k.Result = j.ID, j.State, duePlanned
	if opts.dryRun {
		k.Note = fmt.Sprintf("would rotate on %s (%s), %d file(s)", j.Host, target(j), len(j.Files))
		return
	}
	k.j, k.fresh = j, true
}

// runDue runs the planned rotations, at most n hosts at once; the
// rotations of one host (its own key, the user keys it keeps) run one
// after the other, so that two deployments never race on one machine. A
// failure stops only its own rotation.
func runDue(ctx context.Context, r *rotation.Runner, keys []*dueKey, n int) {
	var hosts []string
	byHost := map[string][]*dueKey{}
	for _, k := range keys {
		if k.j == nil {
			continue
		}
		if _, ok := byHost[k.j.Host]; !ok {
			hosts = append(hosts, k.j.Host)
		}
		byHost[k.j.Host] = append(byHost[k.j.Host], k)
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, k := range byHost[h] {
				runDueKey(ctx, r, k)
			}
		}()
	}
	wg.Wait()
}

// runDueKey runs one rotation and records its outcome in k.
func runDueKey(ctx context.Context, r *rotation.Runner, k *dueKey) {
	err := r.Run(ctx, k.j)
	k.State, k.New, k.Note = k.j.State, k.j.New, ""
	switch {
	case err == nil:
		k.Result = dueDone
	case errors.Is(err, rotation.ErrWaiting):
		k.Result, k.Note = dueWaiting, "deploy, then 'keycycle rotate resume "+k.j.ID+"'"
	default:
		k.Result, k.Note = dueFailed, err.Error()
	}
}

func writeDue(out io.Writer, format string, now time.Time, opts *rotateDueOptions, keys []*dueKey) error {
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema      string    `json:"schema"`
			AsOf        time.Time `json:"as_of"`
			DryRun      bool      `json:"dry_run"`
			MaxParallel int       `json:"max_parallel"`
			Keys        []*dueKey `json:"keys"`
		}{"keycycle.rotate-due/v1", now, opts.dryRun, opts.maxParallel, append([]*dueKey{}, keys...)})
	}
	if len(keys) == 0 {
		_, err := fmt.Fprintln(out, "no key is past its policy age")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tKIND\tHOST\tDUE\tRESULT\tSTATE\tNOTE")
	count := map[string]int{}
	for _, k := range keys {
		count[k.Result]++
		note := k.Note
		if note == "" && k.New != "" {
			note = "now " + k.New
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Key, k.Kind, dash(k.Host), k.Due.Format("2006-01-02"),
			k.Result, dash(string(k.State)), textutil.OneLine(note))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "%d key(s) due: %d done, %d waiting, %d failed, %d skipped, %d planned\n",
		len(keys), count[dueDone], count[dueWaiting], count[dueFailed], count[dueSkipped], count[duePlanned])
	if opts.dryRun && err == nil {
		_, err = fmt.Fprintln(out, "dry run: nothing written")
	}
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
