package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

func TestMergeKeys(t *testing.T) {
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	adopted := &Keys{Keys: []*Key{{Name: "a", Recipient: "age1a", Kind: KindHost, Created: &day}}}
	path := filepath.Join(t.TempDir(), "keys.yaml")
	data, state, err := MergeKeys(path, adopted, false)
	if err != nil || state != "written" {
		t.Fatalf("no file: %q, %v", state, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, state, err := MergeKeys(path, adopted, false); err != nil || state != "unchanged" {
		t.Errorf("same keys: %q, %v", state, err)
	}
	more := &Keys{Keys: append(adopted.Keys, &Key{Name: "b", Recipient: "age1b", Kind: KindUser})}
	if _, _, err := MergeKeys(path, more, false); err == nil || !strings.Contains(textutil.HintOf(err), "--force") {
		t.Errorf("differs without --force: %v, want a hint naming --force", err)
	}
	data, state, err = MergeKeys(path, more, true)
	if err != nil || state != "merged" || !strings.Contains(string(data), "age1b") {
		t.Errorf("--force: %q, %v\n%s", state, err, data)
	}
}

func TestSkeletonParses(t *testing.T) {
	keys := &Keys{Keys: []*Key{{Name: "griefling", Kind: KindHost}, {Name: "rain", Kind: KindAdmin}}}
	for _, grace := range []string{"", GraceLines(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), 3)} {
		cfg, err := ParseConfig(ConfigFile, Skeleton(keys, grace))
		if err != nil {
			t.Fatalf("grace %q: %v", grace, err)
		}
		if cfg.Host("griefling") == nil || cfg.Host("rain") != nil {
			t.Errorf("grace %q: hosts %v", grace, cfg.Hosts)
		}
		if (grace != "") != (cfg.Policy.EnforceFrom != nil) {
			t.Errorf("grace %q: enforce_from %v", grace, cfg.Policy.EnforceFrom)
		}
	}
}
