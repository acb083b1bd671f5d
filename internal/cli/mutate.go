package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/ops"
)

// showChange renders a planned change (ops.Options.Show).
func showChange(out io.Writer, format string, v ops.Shown) error {
	if format == "json" {
		return writeChangeJSON(out, v.DryRun, v.Diff, v.Plan, v.Request.Audit)
	}
	writeChangeText(out, v.DryRun, v.Diff, v.Plan, names(v.Request.KeyNames()))
	return nil
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
		fmt.Fprintf(out, "%s: %s%s\n", f.Rel, f.Action, describeChange(ops.FileOutcome{
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
