package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeCall is a call that writes to a file system.
var writeCall = regexp.MustCompile(`\b(os\.(WriteFile|Create|CreateTemp|Remove|RemoveAll|Rename|OpenFile|Mkdir|MkdirAll|MkdirTemp|Chmod|Symlink|Link|Truncate)|fsutil\.\w+|audit\.Append|lock\.Acquire\w*)\(`)

// notTheRepository lists the command and operation files that write, and
// what: none of them writes into a secrets repository.
var notTheRepository = map[string]string{
	"hostunits.go":   "host units: systemd unit files on the host",
	"man.go":         "man DIR: manual pages in the folder given",
	"../ops/demo.go": "the demo's rotation: the stand-in host folder of the demo repository",
}

// TestCommandsWriteThroughThePipeline keeps every write to a repository
// in internal/pipeline (and the packages it drives), where dry runs,
// the lock, the intent record and the audit log are applied to all of
// them: a command file (internal/cli) or an operation (internal/ops)
// that writes by itself fails this test.
func TestCommandsWriteThroughThePipeline(t *testing.T) {
	var files []string
	for _, glob := range []string{"*.go", "../ops/*.go"} {
		m, err := filepath.Glob(glob)
		if err != nil || len(m) == 0 {
			t.Fatalf("%s: %v (no files)", glob, err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || notTheRepository[f] != "" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := writeCall.FindString(line); m != "" {
				t.Errorf("%s:%d: %s writes without the pipeline; give the change to ops.Session.Change (or Log, for one without a plan)", f, i+1, strings.TrimSuffix(m, "("))
			}
		}
	}
}
