package accessdiff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/textutil"
)

// Report is 'keycycle diff': who gained or lost the ability to
// decrypt which file between two revisions.
type Report struct {
	From, To string
	Files    []File
}

// Revisions is Between for the revisions 'keycycle diff' takes:
// none (HEAD and the working tree), FROM (FROM and the working tree) or
// FROM TO. A revision that cannot be read is an error with a hint.
func Revisions(ctx context.Context, root string, revs, exclude []string, ids []age.Identity) (*Report, error) {
	d := &Report{From: "HEAD", To: "working tree"}
	to := ""
	if len(revs) > 0 {
		d.From = revs[0]
	}
	if len(revs) > 1 {
		d.To, to = revs[1], revs[1]
	}
	files, err := Between(ctx, root, d.From, to, exclude, ids)
	var re *RevisionError
	if errors.As(err, &re) && re.Rev != "" {
		return nil, textutil.Hintf("name a commit, branch or tag ('git log --oneline' lists them); 'keycycle diff REV' compares REV with the working tree",
			"cannot read revision %q: %s", re.Rev, textutil.OneLine(re.Err.Error()))
	}
	if err != nil {
		return nil, err
	}
	d.Files = files
	return d, nil
}

// WriteJSON writes the keycycle.diff/v1 document; it only grows.
func (d *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schema string `json:"schema"`
		From   string `json:"from"`
		To     string `json:"to"`
		Files  []File `json:"files"`
	}{"keycycle.diff/v1", d.From, d.To, d.Files})
}

// WriteText writes one line a file: its status, +KEY for each key that
// gained access and -KEY for each that lost it, and whether the removed
// keys can still read the content.
func (d *Report) WriteText(w io.Writer) {
	if len(d.Files) == 0 {
		fmt.Fprintf(w, "no change in who can decrypt what between %s and %s\n", d.From, d.To)
		return
	}
	for _, f := range d.Files {
		var parts []string
		for _, k := range f.Gained {
			parts = append(parts, "+"+k.label())
		}
		for _, k := range f.Lost {
			parts = append(parts, "-"+k.label())
		}
		note := ""
		switch {
		case f.DataKeyRotated != nil && *f.DataKeyRotated:
			note = " (new data key)"
		case f.DataKeyRotated != nil && len(f.Lost) > 0:
			note = " (same data key: the removed keys can still read this content)"
		case f.DataKeyRotated == nil && len(f.Lost) > 0 && f.Status == "changed" && !f.Rewritten:
			note = " (values not re-encrypted: the removed keys can still read this content)"
		}
		fmt.Fprintf(w, "%s: %s %s%s\n", f.File, f.Status, strings.Join(parts, " "), note)
	}
}

// label is the key's name, else its recipient in full.
func (k Key) label() string {
	if k.Name != "" {
		return k.Name
	}
	return k.Recipient
}
