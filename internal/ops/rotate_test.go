package ops

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/textutil"
)

// A dry run of the rotation operations plans and says what it would do,
// and writes nothing.
func TestRotationDryRuns(t *testing.T) {
	l := demoRepo(t)
	before := tree(t, l.Dir)
	var out bytes.Buffer
	o := Options{Repo: l.Dir, DryRun: true, Command: "keycycle rotate start griefling", Stdout: &out}
	if err := RotateStart(context.Background(), o, rotation.Start{Key: "griefling", Remote: rotation.Remote{Local: true}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), ": &griefling on griefling (local), 2 file(s): [sops/griefling.yaml sops/shared.yaml]") ||
		!strings.HasSuffix(out.String(), "dry run: nothing written\n") {
		t.Errorf("rotate start --dry-run said:\n%s", out.String())
	}
	err := RotateResume(context.Background(), o, RotateRequest{})
	if err == nil || !strings.Contains(err.Error(), "no rotation is open") || !strings.Contains(textutil.HintOf(err), "rotate status") {
		t.Errorf("resume with none open: %v (hint %q)", err, textutil.HintOf(err))
	}
	_, err = RotateDue(context.Background(), o, DueRequest{MaxParallel: 1})
	if err == nil || !strings.Contains(textutil.HintOf(err), "max_age") {
		t.Errorf("rotate due without a policy: %v (hint %q)", err, textutil.HintOf(err))
	}
	if _, err := RotateDue(context.Background(), o, DueRequest{}); err == nil || !strings.Contains(textutil.HintOf(err), "--max-parallel 1") {
		t.Errorf("rotate due --max-parallel 0: %v", err)
	}
	if list, err := Rotations(l.Dir, true); err != nil || len(list) != 0 {
		t.Errorf("Rotations = %v, %v; want none", list, err)
	}
	if after := tree(t, l.Dir); !reflect.DeepEqual(before, after) {
		t.Error("a dry run changed the repository")
	}
}
