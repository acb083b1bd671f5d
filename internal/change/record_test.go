package change

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"

	"filippo.io/age"
)

// TestApplyLeavesALaterEditAlone: a file another tool (sops edit) changes
// while Apply is writing the files before it is not overwritten: its
// replace is refused right before the rename, and the record of the
// change then finishes the rest and lists that file as skipped.
func TestApplyLeavesALaterEditAlone(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^s/`, a)))
	for _, rel := range []string{"s/1.yaml", "s/2.yaml", "s/3.yaml"} {
		r.secret(rel, plainA, a)
	}
	p, err := r.prepare(r.request(config(rule(`^s/`, a, b)), a))
	if err != nil {
		t.Fatal(err)
	}
	edited := r.secret("s/x.yaml", "db:\n    password: edited\ntoken: by-hand\n", a)
	p.written = func(rel string) {
		if rel == "s/1.yaml" {
			r.write("s/3.yaml", edited, 0o644) // sops edit, meanwhile
		}
	}
	err = p.Apply()
	if !errors.Is(err, ErrChangedMeanwhile) {
		t.Fatalf("Apply: %v, want ErrChangedMeanwhile for s/3.yaml", err)
	}
	if string(r.read("s/3.yaml")) != string(edited) {
		t.Fatal("s/3.yaml: the other tool's edit was overwritten")
	}
	r.mustOpen("s/1.yaml", b, plainA)
	r.mustOpen("s/2.yaml", b, plainA)

	// The record survives JSON (it is kept in .keycycle/intent.json) and
	// finishes: s/3.yaml is rekeyed from what the other tool wrote, its
	// values kept.
	data, err := json.Marshal(p.Record())
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	fin, err := Finish(r.cfg, &rec, []age.Identity{a})
	if err != nil {
		t.Fatal(err)
	}
	if got := rels(fin); !slices.Equal(got, []string{"rekey s/3.yaml"}) || len(fin.Skipped) != 0 {
		t.Fatalf("Finish: files %v skipped %v, want s/3.yaml rekeyed", got, fin.Skipped)
	}
	if err := fin.Apply(); err != nil {
		t.Fatal(err)
	}
	r.mustOpen("s/3.yaml", b, "db:\n    password: edited\ntoken: by-hand\n")
}

// TestFinishCompletesAnInterruptedChange: a change stopped after its
// config and some files are written is finished from its record alone:
// the files still at their old bytes are rekeyed (a revoked key's files
// with new data keys), the created file appears as planned, the deleted
// one goes; no plaintext is in the record.
func TestFinishCompletesAnInterruptedChange(t *testing.T) {
	r, a, b, req, _ := failingRepo(t)
	req.RotateFor = nil
	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	p.written = func(string) {
		if n++; n == 2 {
			panic(stop)
		}
	}
	func() {
		defer func() {
			if v := recover(); v != stop {
				panic(v)
			}
		}()
		_ = p.Apply()
	}()
	rec := p.Record()
	data, _ := json.Marshal(rec)
	if bytes.Contains(data, []byte("hunter2")) {
		t.Fatal("the record holds plaintext")
	}
	fin, err := Finish(r.cfg, rec, []age.Identity{a})
	if err != nil {
		t.Fatal(err)
	}
	if len(fin.Files) == 0 {
		t.Fatal("Finish planned nothing")
	}
	if err := fin.Apply(); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"a/x.yaml", "b/x.yaml", "c/x.yaml", "bb/new.yaml"} {
		r.mustOpen(rel, b, plainA)
	}
	if _, err := os.Stat(r.abs("b/old.yaml")); err == nil {
		t.Error("b/old.yaml was not deleted")
	}
	again, err := Finish(r.cfg, rec, []age.Identity{a})
	if err != nil || len(again.Files) != 0 {
		t.Fatalf("a second Finish: %v, %v; want nothing left", err, rels(again))
	}
}
