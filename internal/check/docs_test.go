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

// TestKeyLine finds the line of the key itself, not of a longer key that
// contains its name.
func TestKeyLine(t *testing.T) {
	data := []byte("db_password: x\npasswords:\n  rain: y\ndb:\n  password: hunter2\n")
	if got := keyLine(data, "password"); got != 5 {
		t.Errorf("keyLine(password) = %d, want 5", got)
	}
	if got := keyLine([]byte(`{"a": {"password": "x"}}`), "password"); got != 1 {
		t.Errorf("JSON: %d, want 1", got)
	}
	if got := keyLine(data, "absent"); got != 0 {
		t.Errorf("absent: %d, want 0", got)
	}
}
