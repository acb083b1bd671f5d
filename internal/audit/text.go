package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes e as 'keycycle audit log' shows it: a header line
// (#seq, time, actor), then indented the command, "+ name recipient" for
// each recipient added, "- name recipient" for each one removed, the files
// written, the files with a new data key, and the note.
func WriteText(w io.Writer, e Entry) error {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d  %s  %s\n", e.Seq, e.Time.UTC().Format(time.RFC3339), e.Actor)
	fmt.Fprintf(&b, "    %s\n", strings.ReplaceAll(e.Command, "\n", "\n      "))
	for _, r := range e.Added {
		fmt.Fprintf(&b, "    + %s\n", r.text())
	}
	for _, r := range e.Removed {
		fmt.Fprintf(&b, "    - %s\n", r.text())
	}
	if len(e.Files) > 0 {
		fmt.Fprintf(&b, "    files: %s\n", strings.Join(e.Files, ", "))
	}
	if len(e.DataKeyRotated) > 0 {
		fmt.Fprintf(&b, "    new data key: %s\n", strings.Join(e.DataKeyRotated, ", "))
	}
	for _, r := range e.Secrets {
		fmt.Fprintf(&b, "    secret %s: %s\n", r.Action, r.text())
	}
	for _, r := range e.Exposed {
		fmt.Fprintf(&b, "    exposed: %s\n", r.text())
	}
	for _, r := range e.ByHand {
		fmt.Fprintf(&b, "    change by hand: %s\n", r.text())
	}
	if e.Note != "" {
		fmt.Fprintf(&b, "    note: %s\n", strings.ReplaceAll(e.Note, "\n", "\n          "))
	}
	_, err := io.WriteString(w, printable(b.String()))
	return err
}

// printable replaces control characters other than newline (an escape
// sequence in a note or in KEYCYCLE_ACTOR could move the cursor, recolour
// or retitle the reader's terminal) with their \x escapes.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || (r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0)) {
			return r
		}
		return -1
	}, strings.NewReplacer(controlPairs()...).Replace(s))
}

// controlPairs maps each C0 and C1 control character (but newline) to
// its visible \x form.
func controlPairs() []string {
	var pairs []string
	for r := rune(0); r < 0xa0; r++ {
		if r == '\n' || (r >= 0x20 && r < 0x7f) {
			continue
		}
		pairs = append(pairs, string(r), fmt.Sprintf("\\x%02x", r))
	}
	return pairs
}

func (r Recipient) text() string {
	if r.Name == "" {
		return r.Recipient
	}
	return r.Name + "  " + r.Recipient
}

func (r SecretRef) text() string {
	if strings.Contains(r.From, ":") { // from another file: FILE:PATH
		return r.From + " -> " + r.File + ": " + r.Path
	}
	if r.From != "" {
		return r.File + ": " + r.From + " -> " + r.Path
	}
	return r.File + ": " + r.Path
}

// WriteText writes the report as 'keycycle audit verify' shows it, naming
// the log path: one line per problem (path:line: kind: message), then a
// verdict line, "BROKEN: …" or "intact: …" with the head.
func (r *Report) WriteText(w io.Writer, path string) error {
	var b strings.Builder
	for _, p := range r.Problems {
		loc := path
		if p.Line > 0 {
			loc = fmt.Sprintf("%s:%d", path, p.Line)
		}
		fmt.Fprintf(&b, "%s: %s: %s\n", loc, p.Kind, p.Message)
	}
	switch {
	case !r.OK():
		fmt.Fprintf(&b, "%s: BROKEN: %s in %s\n", path, count(len(r.Problems), "problem", "problems"), count(r.Lines, "line", "lines"))
	default:
		fmt.Fprintf(&b, "%s: intact: %s", path, count(r.Entries, "entry", "entries"))
		if r.Head != "" {
			fmt.Fprintf(&b, ", head #%d %s", r.HeadSeq, r.Head)
		}
		if a := r.Anchor; a != nil {
			fmt.Fprintf(&b, "; the expected head is line %d (#%d), %s appended since", a.Line, a.Seq, count(a.After, "entry", "entries"))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// MarshalJSON writes a record as the entries of the keycycle.audit.log/v1
// document (docs/audit.md) hold it: "line" and "hash", then the entry's
// own fields, or "error" for a line that is not a valid entry.
func (r Record) MarshalJSON() ([]byte, error) {
	type out struct {
		Line  int    `json:"line"`
		Hash  string `json:"hash"`
		Error string `json:"error,omitempty"`
		*Entry
	}
	o := out{Line: r.Line, Hash: r.Hash}
	if r.Err != nil {
		o.Error = r.Err.Error()
	} else {
		e := r.Entry
		o.Entry = &e
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
