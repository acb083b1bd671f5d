package audit

import (
	"slices"
	"testing"
)

func TestRemovedRecipients(t *testing.T) {
	root := t.TempDir()
	if got := RemovedRecipients(root, "sorrow"); len(got) != 0 {
		t.Errorf("no log: %v", got)
	}
	for _, e := range []Entry{
		{Command: "keycycle host remove sorrow", Removed: []Recipient{{Name: "sorrow", Recipient: "age1old"}, {Name: "bob_sorrow", Recipient: "age1bob"}}},
		{Command: "keycycle host remove sorrow", Removed: []Recipient{{Name: "sorrow", Recipient: "age1new"}, {Name: "sorrow", Recipient: "age1old"}}},
	} {
		if err := Append(root, e); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := RemovedRecipients(root, "sorrow"), []string{"age1old", "age1new"}; !slices.Equal(got, want) {
		t.Errorf("RemovedRecipients = %v, want %v", got, want)
	}
}
