//go:build !failpoints

// Package failpoint marks the places where crash tests kill keycycle.
//
// In a normal build Hit does nothing and costs nothing. A binary built
// with 'go build -tags failpoints' reads KEYCYCLE_FAILPOINT=NAME:N and
// kills itself with SIGKILL at the Nth Hit(NAME), so that a test can stop
// the operator at an exact point (between two file writes of a rekey,
// right after a journal save) instead of at a random moment. Release
// builds never carry the hook.
package failpoint

// Hit marks the failpoint name; it does nothing in this build.
func Hit(name string) {}
