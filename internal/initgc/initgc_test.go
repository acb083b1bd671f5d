package initgc

import (
	"runtime/debug"
	"testing"
)

func TestPercent(t *testing.T) {
	for in, want := range map[string]int{"": 100, "off": -1, "50": 50, "400": 400, "junk": 100, "OFF": 100} {
		if got := Percent(in); got != want {
			t.Errorf("Percent(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestRestore: the collector is off from init until Restore, which sets
// what GOGC asks.
func TestRestore(t *testing.T) {
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("before Restore the collector's target is %d, want -1 (off since init)", got)
	}
	t.Setenv("GOGC", "70")
	Restore()
	if got := debug.SetGCPercent(100); got != 70 {
		t.Fatalf("after Restore with GOGC=70 the target is %d", got)
	}
	t.Setenv("GOGC", "")
	Restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after Restore with GOGC unset the target is %d", got)
	}
}
