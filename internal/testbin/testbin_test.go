package testbin

import (
	"os/exec"
	"strings"
	"testing"
)

// TestKeycycleIsBuiltOnceAndRuns: the path is the same on a second ask
// (one build per test binary), it runs, and flags make another program
// (the failpoint build is not the plain one).
func TestKeycycleIsBuiltOnceAndRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("links keycycle when the build cache does not hold it")
	}
	plain, err := Keycycle()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Keycycle()
	if err != nil || again != plain {
		t.Fatalf("second Keycycle: %q, %v; want %q", again, err, plain)
	}
	out, err := exec.Command(plain, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "keycycle") {
		t.Fatalf("%s --version: %v\n%s", plain, err, out)
	}
	fp, err := Keycycle("-tags", "failpoints")
	if err != nil {
		t.Fatal(err)
	}
	if fp == plain {
		t.Fatalf("the failpoint build is the plain one: %s", fp)
	}
	if _, err := Build("./cmd/no-such-program"); err == nil {
		t.Fatal("Build of a missing package: no error")
	}
}
