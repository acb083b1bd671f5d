package hostcheck

import (
	"testing"
	"time"
)

// Checks is what Run runs: every ID and name, in order.
func TestChecksListsWhatRunRuns(t *testing.T) {
	rep, err := Run(Options{Root: t.TempDir(), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	want := Checks()
	if len(rep.Results) != len(want) {
		t.Fatalf("Run gave %d results, Checks lists %d", len(rep.Results), len(want))
	}
	for i, r := range rep.Results {
		if r.ID != want[i].ID || r.Name != want[i].Name {
			t.Errorf("result %d is %s %s, Checks says %s %s", i, r.ID, r.Name, want[i].ID, want[i].Name)
		}
	}
}
