package check

import (
	"os"
	"strings"
	"testing"
)

// TestEveryKindDocumented keeps docs/checks.md in step with Kinds().
func TestEveryKindDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds() {
		row := "| " + k.ID + " | " + k.Name + " | " + string(k.Severity) + " |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/checks.md has no row starting %q", row)
		}
	}
}
