package check

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema is ../shared/schemas/sarif-schema-2.1.0.json seen from the
// repository root.
func sarifSchema(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "schemas", "sarif-schema-2.1.0.json")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the OASIS SARIF 2.1.0 schema is not at %s: %v", p, err)
	}
	return p
}

// TestSARIFSchema validates 'check --format sarif' output against the
// OASIS SARIF 2.1.0 JSON schema.
func TestSARIFSchema(t *testing.T) {
	t.Parallel()
	path := sarifSchema(t)
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{Root: t.TempDir(), Config: ".sops.yaml", Findings: []Finding{
		{ID: IDPolicyInvalid, Name: "policy-invalid", Severity: Error, File: "keycycle.yaml", Line: 5, Column: 12, Message: "host malphas has unknown role", Hint: "fix it"},
		{ID: IDMissingSecret, Name: "missing-secret", Severity: Error, File: "sops/shared.yaml", Message: "secret passwords/borg is missing"},
		{ID: IDKeyDueSoon, Name: "key-due-soon", Severity: Warning, File: ".sops.yaml", Line: 3, Message: "due"},
		{ID: IDPolicyInvalid, Name: "policy-invalid", Severity: Error, Message: "no file at all"},
		{ID: "KC999", Name: "made-up", Severity: Info, File: "x", Line: 1, Message: "an info"},
	}}
	for _, r := range []*Report{rep, {Root: t.TempDir(), Findings: []Finding{}}} {
		var buf bytes.Buffer
		if err := WriteSARIF(&buf, r, "test", func(f string) string { return f }); err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Fatalf("SARIF output does not validate: %v\n%s", err, buf.String())
		}
		var log sarifLog
		if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
			t.Fatal(err)
		}
		rules := log.Runs[0].Tool.Driver.Rules
		if len(rules) != len(Kinds()) {
			t.Errorf("%d rules, want one per finding ID (%d)", len(rules), len(Kinds()))
		}
		for _, res := range log.Runs[0].Results {
			if res.RuleID != "KC999" && rules[res.RuleIndex].ID != res.RuleID {
				t.Errorf("result %s points at rule %s", res.RuleID, rules[res.RuleIndex].ID)
			}
		}
	}
}

// TestSARIFSchemaRejects proves the validator is not a no-op: a result
// with a level SARIF does not know fails.
func TestSARIFSchemaRejects(t *testing.T) {
	t.Parallel()
	sch, err := jsonschema.NewCompiler().Compile(sarifSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	bad := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"k"}},"results":[{"message":{"text":"x"},"level":"fatal"}]}]}`
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(bad)))
	if err != nil {
		t.Fatal(err)
	}
	if sch.Validate(doc) == nil {
		t.Fatal("an invalid SARIF log validated")
	}
}

func TestGitHubEscapes(t *testing.T) {
	t.Parallel()
	if got := ghData("50% done\r\nnext"); got != "50%25 done%0D%0Anext" {
		t.Errorf("data: %q", got)
	}
	if got := ghProperty("a:b,c"); got != "a%3Ab%2Cc" {
		t.Errorf("property: %q", got)
	}
}
