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

// notTheRepository lists the command files that write, and what: none of
// them writes into a secrets repository.
var notTheRepository = map[string]string{
	"hostkeys.go":  "host add --new-ssh-key: the key pair in the folder given (outside the repository)",
	"hostunits.go": "host units: systemd unit files on the host",
	"man.go":       "man DIR: manual pages in the folder given",
}

// TestCommandsWriteThroughThePipeline keeps every write to a repository
// in internal/pipeline (and the packages it drives), where dry runs,
// the lock, the intent record and the audit log are applied to all of
// them: a command file that writes by itself fails this test.
func TestCommandsWriteThroughThePipeline(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
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
				t.Errorf("%s:%d: %s writes without the pipeline; give the change to session.apply or session.record", f, i+1, strings.TrimSuffix(m, "("))
			}
		}
	}
}
