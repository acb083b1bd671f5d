package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/vcs"
)

type initOptions struct {
	mutateFlags
	force bool
}

func newInitCmd(e *env) *cobra.Command {
	opts := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Adopt an existing secrets repository: write .keycycle/keys.yaml and a keycycle.yaml skeleton",
		Long: `Init reads .sops.yaml and records every key in .keycycle/keys.yaml: its
kind (host, user, admin, backup), guessed from the keys: groups and the
anchor names (&hostname, &user_hostname), its owner host, and its creation
date, taken from the version control history: the oldest commit that
added the recipient to .sops.yaml (git, or jj where the repository has
.jj/). A key no history knows is recorded as created: unknown.

It also writes a commented keycycle.yaml skeleton with the hosts it found,
when there is none; an existing keycycle.yaml is never touched.

Running it again changes nothing. When .keycycle/keys.yaml exists and
differs from what init would write, init refuses unless --force, which
keeps every entry the file has and adds the keys it lacks.`,
		Example: `  keycycle init
  keycycle init --dry-run
  keycycle init --force --commit`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(cmd.Context(), opts, e.stdout)
		},
	}
	opts.register(cmd, e)
	cmd.Flags().BoolVar(&opts.force, "force", false, "merge into an existing .keycycle/keys.yaml that differs")
	return cmd
}

func runInit(ctx context.Context, opts *initOptions, out io.Writer) (err error) {
	s, err := begin(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := s.ConfigPath
	cfg, err := sopsconfig.Load(cfgPath)
	if err != nil {
		return errorf("run 'keycycle check' and fix .sops.yaml first", "cannot read .sops.yaml: %v", err)
	}
	r, err := loadRepo(ctx, s.Root, opts.exclude)
	if err != nil {
		return err
	}
	hostFiles := map[string]bool{}
	for _, e := range r.Entries {
		base := filepath.Base(e.Rel)
		hostFiles[strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))] = true
	}
	hist := vcs.NewKeyHistory(s.Root)
	keys := policy.AdoptKeys(cfg, hostFiles, func(r string) *time.Time { return hist.Created(ctx, r) })
	keysPath := filepath.Join(s.Root, filepath.FromSlash(policy.KeysFile))
	keysData, keysState, err := policy.MergeKeys(keysPath, keys, opts.force)
	if err != nil {
		return err
	}
	cfgFile := filepath.Join(s.Root, policy.ConfigFile)
	skeleton, cfgState := []byte(nil), "kept (it exists)"
	if !exists(cfgFile) {
		skeleton, cfgState = policy.Skeleton(keys, ""), "written"
	}
	grace, err := initGrace(out, cfgFile, skeleton, keys)
	if err != nil {
		return err
	}
	if grace != "" {
		skeleton = policy.Skeleton(keys, grace)
	}
	if opts.dryRun {
		keysState, cfgState = "would be "+keysState, "would be "+cfgState
	}
	writeInitReport(out, keys, keysState, cfgState, opts.dryRun)
	if opts.dryRun {
		return nil
	}
	// No secrets file changes: a plan of public files only, through the
	// pipeline like every change.
	req := change.Request{ConfigPath: cfgPath, Only: []string{}}
	if keysState == "written" || keysState == "merged" {
		req.Public = append(req.Public, change.PublicFile{Rel: policy.KeysFile, Data: keysData})
	}
	if skeleton != nil {
		req.Public = append(req.Public, change.PublicFile{Rel: policy.ConfigFile, Data: skeleton})
	}
	if len(req.Public) == 0 {
		return nil
	}
	plan, err := change.Prepare(req)
	if err != nil {
		return ops.PlanError(err)
	}
	var written []string
	for _, f := range req.Public {
		written = append(written, f.Rel)
	}
	return s.Write(ctx, plan, audit.Entry{Files: written, Note: fmt.Sprintf("init: adopted %d keys", len(keys.Keys))},
		"keycycle init: adopt the repository", written)
}

func writeInitReport(out io.Writer, keys *policy.Keys, keysState, cfgState string, dryRun bool) {
	for _, k := range keys.Keys {
		owner := ""
		if k.Owner != "" && k.Owner != k.Name {
			owner = " (on " + k.Owner + ")"
		}
		fmt.Fprintf(out, "%-20s %-8s created %s%s\n", k.Name, k.Kind, policy.FormatTime(k.Created), owner)
	}
	fmt.Fprintf(out, "%s: %s\n%s: %s\n", policy.KeysFile, keysState, policy.ConfigFile, cfgState)
	if !dryRun {
		fmt.Fprintln(out, "next: give each host its role in keycycle.yaml, then run 'keycycle check'")
	}
}

// initGrace counts the adopted keys past the policy (the skeleton's, or
// the keycycle.yaml there is) and says so. For a new skeleton it returns
// the policy.enforce_from lines that make them warnings for
// policy.GraceDays; an existing keycycle.yaml is not touched.
func initGrace(out io.Writer, cfgFile string, skeleton []byte, keys *policy.Keys) (string, error) {
	data := skeleton
	if data == nil {
		var err error
		if data, err = os.ReadFile(cfgFile); err != nil {
			return "", err
		}
	}
	cfg, err := policy.ParseConfig(policy.ConfigFile, data)
	if err != nil {
		return "", nil // an existing keycycle.yaml with errors: 'check' says so
	}
	now := time.Now().UTC()
	over := (&policy.Policy{Config: cfg, Keys: keys}).Overdue(now)
	if len(over) == 0 {
		return "", nil
	}
	until := now.AddDate(0, 0, policy.GraceDays)
	if cfg.Policy.EnforceFrom != nil {
		fmt.Fprintf(out, "%d key(s) are past the policy's maximum age; KC301 is a warning until policy.enforce_from (%s)\n",
			len(over), cfg.Policy.EnforceFrom.Format("2006-01-02"))
		return "", nil
	}
	if skeleton == nil {
		fmt.Fprintf(out, "%d key(s) are past the policy's maximum age: 'keycycle check' fails on them (KC301); "+
			"to phase the policy in, set policy.enforce_from: %s in keycycle.yaml\n", len(over), until.Format("2006-01-02"))
		return "", nil
	}
	fmt.Fprintf(out, "%d key(s) are past the policy's maximum age: keycycle.yaml gets policy.enforce_from: %s, "+
		"until which 'keycycle check' reports them as warnings (KC301); rotate them before: 'keycycle rotate due'\n",
		len(over), until.Format("2006-01-02"))
	return policy.GraceLines(until, len(over)), nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
