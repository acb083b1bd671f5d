package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// TestSchemaAgrees validates the seed example against the JSON Schema
// shipped for editors, and checks that the schema rejects what the
// parser rejects on a few typical mistakes.
func TestSchemaAgrees(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile("../../docs/schema/keycycle.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	valid := func(doc string) bool {
		var v any
		if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		return sch.Validate(v) == nil
	}
	seed, err := os.ReadFile("testdata/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !valid(string(seed)) {
		var v any
		_ = yaml.Unmarshal(seed, &v)
		t.Fatalf("seed example does not validate: %v", sch.Validate(v))
	}
	for _, bad := range []string{
		"hostz: {}\n",
		"vcs: svn\n",
		"policy: {max_age: {host: 3 months}}\n",
		"categories: {c: {secrets: {/x: shared}}}\n",
		"categories: {c: {secrets: {x: ../y}}}\n",
		"hosts: {a: {role: [vm]}}\n",
		"generators: {a: pasword}\n",
		"generators: {a: {kind: password, bytes: 3}}\n",
		"generators: {a: {kind: command}}\n",
		"generators: {a: {kind: hex, bytes: 0}}\n",
	} {
		if valid(bad) {
			t.Errorf("schema accepts %q", strings.TrimSpace(bad))
		}
		if _, err := ParseConfig("k.yaml", []byte(bad)); err == nil {
			t.Errorf("parser accepts %q", strings.TrimSpace(bad))
		}
	}
}
