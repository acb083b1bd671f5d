package rotation_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/textutil"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, ".sops.yaml")
	err := os.WriteFile(cfgPath, []byte(`keys:
  - &admins:
    - &rose age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq
  - &hosts:
    - &griefling age1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz
  - &bob_griefling age1yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
creation_rules:
  - path_regex: sops/griefling\.yaml$
    key_groups:
      - age: [*rose, *griefling, *bob_griefling]
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rotation.Resolve(cfgPath, rotation.Start{Key: "griefling"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Kind != rotation.KindHost || st.Host != "griefling" || st.KeyFile != hostcheck.DefaultKeyFile ||
		st.Remote.SSH != "griefling" || st.Remote.Binary != "keycycle" || st.Now.IsZero() {
		t.Errorf("host key: %+v", st)
	}
	st, err = rotation.Resolve(cfgPath, rotation.Start{Key: "bob_griefling", Remote: rotation.Remote{SSH: "admin@griefling"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Kind != rotation.KindUser || st.Host != "griefling" || st.KeyFile != "/home/bob/"+hostcheck.UserKeyPath ||
		st.HostFile != "sops/griefling.yaml" || st.Remote.SSH != "admin@griefling" || st.User != "bob" {
		t.Errorf("user key: %+v", st)
	}
	// A key file the operator names is not asked of the host.
	st, err = rotation.Resolve(cfgPath, rotation.Start{Key: "bob_griefling", KeyFile: "/srv/bob/keys.txt"})
	if err != nil || st.KeyFile != "/srv/bob/keys.txt" || st.User != "" {
		t.Errorf("user key with --key-file: %+v, %v", st, err)
	}
	_, err = rotation.Resolve(cfgPath, rotation.Start{Key: "nope"})
	if err == nil || textutil.HintOf(err) == "" {
		t.Errorf("unknown key: %v (hint %q), want an error with a hint", err, textutil.HintOf(err))
	}
}
