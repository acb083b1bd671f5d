package configedit

import (
	"bytes"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// SetValue replaces the value of the key &name (an anchor under keys:)
// by value, in place on the anchor's own line: the anchor name, its
// comments and every alias stay as they are, so every rule that lists
// *name now lists the new key. It returns ErrAlreadyPresent when &name
// holds value already, and refuses (ErrUnsupported) when a rule lists the
// old value without the alias (that rule would keep the old key), when
// the value is not written on the anchor's line, or when value is the
// value of another anchor.
func (e *Editor) SetValue(name, value string) error {
	if err := checkValue(value); err != nil {
		return e.fail(ErrInvalid, 0, "%v", err)
	}
	a, ok := e.cfg.AnchorByName(name)
	if !ok {
		if _, _, err := e.anchorValue(name); err != nil {
			return err
		}
		return e.byHand(0, "&%s is not defined under keys:", name)
	}
	old := a.Value
	if old == value {
		return e.fail(ErrAlreadyPresent, a.Pos.Line, "&%s is %s already", name, value)
	}
	if b, ok := e.cfg.AnchorByValue(value); ok {
		return e.fail(ErrInvalid, b.Pos.Line, "%s is the key &%s already", value, b.Name)
	}
	if err := e.literalUses(a); err != nil {
		return err
	}
	p, err := e.newPlan()
	if err != nil {
		return err
	}
	defs := p.t.anchored(name)
	if len(defs) != 1 || defs[0].Kind != yaml.ScalarNode {
		return e.byHand(a.Pos.Line, "&%s is defined %d times or is not one key", name, len(defs))
	}
	n := defs[0]
	line := n.Line - 1
	if line < 0 || line >= p.x.n() || bytes.Count([]byte(p.x.body(line)), []byte(old)) != 1 ||
		(n.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) != 0 {
		return e.byHand(a.Pos.Line, "the value of &%s is not written once on its line", name)
	}
	if !readsBack(value, value, p.t.inFlow(n)) || bytes.ContainsAny([]byte(value), `'"\\`) {
		return e.fail(ErrInvalid, a.Pos.Line, "%s cannot take the place of %s as it is written", value, old)
	}
	at := p.x.off(line) + bytes.Index([]byte(p.x.body(line)), []byte(old))
	p.ed.replace(at, at+len(old), value)
	n.Value = value
	want := semOf(e.cfg).clone()
	want.swapAnchor(name, old, value)
	return e.commit(p, checkSem(want))
}

// literalUses refuses a rule that lists the anchor's value other than
// through it: by the alias, or as an item of an aliased group that holds
// the anchor (the key's position is then the anchor's own).
func (e *Editor) literalUses(a sopsconfig.Anchor) error {
	for _, r := range e.cfg.Rules {
		for _, g := range r.KeyGroups {
			for _, k := range g.Keys {
				if k.Value == a.Value && k.Alias != a.Name && k.Pos != a.Pos {
					return e.byHand(k.Pos.Line, "this rule lists the key of &%s without the alias: write it as *%s first", a.Name, a.Name)
				}
			}
		}
	}
	return nil
}

// swapAnchor gives the anchor name the value new, and every key reached
// through it, in rules and anchored groups: every key of value old, since
// literalUses made sure each is reached through the anchor.
func (s *cfgSem) swapAnchor(name, old, new string) {
	for i := range s.Anchors {
		if s.Anchors[i].Name == name {
			s.Anchors[i].Value = new
		}
	}
	for i := range s.Groups {
		for j, v := range s.Groups[i].Values {
			if v == old {
				s.Groups[i].Values[j] = new
			}
		}
	}
	for i := range s.Rules {
		for g := range s.Rules[i].Groups {
			for k, key := range s.Rules[i].Groups[g] {
				if key.Alias == name || key.Value == old {
					s.Rules[i].Groups[g][k].Value = new
				}
			}
		}
	}
}
