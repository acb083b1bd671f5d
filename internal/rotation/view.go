package rotation

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

// WriteStatus renders rotations in format: "json" is the
// keycycle.rotations/v1 document; text is a table, one rotation a line.
func WriteStatus(w io.Writer, format string, list []*Journal) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema    string     `json:"schema"`
			Rotations []*Journal `json:"rotations"`
		}{"keycycle.rotations/v1", list})
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "no open rotation")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKEY\tKIND\tHOST\tSTATE\tUPDATED\tNOTE")
	for _, j := range list {
		note := ""
		if len(j.History) > 0 {
			note = j.History[len(j.History)-1].Note
		}
		if j.Error != "" {
			note = "error: " + j.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Key, dash(j.Kind), j.Host, j.State, j.Updated.Format(time.RFC3339), note)
	}
	return tw.Flush()
}

// Due is what 'rotate due' did, or would do, to the keys past their age.
type Due struct {
	// AsOf is when the keys' ages were taken.
	AsOf time.Time
	Keys []*DueKey
	// DryRun is true when nothing was written; MaxParallel is how many
	// hosts rotated at once.
	DryRun      bool
	MaxParallel int
}

// Failed tells whether a rotation failed (the command's finding).
func (d *Due) Failed() bool {
	for _, k := range d.Keys {
		if k.Result == DueFailed {
			return true
		}
	}
	return false
}

// Write renders d in format: "json" is the keycycle.rotate-due/v1
// document; text is a table, one key a line, and the counts.
func (d *Due) Write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema      string    `json:"schema"`
			AsOf        time.Time `json:"as_of"`
			DryRun      bool      `json:"dry_run"`
			MaxParallel int       `json:"max_parallel"`
			Keys        []*DueKey `json:"keys"`
		}{"keycycle.rotate-due/v1", d.AsOf, d.DryRun, d.MaxParallel, append([]*DueKey{}, d.Keys...)})
	}
	if len(d.Keys) == 0 {
		_, err := fmt.Fprintln(w, "no key is past its policy age")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tKIND\tHOST\tDUE\tRESULT\tSTATE\tNOTE")
	count := map[string]int{}
	for _, k := range d.Keys {
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
	_, err := fmt.Fprintf(w, "%d key(s) due: %d done, %d waiting, %d failed, %d skipped, %d planned\n",
		len(d.Keys), count[DueDone], count[DueWaiting], count[DueFailed], count[DueSkipped], count[DuePlanned])
	if d.DryRun && err == nil {
		_, err = fmt.Fprintln(w, "dry run: nothing written")
	}
	return err
}

// dash is s, or "-" for an empty table cell.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
