package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Record is one line of a log as read, valid or not.
type Record struct {
	// Line is the 1-based line number in the file.
	Line int
	// Hash is LineHash of the line's bytes as they are in the file.
	Hash string
	// Entry is the decoded line; the zero Entry when Err is set.
	Entry Entry
	// Err says why the line is not a valid entry (not JSON, a required
	// field missing or malformed); nil for a valid one.
	Err error
	// Partial is true for a last line without its newline: the file
	// ends in the middle of a line.
	Partial bool
}

// Read reads every line of a log. A line that is not a valid entry is
// returned with Err set rather than stopping the read, so that a listing
// can show everything around it; the error is only for a failing reader.
func Read(r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	var recs []Record
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return recs, err
		}
		rec := Record{Line: n, Partial: err != nil}
		line = bytes.TrimSuffix(line, []byte("\n"))
		rec.Hash = LineHash(line)
		rec.Entry, rec.Err = ParseLine(line)
		if rec.Err != nil {
			rec.Entry = Entry{}
		}
		recs = append(recs, rec)
		if err != nil {
			return recs, nil
		}
	}
}

// ParseLine decodes one line (without its newline) into an Entry and
// checks the fields every entry must have: seq ≥ 1, a time, and prev as
// 64 lowercase hex digits. Unknown fields are ignored: the schema grows.
func ParseLine(line []byte) (Entry, error) {
	var e Entry
	if len(bytes.TrimSpace(line)) == 0 {
		return e, errors.New("empty line")
	}
	if err := json.Unmarshal(line, &e); err != nil {
		return e, fmt.Errorf("not a JSON object: %v", err)
	}
	switch {
	case e.Seq < 1:
		return e, errors.New(`"seq" is missing or below 1`)
	case e.Time.IsZero():
		return e, errors.New(`"time" is missing`)
	case !isHash(e.Prev):
		return e, errors.New(`"prev" is not 64 lowercase hex digits`)
	}
	return e, nil
}

func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
