package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/keycycle/keycycle/internal/textutil"
)

// The 'keycycle audit log' and 'audit verify' views of a repository's
// log. Their errors carry the hint that helps (textutil.HintOf).

// Log is a repository's audit log as read: its path and its lines.
type Log struct {
	Path    string
	Records []Record
}

// ReadLog reads the log of the repository at root, keeping its last
// `last` lines (0: all).
func ReadLog(root string, last int) (*Log, error) {
	if last < 0 {
		return nil, textutil.Hintf("give a count of entries, or 0 for all", "--last %d is negative", last)
	}
	l := &Log{Path: Path(root)}
	f, err := openLog(l.Path)
	if err != nil {
		return nil, err
	}
	l.Records, err = Read(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, textutil.Hintf("check the file's permissions", "cannot read %s: %v", l.Path, err)
	}
	if last > 0 && len(l.Records) > last {
		l.Records = l.Records[len(l.Records)-last:]
	}
	return l, nil
}

// openLog opens the log at path.
func openLog(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, textutil.Hintf("keycycle starts it with the first command that changes files; 'keycycle audit note' starts one by hand",
			"no audit log at %s", path)
	}
	if err != nil {
		return nil, textutil.Hintf("check the file's permissions", "cannot read %s: %v", path, errors.Unwrap(err))
	}
	return f, nil
}

// WriteText writes every entry (WriteText), a blank line between two; a
// line that is not a valid entry is shown as such.
func (l *Log) WriteText(w io.Writer) error {
	for i, r := range l.Records {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if r.Err != nil {
			fmt.Fprintf(w, "line %d: not a valid entry: %v (run 'keycycle audit verify')\n", r.Line, r.Err)
			continue
		}
		if err := WriteText(w, r.Entry); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the keycycle.audit.log/v1 document (docs/audit.md); it
// only grows.
func (l *Log) WriteJSON(w io.Writer) error {
	return writeJSON(w, struct {
		Schema  string   `json:"schema"`
		File    string   `json:"file"`
		Entries []Record `json:"entries"`
	}{"keycycle.audit.log/v1", l.Path, append([]Record{}, l.Records...)})
}

// WriteHead writes the hash of the last line, or in format json the
// keycycle.audit.head/v1 document. An empty log, or one whose last line
// is not a valid entry, has no head.
func (l *Log) WriteHead(w io.Writer, format string) error {
	if len(l.Records) == 0 {
		return textutil.Hintf("the log gets its first entry from the first command that changes files", "%s is empty: it has no head", l.Path)
	}
	last := l.Records[len(l.Records)-1]
	if last.Err != nil || last.Partial {
		return textutil.Hintf("run 'keycycle audit verify' to see what is wrong", "the last line of %s is not a valid entry", l.Path)
	}
	if format == "json" {
		return writeJSON(w, struct {
			Schema string `json:"schema"`
			File   string `json:"file"`
			Seq    int    `json:"seq"`
			Head   string `json:"head"`
		}{"keycycle.audit.head/v1", l.Path, last.Entry.Seq, last.Hash})
	}
	_, err := fmt.Fprintln(w, last.Hash)
	return err
}

// Verified is the log of a repository checked by VerifyLog.
type Verified struct {
	Path string
	Report
}

// VerifyLog verifies the log of the repository at root (Verify) and,
// when expectHead is given, that the line with that hash is still in it
// (CheckAnchor).
func VerifyLog(root, expectHead string) (*Verified, error) {
	anchor := NormalizeHash(expectHead)
	if anchor != "" && !ValidHash(anchor) {
		return nil, textutil.Hintf("give the 64 hex digits 'keycycle audit log --head' printed", "--expect-head %q is not a line hash", expectHead)
	}
	v := &Verified{Path: Path(root)}
	f, err := openLog(v.Path)
	if err != nil {
		return nil, err
	}
	v.Report, err = Verify(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, textutil.Hintf("check the file's permissions", "cannot read %s: %v", v.Path, err)
	}
	if anchor != "" {
		v.CheckAnchor(anchor)
	}
	return v, nil
}

// WriteText writes the report naming the log (Report.WriteText).
func (v *Verified) WriteText(w io.Writer) error { return v.Report.WriteText(w, v.Path) }

// WriteJSON writes the keycycle.audit.verify/v1 document (docs/audit.md);
// it only grows.
func (v *Verified) WriteJSON(w io.Writer) error {
	return writeJSON(w, struct {
		Schema string `json:"schema"`
		File   string `json:"file"`
		Intact bool   `json:"intact"`
		Report
	}{"keycycle.audit.verify/v1", v.Path, v.OK(), v.Report})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
