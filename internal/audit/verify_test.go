package audit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// forged returns a valid-looking line with the given seq and prev, as
// someone inserting an entry by hand would write it.
func forged(t *testing.T, seq int, prev string) string {
	t.Helper()
	line, err := encode(Entry{Seq: seq, Prev: prev, Time: time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC), Actor: "mallory@x", Command: "keycycle host add evil"})
	if err != nil {
		t.Fatal(err)
	}
	return string(line)
}

func hashOf(line string) string { return LineHash([]byte(strings.TrimSuffix(line, "\n"))) }

func verifyString(t *testing.T, s string) Report {
	t.Helper()
	rep, err := Verify(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerifyTampering(t *testing.T) {
	_, l := writeLog(t, 5) // l[0..4] are lines 1..5
	j := func(lines ...string) string { return strings.Join(lines, "") }
	edited := strings.Replace(l[2], "web3", "web9", 1)
	type want struct {
		line int
		kind string
		msg  string
	}
	tests := []struct {
		name string
		log  string
		want []want
	}{
		{"intact", j(l...), nil},
		{"empty", "", nil},
		{"edited middle line", j(l[0], l[1], edited, l[3], l[4]),
			[]want{{4, KindEdited, "line 3 was changed after it was written"}}},
		{"edited first line", j(strings.Replace(l[0], "web1", "web9", 1), l[1], l[2], l[3], l[4]),
			[]want{{2, KindEdited, "line 1 was changed"}}},
		{"removed middle line", j(l[0], l[1], l[3], l[4]),
			[]want{{3, KindRemoved, "seq jumps from 2 to 4: 1 entry (seq 3) was removed before this line"}}},
		{"removed two lines", j(l[0], l[3], l[4]),
			[]want{{2, KindRemoved, "2 entries (seq 2 to 3) were removed"}}},
		{"removed first line", j(l[1], l[2], l[3], l[4]),
			[]want{{1, KindRemoved, "the log starts at seq 2: 1 entry (seq 1) was removed from its start"}}},
		{"inserted line with a correct prev", j(l[0], l[1], forged(t, 3, hashOf(l[1])), l[2], l[3], l[4]),
			[]want{{4, KindInserted, "written right after line 2 (seq 2): line 3 was inserted"}}},
		{"inserted copy of a line", j(l[0], l[1], l[2], l[1], l[3], l[4]),
			[]want{{4, KindInserted, "the line is a copy of line 2: it was inserted"}, {5, KindInserted, "written right after line 3 (seq 3): line 4 was inserted"}}},
		{"inserted line claiming to start a log", j(l[0], forged(t, 2, Genesis), l[1], l[2], l[3], l[4]),
			[]want{{2, KindInserted, "claims to start a log"}, {3, KindInserted, "line 2 was inserted"}}},
		{"swapped lines", j(l[0], l[1], l[3], l[2], l[4]),
			[]want{
				{3, KindReordered, "written after line 4 (seq 3) but comes before it"},
				{4, KindReordered, "written right after line 2 (seq 2), not after line 3"},
				{5, KindReordered, "written right after line 3 (seq 4), not after line 4"},
			}},
		{"last line moved up", j(l[0], l[4], l[1], l[2], l[3]),
			[]want{{2, KindReordered, "written after line 5"}, {3, KindReordered, "not after line 2"}}},
		{"invalid JSON", j(l[0], "{\"seq\":2,\n", l[2], l[3], l[4]),
			[]want{{2, KindInvalid, "not a valid entry: not a JSON object"}, {3, KindEdited, "line 2 was changed"}}},
		{"empty line", j(l[0], l[1], "\n", l[2], l[3], l[4]),
			[]want{{3, KindInvalid, "empty line"}, {4, KindInserted, "written right after line 2 (seq 2): line 3 was inserted"}}},
		{"cut last line", j(l[0], l[1], l[2][:40]),
			[]want{{3, KindPartial, "does not end with a newline"}, {3, KindInvalid, "not a JSON object"}}},
		{"last line without newline", j(l[0], l[1], strings.TrimSuffix(l[2], "\n")),
			[]want{{3, KindPartial, "does not end with a newline"}}},
		{"chain rewritten with a wrong seq", j(l[0], forged(t, 7, hashOf(l[0]))),
			[]want{{2, KindSeq, "seq 7 where 2 was expected"}}},
		{"first line edited prev", j(forged(t, 1, hashOf(l[3]))),
			[]want{{1, KindEdited, "does not start the chain"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := verifyString(t, tt.log)
			if len(rep.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(rep.Problems), len(tt.want), dump(rep))
			}
			for i, w := range tt.want {
				p := rep.Problems[i]
				if p.Line != w.line || p.Kind != w.kind || !strings.Contains(p.Message, w.msg) {
					t.Errorf("problem %d = line %d %s %q\nwant line %d %s containing %q", i, p.Line, p.Kind, p.Message, w.line, w.kind, w.msg)
				}
			}
			if rep.OK() != (len(tt.want) == 0) {
				t.Errorf("OK() = %v", rep.OK())
			}
		})
	}
}

func dump(rep Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "  line %d %s: %s\n", p.Line, p.Kind, p.Message)
	}
	return b.String()
}

func TestVerifyCannotSeeTailCut(t *testing.T) {
	_, l := writeLog(t, 4)
	full := verifyString(t, strings.Join(l, ""))
	cut := verifyString(t, strings.Join(l[:3], ""))
	if !cut.OK() {
		t.Fatalf("a log cut at its end verifies by the chain alone: %s", dump(cut))
	}
	cut.CheckAnchor(full.Head)
	if cut.OK() || cut.Problems[0].Kind != KindAnchor || cut.Problems[0].Line != 0 {
		t.Errorf("anchor did not catch the cut: %s", dump(cut))
	}
	editedLast := verifyString(t, strings.Join(l[:3], "")+strings.Replace(l[3], "web4", "web0", 1))
	if !editedLast.OK() {
		t.Fatalf("chain alone: %s", dump(editedLast))
	}
	editedLast.CheckAnchor("sha256:" + strings.ToUpper(full.Head))
	if editedLast.OK() {
		t.Error("anchor did not catch an edited last line")
	}
}

func TestVerifyAnchorFound(t *testing.T) {
	_, l := writeLog(t, 4)
	rep := verifyString(t, strings.Join(l, ""))
	if rep.Lines != 4 || rep.Entries != 4 || rep.HeadSeq != 4 || rep.Head != hashOf(l[3]) {
		t.Errorf("report %+v", rep)
	}
	rep.CheckAnchor(hashOf(l[1]))
	if !rep.OK() || rep.Anchor == nil || rep.Anchor.Line != 2 || rep.Anchor.Seq != 2 || rep.Anchor.After != 2 {
		t.Errorf("anchor %+v, problems %s", rep.Anchor, dump(rep))
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestVerifyReadError(t *testing.T) {
	if _, err := Verify(failingReader{}); err == nil {
		t.Error("a failing reader gave no error")
	}
}

func TestReadRecords(t *testing.T) {
	_, l := writeLog(t, 2)
	recs, err := Read(strings.NewReader(l[0] + "junk\n" + l[1]))
	if err != nil || len(recs) != 3 {
		t.Fatalf("Read: %d records, %v", len(recs), err)
	}
	if recs[0].Entry.Seq != 1 || recs[1].Err == nil || recs[1].Line != 2 || recs[2].Entry.Seq != 2 || recs[2].Partial {
		t.Errorf("records %+v", recs)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte("{\"seq\":1}\n"))
	f.Add([]byte("\n\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Verify(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Entries > rep.Lines {
			t.Fatalf("%d entries in %d lines", rep.Entries, rep.Lines)
		}
	})
}
