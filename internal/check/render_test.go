package check

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWriteText pins check's text: file:line, severity, ID, name and
// message, the hint under it, then the summary.
func TestWriteText(t *testing.T) {
	rep := &Report{Config: ".sops.yaml", Files: 1, Errors: 1, Warnings: 2, Findings: []Finding{
		{File: ".sops.yaml", Line: 3, Severity: "error", ID: "KC001", Name: "parse", Message: "bad", Hint: "fix it"},
		{File: "sops/a.yaml", Severity: "warning", ID: "KC009", Name: "drift", Message: "m"},
	}}
	var b strings.Builder
	if err := Write(&b, rep, "text", "", nil); err != nil {
		t.Fatal(err)
	}
	want := `.sops.yaml:3: error KC001 parse: bad
    hint: fix it
sops/a.yaml: warning KC009 drift: m

1 error, 2 warnings, 0 notes in .sops.yaml and 1 secrets file checked
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	var doc map[string]any
	if err := Write(&b, rep, "json", "", nil); err != nil || json.Unmarshal([]byte(b.String()), &doc) != nil || doc["schema"] != "keycycle.check/v1" || doc["errors"] != 1.0 {
		t.Errorf("JSON: %v %s", err, b.String())
	}
}

// TestWriteKinds lists every kind once, in text and JSON.
func TestWriteKinds(t *testing.T) {
	var text, js strings.Builder
	if err := WriteKinds(&text, "text"); err != nil {
		t.Fatal(err)
	}
	if err := WriteKinds(&js, "json"); err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	if err := json.Unmarshal([]byte(js.String()), &kinds); err != nil || len(kinds) != len(Kinds()) {
		t.Fatalf("JSON: %v, %d kinds", err, len(kinds))
	}
	if lines := strings.Count(text.String(), "\n"); lines != len(Kinds()) || !strings.HasPrefix(text.String(), kinds[0].ID+"  ") {
		t.Errorf("text: %d lines for %d kinds:\n%s", lines, len(Kinds()), text.String())
	}
}
