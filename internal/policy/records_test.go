package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

func TestRecordsNeedTheFiles(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if data, err := RecordKeys(root, []Key{{Name: "a", Recipient: "age1a"}}, nil, now); data != nil || err != nil {
		t.Errorf("RecordKeys without keys.yaml = %q, %v; want nothing", data, err)
	}
	if data, err := RecordReplaced(root, "age1a", Key{Name: "a", Recipient: "age1b"}, now); data != nil || err != nil {
		t.Errorf("RecordReplaced without keys.yaml = %q, %v; want nothing", data, err)
	}
	if data, err := UpdateHosts(root, "h", true, HostEdit{}); data != nil || err != nil {
		t.Errorf("UpdateHosts without keycycle.yaml = %q, %v; want nothing", data, err)
	}
	if _, err := UpdateHosts(root, "h", true, HostEdit{Role: "server"}); err == nil || textutil.HintOf(err) == "" {
		t.Errorf("UpdateHosts --role without keycycle.yaml: %v, want an error with a hint", err)
	}
}

func TestRecordKeysAndHosts(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".keycycle"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, KeysFile), []byte("keys:\n  - name: a\n    recipient: age1a\n    created: 2024-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ConfigFile), []byte(editSeed), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	data, err := RecordKeys(root, []Key{{Name: "b", Recipient: "age1b", Kind: KindUser}}, []string{"age1a"}, now)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys(KeysFile, data)
	if err != nil {
		t.Fatal(err)
	}
	a, b := keys.ByRecipient("age1a"), keys.ByRecipient("age1b")
	if a == nil || a.Retired == nil || !a.Retired.Equal(now.Truncate(time.Second)) || b == nil || b.Created == nil || !b.Created.Equal(now.Truncate(time.Second)) {
		t.Errorf("RecordKeys wrote:\n%s", data)
	}
	data, err = RecordReplaced(root, "age1a", Key{Name: "a", Recipient: "age1c"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if keys, err = ParseKeys(KeysFile, data); err != nil {
		t.Fatal(err)
	}
	if a, c := keys.ByRecipient("age1a"), keys.ByRecipient("age1c"); a == nil || a.Retired == nil || a.ReplacedBy != "a" || c == nil || c.Created == nil {
		t.Errorf("RecordReplaced wrote:\n%s", data)
	}
	if _, err := UpdateHosts(root, "new", true, HostEdit{Role: "nosuch"}); err == nil || !strings.Contains(textutil.HintOf(err), "server") {
		t.Errorf("an unknown role: %v (hint %q), want a hint naming the roles", err, textutil.HintOf(err))
	}
	out, err := UpdateHosts(root, "malphas", false, HostEdit{})
	if err != nil || out == nil || strings.Contains(string(out), "malphas:") {
		t.Errorf("removing malphas: %v\n%s", err, out)
	}
}
