package ops

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
)

// WriteShown renders a planned change in format: "json" is the
// keycycle.change/v1 document (docs/json.md); text is the config diff,
// one line per file, and the secrets a removed key could read.
func WriteShown(w io.Writer, format string, v Shown) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema     string              `json:"schema"`
			DryRun     bool                `json:"dry_run"`
			ConfigDiff string              `json:"config_diff"`
			Files      []change.FileResult `json:"files"`
			Stray      []string            `json:"stray,omitempty"`
			Secrets    []audit.SecretRef   `json:"secrets,omitempty"`
			ByHand     []audit.SecretRef   `json:"by_hand,omitempty"`
		}{"keycycle.change/v1", v.DryRun, v.Diff, v.Plan.Files, v.Plan.Stray, v.Request.Audit.Secrets, v.Request.Audit.ByHand})
	}
	if v.Diff != "" {
		fmt.Fprint(w, v.Diff)
		if !strings.HasSuffix(v.Diff, "\n") {
			fmt.Fprintln(w)
		}
	}
	names := v.Request.KeyNames()
	var exposed []change.FileResult
	for _, f := range v.Plan.Files {
		fmt.Fprintf(w, "%s: %s%s\n", f.Rel, f.Action, describe(FileOutcome{
			Added: label(names, f.Added), Removed: label(names, f.Removed), DataKeyRotate: f.DataKeyRotated}))
		if f.Readable != nil {
			exposed = append(exposed, f)
		}
	}
	if len(exposed) > 0 {
		fmt.Fprintln(w, "\nSecrets the removed key could read (change their values at the source):")
		for _, f := range exposed {
			for _, s := range f.Readable {
				fmt.Fprintf(w, "  %s: %s\n", f.Rel, s)
			}
		}
	}
	if v.DryRun {
		fmt.Fprintln(w, "dry run: nothing written")
	}
	return nil
}

// Write renders a rekey's outcomes in format: "json" is the
// keycycle.rekey/v1 document; text is a line per file that changed or
// failed, then the counts.
func (r *Rekeyed) Write(w io.Writer, format string, dryRun bool) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema string        `json:"schema"`
			DryRun bool          `json:"dry_run"`
			Files  []FileOutcome `json:"files"`
		}{"keycycle.rekey/v1", dryRun, r.Files})
	}
	changed := 0
	for _, o := range r.Files {
		switch o.Status {
		case "unchanged":
			continue
		case "rekeyed", "would-rekey":
			changed++
		}
		fmt.Fprintf(w, "%s: %s%s\n", o.File, o.Status, describe(o))
	}
	verb := "rekeyed"
	if dryRun {
		verb = "would be rekeyed (dry run: nothing written)"
	}
	_, err := fmt.Fprintf(w, "%d of %d files %s, %d failed\n", changed, len(r.Files), verb, r.Failed())
	return err
}

// describe is a file's change in a line: +added -removed, a new data
// key, the error.
func describe(o FileOutcome) string {
	var parts []string
	for _, a := range o.Added {
		parts = append(parts, "+"+a)
	}
	for _, r := range o.Removed {
		parts = append(parts, "-"+r)
	}
	if o.DataKeyRotate {
		parts = append(parts, "(new data key)")
	}
	if o.Error != "" {
		parts = append(parts, o.Error)
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// label names recipients by the anchor names .sops.yaml gives them; a
// recipient no anchor names stays whole (nothing else would tell which
// key it is).
func label(names map[string]string, ids []string) []string {
	var out []string
	for _, id := range ids {
		if name, ok := names[id]; ok {
			out = append(out, name)
		} else {
			out = append(out, id)
		}
	}
	return out
}
