package audit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWriteText(t *testing.T) {
	var b strings.Builder
	err := WriteText(&b, Entry{
		Seq: 4, Time: time.Date(2026, 3, 5, 13, 0, 0, 0, time.FixedZone("CET", 3600)), Actor: "alice@laptop",
		Command: "keycycle host remove db1", Removed: []Recipient{{Name: "db1", Recipient: "age1db"}, {Recipient: "age1anon"}},
		Added: []Recipient{{Name: "web2", Recipient: "age1web"}}, Files: []string{".sops.yaml", "sops/shared.yaml"},
		DataKeyRotated: []string{"sops/shared.yaml"}, Note: "two\nlines",
		Secrets: []SecretRef{{File: "sops/shared.yaml", Path: "a/b", Action: "regenerate"}, {File: "s.yaml", Path: "n", From: "o", Action: "move"}},
		Exposed: []SecretRef{{File: "sops/shared.yaml", Path: "a/b"}}, ByHand: []SecretRef{{File: "sops/shared.yaml", Path: "c"}},
	})
	want := `#4  2026-03-05T12:00:00Z  alice@laptop
    keycycle host remove db1
    + web2  age1web
    - db1  age1db
    - age1anon
    files: .sops.yaml, sops/shared.yaml
    new data key: sops/shared.yaml
    secret regenerate: sops/shared.yaml: a/b
    secret move: s.yaml: o -> n
    exposed: sops/shared.yaml: a/b
    change by hand: sops/shared.yaml: c
    note: two
          lines
`
	if err != nil || b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestReportWriteText(t *testing.T) {
	_, l := writeLog(t, 3)
	rep := verifyString(t, strings.Join(l, ""))
	rep.CheckAnchor(hashOf(l[0]))
	var b strings.Builder
	if err := rep.WriteText(&b, "a.log"); err != nil {
		t.Fatal(err)
	}
	if want := "a.log: intact: 3 entries, head #3 " + hashOf(l[2]) + "; the expected head is line 1 (#1), 2 entries appended since\n"; b.String() != want {
		t.Errorf("got  %swant %s", b.String(), want)
	}
	rep = verifyString(t, l[0]+l[2])
	b.Reset()
	if err := rep.WriteText(&b, "a.log"); err != nil {
		t.Fatal(err)
	}
	if want := "a.log:2: removed: seq jumps from 1 to 3: 1 entry (seq 2) was removed before this line\na.log: BROKEN: 1 problem in 2 lines\n"; b.String() != want {
		t.Errorf("got  %swant %s", b.String(), want)
	}
}

func TestRecordJSON(t *testing.T) {
	ok := Record{Line: 1, Hash: "h", Entry: Entry{Seq: 1, Command: "keycycle x", Note: "<&>", Prev: Genesis}}
	bad := Record{Line: 2, Hash: "g", Err: errors.New("empty line")}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode([]Record{ok, bad}); err != nil {
		t.Fatal(err)
	}
	data := strings.TrimSpace(buf.String())
	want := `[{"line":1,"hash":"h","seq":1,"time":"0001-01-01T00:00:00Z","actor":"","command":"keycycle x","note":"<&>","prev":"` + Genesis + `"},{"line":2,"hash":"g","error":"empty line"}]`
	if data != want {
		t.Errorf("got  %s\nwant %s", data, want)
	}
}

// TestWriteTextEscapesControls: a note or an actor carrying terminal
// escape sequences is shown with them made visible, never sent raw.
func TestWriteTextEscapesControls(t *testing.T) {
	var b strings.Builder
	e := Entry{Seq: 1, Actor: "mallory\x1b]0;pwned\x07@host", Command: "keycycle audit note x",
		Note: "ok\x1b[2J\x1b[31mred\u009b"}
	if err := WriteText(&b, e); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"\x1b", "\x07", "\u009b"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q raw:\n%q", bad, out)
		}
	}
	for _, want := range []string{`mallory\x1b]0;pwned\x07@host`, `ok\x1b[2J\x1b[31mred\x9b`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
