package check

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Lint is 'keycycle check': the repository repo.Open returned checked
// with its policy (keycycle.yaml, .keycycle/keys.yaml), key ages
// measured at now, its files read through b one by one (Stream: memory
// bounded by the files in flight, not by the repository's size).
func Lint(ctx context.Context, r *repo.Repo, b repo.Backend, now time.Time) (*Report, error) {
	pol, err := policy.Load(r.Root)
	if err != nil {
		return nil, textutil.Hintf("check that the file is readable", "cannot read the policy: %v", err)
	}
	return Stream(ctx, r, b, Options{Policy: pol, Now: now})
}

// Write renders rep in format: text, json, github (WriteGitHub) or sarif
// (WriteSARIF, naming keycycle version). display turns a finding's
// root-relative path into the one CI annotates.
func Write(w io.Writer, rep *Report, format, version string, display func(string) string) error {
	switch format {
	case "json":
		return WriteJSON(w, rep)
	case "github":
		WriteGitHub(w, rep, display)
		return nil
	case "sarif":
		return WriteSARIF(w, rep, version, display)
	}
	WriteText(w, rep)
	return nil
}

// WriteJSON writes the keycycle.check/v1 document (docs/checks.md); it
// only grows.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schema string `json:"schema"`
		*Report
	}{"keycycle.check/v1", rep})
}

// WriteText writes one finding a line ("file:line: severity ID name:
// message", then its hint), then the summary line.
func WriteText(w io.Writer, rep *Report) {
	for _, f := range rep.Findings {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		fmt.Fprintf(w, "%s: %s %s %s: %s\n", loc, f.Severity, f.ID, f.Name, f.Message)
		if f.Hint != "" {
			fmt.Fprintf(w, "    hint: %s\n", f.Hint)
		}
	}
	if len(rep.Findings) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s, %s, %s in %s and %s checked\n",
		textutil.Plural(rep.Errors, "error"), textutil.Plural(rep.Warnings, "warning"), textutil.Plural(rep.Infos, "note"),
		rep.Config, textutil.Plural(rep.Files, "secrets file"))
}

// WriteKinds lists every finding ID with its severity, name and summary
// ('check --list'), as text or as a JSON array.
func WriteKinds(w io.Writer, format string) error {
	kinds := Kinds()
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(kinds)
	}
	for _, k := range kinds {
		fmt.Fprintf(w, "%s  %-7s  %-20s  %s\n", k.ID, k.Severity, k.Name, k.Summary)
	}
	return nil
}
