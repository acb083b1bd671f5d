package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
)

// openEditor starts a change: it takes the repository (lock, commit
// check) and reads its .sops.yaml for editing. The caller must s.end().
func openEditor(ctx context.Context, m *mutateFlags) (*configedit.Editor, *session, error) {
	s, cfgPath, err := begin(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(cfgPath)
	if err == nil {
		var ed *configedit.Editor
		if ed, err = configedit.New(cfgPath, data); err == nil {
			return ed, s, nil
		}
		err = withHint(err, "run 'keycycle check' to see what is wrong with .sops.yaml")
	} else {
		err = errorf("check the file's permissions", "cannot read %s: %v", cfgPath, err)
	}
	s.end(&err)
	return nil, nil, err
}

// identities returns the age identities found where sops looks, with a
// warning on w for each key file others can read.
func identities(w io.Writer) []age.Identity {
	found := agekey.FindIdentities(agekey.OSEnv())
	warnIdentities(w, found)
	return found.Identities
}

func warnIdentities(w io.Writer, found *agekey.Found) {
	for _, msg := range found.Warnings {
		warnf(w, "%s", msg)
	}
}

// finishChange prepares the change (everything verified in memory), prints
// the plan, and unless --dry-run runs before() and hands the plan to the
// pipeline (intent, write, audit entry, commit).
func finishChange(ctx context.Context, out io.Writer, s *session, subject, diff string, req change.Request, before func() error) error {
	m := s.m
	if err := ctx.Err(); err != nil {
		return err
	}
	plan, err := change.Prepare(req)
	if err != nil {
		return planError(err)
	}
	if m.format == "json" {
		if err := writeChangeJSON(out, m.dryRun, diff, plan, req.Audit); err != nil {
			return err
		}
	} else {
		writeChangeText(out, m.dryRun, diff, plan, names(req.KeyNames()))
	}
	if m.dryRun {
		return nil
	}
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	entry, paths := plan.AuditEntry(req.KeyNames(), req.Audit)
	for _, f := range req.Public {
		paths = append(paths, f.Rel)
	}
	return s.apply(ctx, plan, entry, subject, append([]string{".sops.yaml"}, paths...))
}

// planError gives a change that cannot be planned its hint; nothing was
// written.
func planError(err error) error {
	var ce *change.ConfigError
	var ue *change.UncoveredError
	switch {
	case errors.As(err, &ce):
		return errorf("fix the regular expression (Go RE2 syntax), then run the command again; 'keycycle check' lists every problem", "%v", err)
	case errors.As(err, &ue):
		return errorf("delete those files, or move each under a creation rule outside dot-folders and give it a new data key ('sops rotate -i FILE'), then run the command again", "%v", err)
	}
	return &userError{msg: err.Error(), code: ExitFindings,
		hint: "set SOPS_AGE_KEY_FILE to a key that opens those files; nothing was written"}
}

func writeChangeText(out io.Writer, dryRun bool, diff string, plan *change.Plan, n names) {
	if diff != "" {
		fmt.Fprint(out, diff)
		if !strings.HasSuffix(diff, "\n") {
			fmt.Fprintln(out)
		}
	}
	var exposed []change.FileResult
	for _, f := range plan.Files {
		fmt.Fprintf(out, "%s: %s%s\n", f.Rel, f.Action, describeChange(rekeyOutcome{
			Added: n.label(f.Added), Removed: n.label(f.Removed), DataKeyRotate: f.DataKeyRotated}))
		if f.Readable != nil {
			exposed = append(exposed, f)
		}
	}
	if len(exposed) > 0 {
		fmt.Fprintln(out, "\nSecrets the removed key could read (change their values at the source):")
		for _, f := range exposed {
			for _, s := range f.Readable {
				fmt.Fprintf(out, "  %s: %s\n", f.Rel, s)
			}
		}
	}
	if dryRun {
		fmt.Fprintln(out, "dry run: nothing written")
	}
}

func writeChangeJSON(out io.Writer, dryRun bool, diff string, plan *change.Plan, rec audit.Entry) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schema     string              `json:"schema"`
		DryRun     bool                `json:"dry_run"`
		ConfigDiff string              `json:"config_diff"`
		Files      []change.FileResult `json:"files"`
		Stray      []string            `json:"stray,omitempty"`
		Secrets    []audit.SecretRef   `json:"secrets,omitempty"`
		ByHand     []audit.SecretRef   `json:"by_hand,omitempty"`
	}{"keycycle.change/v1", dryRun, diff, plan.Files, plan.Stray, rec.Secrets, rec.ByHand})
}
