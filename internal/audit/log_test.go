package audit

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/textutil"
)

// TestReadLogViews reads a log as 'audit log' shows it: the last N
// entries, the head, and the JSON documents.
func TestReadLogViews(t *testing.T) {
	root, lines := writeLog(t, 3)
	l, err := ReadLog(root, 2)
	if err != nil || len(l.Records) != 2 || l.Records[0].Entry.Seq != 2 || l.Path != Path(root) {
		t.Fatalf("ReadLog: %+v %v", l, err)
	}
	var b strings.Builder
	if err := l.WriteHead(&b, "text"); err != nil || b.String() != LineHash([]byte(strings.TrimSuffix(lines[2], "\n")))+"\n" {
		t.Fatalf("head: %q %v", b.String(), err)
	}
	b.Reset()
	var head struct {
		Schema string
		Seq    int
	}
	if err := l.WriteHead(&b, "json"); err != nil || json.Unmarshal([]byte(b.String()), &head) != nil || head.Seq != 3 || head.Schema != "keycycle.audit.head/v1" {
		t.Fatalf("head JSON: %s %v", b.String(), err)
	}
	b.Reset()
	var doc struct{ Entries []map[string]any }
	if err := l.WriteJSON(&b); err != nil || json.Unmarshal([]byte(b.String()), &doc) != nil || len(doc.Entries) != 2 {
		t.Fatalf("JSON: %s %v", b.String(), err)
	}
	b.Reset()
	if err := l.WriteText(&b); err != nil || strings.Count(b.String(), "keycycle host add") != 2 {
		t.Fatalf("text: %s %v", b.String(), err)
	}
	if _, err := ReadLog(root, -1); textutil.HintOf(err) == "" {
		t.Errorf("--last -1: %v", err)
	}
	if _, err := ReadLog(t.TempDir(), 0); err == nil || !strings.HasPrefix(err.Error(), "no audit log at ") || textutil.HintOf(err) == "" {
		t.Errorf("no log: %v", err)
	}
	if err := (&Log{Path: "x"}).WriteHead(&b, "text"); textutil.HintOf(err) == "" {
		t.Errorf("an empty log's head: %v", err)
	}
}

// TestVerifyLogAnchor verifies a log against a head recorded before and
// refuses what is not a hash.
func TestVerifyLogAnchor(t *testing.T) {
	root, lines := writeLog(t, 2)
	v, err := VerifyLog(root, strings.ToUpper(LineHash([]byte(strings.TrimSuffix(lines[0], "\n")))))
	if err != nil || !v.OK() || v.Anchor == nil || v.Anchor.After != 1 {
		t.Fatalf("VerifyLog: %+v %v", v, err)
	}
	if _, err := VerifyLog(root, "nothex"); textutil.HintOf(err) == "" {
		t.Errorf("a bad hash: %v", err)
	}
	if err := os.WriteFile(Path(root), []byte(lines[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if v, err = VerifyLog(root, ""); err != nil || v.OK() || v.WriteText(&b) != nil || !strings.Contains(b.String(), "BROKEN") {
		t.Errorf("a log that lost its first line: %v %s", err, b.String())
	}
}

// TestCommand records a command line: secret values redacted, true
// booleans bare, repeated flags repeated, arguments after "--" from the
// first that looks like a flag.
func TestCommand(t *testing.T) {
	got := Command("keycycle secret set", []Flag{
		{Name: "value", Values: []string{"hunter2"}, Secret: true},
		{Name: "dry-run", Values: []string{"true"}, Bool: true},
		{Name: "commit", Values: []string{"false"}, Bool: true},
		{Name: "file", Values: []string{"a b", "c"}},
	}, []string{"sops/x.yaml", "-odd", "z"})
	want := "keycycle secret set '--value=<redacted>' --dry-run --commit=false '--file=a b' --file=c sops/x.yaml -- -odd z"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
