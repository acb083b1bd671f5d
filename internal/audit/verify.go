package audit

import (
	"fmt"
	"io"
	"strings"
)

// Kinds of Problem, stable names for scripts (docs/audit.md).
const (
	// KindInvalid: the line is not a valid entry (not JSON, a required
	// field missing).
	KindInvalid = "invalid"
	// KindPartial: the last line has no newline; the file ends mid-line.
	KindPartial = "partial"
	// KindEdited: the line before was changed after this one was written.
	KindEdited = "edited"
	// KindRemoved: entries are missing before this line.
	KindRemoved = "removed"
	// KindInserted: lines before this one are not part of the chain.
	KindInserted = "inserted"
	// KindReordered: the line is not where it was written.
	KindReordered = "reordered"
	// KindSeq: the chain holds but the numbering does not.
	KindSeq = "seq"
	// KindAnchor: the head recorded elsewhere is not in the log.
	KindAnchor = "anchor"
)

// Problem is one thing Verify found wrong, at one line.
type Problem struct {
	// Line is the 1-based line number; 0 for a problem with the whole
	// log (KindAnchor).
	Line int `json:"line"`
	// Seq is the line's seq when it could be read, else 0.
	Seq int `json:"seq,omitempty"`
	// Kind is one of the Kind… constants.
	Kind string `json:"kind"`
	// Message says what is wrong, in words.
	Message string `json:"message"`
}

// Anchor is where a head recorded elsewhere was found in the log.
type Anchor struct {
	// Hash is the hash that was looked for.
	Hash string `json:"hash"`
	// Line and Seq are where it was found.
	Line int `json:"line"`
	Seq  int `json:"seq"`
	// After is how many lines were appended after it.
	After int `json:"after"`
}

// Report is what Verify found.
type Report struct {
	// Lines is the number of lines read; Entries the valid ones.
	Lines   int `json:"lines"`
	Entries int `json:"entries"`
	// HeadSeq and Head are the seq and hash of the last line: what a
	// later CheckAnchor needs. Head is "" for an empty log.
	HeadSeq int    `json:"head_seq"`
	Head    string `json:"head"`
	// Anchor is set when CheckAnchor found its hash.
	Anchor *Anchor `json:"anchor,omitempty"`
	// Problems are in line order; none means the chain is intact.
	Problems []Problem `json:"problems"`

	recs   []Record
	byHash map[string]int // line hash → index in recs (first one)
}

// OK reports whether Verify (and CheckAnchor) found nothing wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Verify reads a whole log and checks its chain: every line must be a
// valid entry, carry the hash of the line before it (Genesis for the
// first) and the next seq. Each break is reported at the line where it
// shows, with a diagnosis: a line edited, removed, inserted or moved. The
// error is only for a failing reader.
//
// What the chain cannot show is a cut at the end: removing the last lines
// leaves a valid, shorter chain. CheckAnchor closes that gap against a
// head recorded elsewhere.
func Verify(r io.Reader) (Report, error) {
	recs, err := Read(r)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Lines: len(recs), Problems: []Problem{}, recs: recs, byHash: map[string]int{}}
	referenced := map[string]bool{}
	for i, rec := range recs {
		if _, dup := rep.byHash[rec.Hash]; !dup {
			rep.byHash[rec.Hash] = i
		}
		if rec.Err == nil {
			referenced[rec.Entry.Prev] = true
		}
	}
	prevHash, prevSeq := Genesis, 0
	for i, rec := range recs {
		if rec.Partial {
			rep.add(rec, KindPartial, "the line does not end with a newline: the write was cut short (a crash, a full disk) or the file was edited; keycycle appends nothing until this is fixed")
		}
		if rec.Err != nil {
			rep.add(rec, KindInvalid, "not a valid entry: "+rec.Err.Error())
			prevHash, prevSeq = rec.Hash, -1
			continue
		}
		rep.Entries++
		rep.link(i, prevHash, prevSeq, referenced)
		prevHash, prevSeq = rec.Hash, rec.Entry.Seq
	}
	if n := len(recs); n > 0 {
		rep.Head = recs[n-1].Hash
		rep.HeadSeq = recs[n-1].Entry.Seq
	}
	return rep, nil
}

func (r *Report) add(rec Record, kind, msg string) {
	r.Problems = append(r.Problems, Problem{Line: rec.Line, Seq: rec.Entry.Seq, Kind: kind, Message: msg})
}

// link checks that recs[i] follows the line before it (hash prevHash, seq
// prevSeq, -1 when unknown) and reports the break when it does not.
func (r *Report) link(i int, prevHash string, prevSeq int, referenced map[string]bool) {
	rec := r.recs[i]
	e := rec.Entry
	want := prevSeq + 1
	if first := r.byHash[rec.Hash]; first != i {
		r.add(rec, KindInserted, fmt.Sprintf("the line is a copy of line %d: it was inserted", r.recs[first].Line))
		return
	}
	if e.Prev == prevHash {
		if prevSeq >= 0 && e.Seq != want {
			r.add(rec, KindSeq, fmt.Sprintf("seq %d where %d was expected, yet its prev is the hash of the line before: the entry was written with a wrong seq, or rewritten with its hash recomputed", e.Seq, want))
		}
		return
	}
	if j, ok := r.byHash[e.Prev]; ok && j != i {
		r.misplaced(i, j, referenced)
		return
	}
	switch {
	case i == 0 && e.Seq > 1:
		r.add(rec, KindRemoved, fmt.Sprintf("the log starts at seq %d: %s removed from its start", e.Seq, entries(1, e.Seq-1)))
	case i == 0:
		r.add(rec, KindEdited, "the first line does not start the chain (its prev is not the genesis hash): the line was changed")
	case e.Prev == Genesis:
		r.add(rec, KindInserted, fmt.Sprintf("the line claims to start a log (its prev is the genesis hash) but follows line %d: it was inserted, or two logs were spliced", r.recs[i-1].Line))
	case prevSeq >= 0 && e.Seq > want:
		r.add(rec, KindRemoved, fmt.Sprintf("seq jumps from %d to %d: %s removed before this line", prevSeq, e.Seq, entries(want, e.Seq-1)))
	case prevSeq < 0 || e.Seq == want:
		r.add(rec, KindEdited, fmt.Sprintf("line %d was changed after it was written: this line records a different hash for it", r.recs[i-1].Line))
	default:
		r.add(rec, KindEdited, fmt.Sprintf("its prev matches no line in the log and seq %d does not follow the line before: lines around it were changed or removed", e.Seq))
	}
}

// misplaced reports recs[i] whose prev is the hash of recs[j], not of the
// line just before it.
func (r *Report) misplaced(i, j int, referenced map[string]bool) {
	rec := r.recs[i]
	if j > i {
		r.add(rec, KindReordered, fmt.Sprintf("the line was written after line %d (seq %d) but comes before it: lines were reordered", r.recs[j].Line, r.recs[j].Entry.Seq))
		return
	}
	between := lineRange(r.recs[j+1].Line, r.recs[i-1].Line)
	for k := j + 1; k < i; k++ {
		if r.moved(k, referenced) {
			r.add(rec, KindReordered, fmt.Sprintf("the line was written right after line %d (seq %d), not after %s: lines were reordered", r.recs[j].Line, r.recs[j].Entry.Seq, between))
			return
		}
	}
	r.add(rec, KindInserted, fmt.Sprintf("the line was written right after line %d (seq %d): %s was inserted", r.recs[j].Line, r.recs[j].Entry.Seq, between))
}

// moved reports whether recs[k] was written elsewhere in the chain: a
// later line was written after it, or it was not written after the line
// now before it. A line inserted by hand is neither.
func (r *Report) moved(k int, referenced map[string]bool) bool {
	rec := r.recs[k]
	if rec.Err != nil || r.byHash[rec.Hash] != k {
		return false // unreadable, or a copy of an earlier line
	}
	if referenced[rec.Hash] {
		return true
	}
	j, ok := r.byHash[rec.Entry.Prev]
	return ok && j != k-1
}

// CheckAnchor checks the log against a head recorded elsewhere ('keycycle
// audit log --head', a commit trailer): the line with that hash must still
// be in the log. Every line up to it is then proven present by the chain;
// lines after it were appended since. A missing anchor is a KindAnchor
// problem: the log was cut at its end, or the anchored line changed.
func (r *Report) CheckAnchor(hash string) {
	h := NormalizeHash(hash)
	i, ok := r.byHash[h]
	if !ok {
		r.Problems = append(r.Problems, Problem{Kind: KindAnchor, Message: fmt.Sprintf(
			"no line of the log has hash %s: entries were cut off its end, or the line recorded as the head was changed", h)})
		return
	}
	rec := r.recs[i]
	r.Anchor = &Anchor{Hash: h, Line: rec.Line, Seq: rec.Entry.Seq, After: len(r.recs) - 1 - i}
}

// NormalizeHash returns a line hash as written by hand or in a commit
// trailer (spaces around it, upper case, a "sha256:" prefix) in the form
// Verify uses: 64 lowercase hex digits. ValidHash tells whether the result
// is one.
func NormalizeHash(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimPrefix(s, "sha256:")
}

// ValidHash reports whether s is a line hash: 64 lowercase hex digits.
func ValidHash(s string) bool { return isHash(s) }

func entries(from, to int) string {
	if from == to {
		return fmt.Sprintf("1 entry (seq %d) was", from)
	}
	return fmt.Sprintf("%d entries (seq %d to %d) were", to-from+1, from, to)
}

func lineRange(from, to int) string {
	if from == to {
		return fmt.Sprintf("line %d", from)
	}
	return fmt.Sprintf("lines %d to %d", from, to)
}
