package repo

import (
	"reflect"
	"testing"
)

func sampleFile(mac string) *File {
	return &File{Path: "/r/sops/a.yaml", Format: FormatYAML,
		Meta: Metadata{Groups: [][]MasterKey{{{Type: "age", ID: "age1aaa"}, {Type: "age", ID: "age1bbb"}}},
			MAC: mac, Version: "3.13.3", UnencryptedSuffix: "_unencrypted"},
		Secrets: []Secret{{Path: []string{"passwords", "root"}, Encrypted: true, ShouldEncrypt: true},
			{Path: []string{"list", "0"}, ShouldEncrypt: true}}}
}

// TestCompactorKeepsContentSharesRepeats: a compacted file equals the
// one parsed, and two files with the same recipients and secret names
// share one copy of them.
func TestCompactorKeepsContentSharesRepeats(t *testing.T) {
	c := newCompactor()
	a, b := c.file(sampleFile("m1")), c.file(sampleFile("m2"))
	if want := sampleFile("m1"); !reflect.DeepEqual(a, want) {
		t.Fatalf("compacted %+v, want %+v", a, want)
	}
	if &a.Meta.Groups[0][0] != &b.Meta.Groups[0][0] {
		t.Error("the key groups of two files with the same recipients are not shared")
	}
	if &a.Secrets[0].Path[0] != &b.Secrets[0].Path[0] {
		t.Error("the same secret path in two files is not shared")
	}
	other := sampleFile("m3")
	other.Meta.Groups[0][1].ID = "age1ccc"
	if o := c.file(other); o.Meta.Groups[0][1].ID != "age1ccc" || &o.Meta.Groups[0][0] == &a.Meta.Groups[0][0] {
		t.Error("different recipients were shared")
	}
	if c.file(nil) != nil {
		t.Error("nil file")
	}
}
