// Package initgc keeps the garbage collector off while a program's
// packages initialise, and Restore turns it back on as GOGC asks.
//
// keycycle links the sops library, and with it several hundred packages
// (cloud SDKs, protobuf descriptors) whose init functions allocate a few
// MiB: with the collector on, it runs during start-up for nothing, about
// a fifth of the CPU of `keycycle --version`. A program that imports this
// package must call Restore first thing in main (or TestMain): until
// then nothing is ever collected.
//
// Go initialises packages in import-path order among those whose imports
// are done, so this one (which needs only runtime/debug) runs before the
// heavy packages that wait on google.golang.org/protobuf and grpc.
package initgc

import (
	"os"
	"runtime/debug"
	"strconv"
)

func init() {
	debug.SetGCPercent(-1)
}

// Restore sets the collector's target back to what GOGC says (100 when
// unset, off for "off"), as the runtime read it at start.
func Restore() {
	debug.SetGCPercent(Percent(os.Getenv("GOGC")))
}

// Percent is the runtime's reading of a GOGC value: "off" is -1, a number
// is itself, anything else (unset included) is the default 100.
func Percent(gogc string) int {
	if gogc == "off" {
		return -1
	}
	if n, err := strconv.Atoi(gogc); err == nil {
		return n
	}
	return 100
}
