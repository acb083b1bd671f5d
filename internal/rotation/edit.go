package rotation

import (
	"errors"
	"fmt"

	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// addBeside returns the config with the new key as &Temp beside &Key in
// every rule that lists *Key; unchanged when it is there already.
func addBeside(path string, data []byte, j *Journal) ([]byte, error) {
	ed, err := configedit.New(path, data)
	if err != nil {
		return nil, err
	}
	cfg := ed.Config()
	if a, ok := cfg.AnchorByName(j.Temp); ok && a.Value == j.New {
		return data, nil
	}
	if err := checkAnchor(cfg, j.Key, j.Old); err != nil {
		return nil, err
	}
	if err := ed.AddKey(j.Group, j.Temp, j.New); err != nil {
		return nil, err
	}
	for i, r := range cfg.Rules {
		if r.Lists(j.Key) {
			if err := ed.AddAlias(i, j.Temp); err != nil && !errors.Is(err, configedit.ErrAlreadyPresent) {
				return nil, err
			}
		}
	}
	return ed.Bytes(), nil
}

// withoutTemp returns the config without &Temp and its aliases (the state
// before addBeside); unchanged when it is not there.
func withoutTemp(path string, data []byte, j *Journal) ([]byte, error) {
	ed, err := configedit.New(path, data)
	if err != nil {
		return nil, err
	}
	if _, ok := ed.Config().AnchorByName(j.Temp); !ok {
		return data, nil
	}
	if err := ed.RemoveKey(j.Temp); err != nil {
		return nil, err
	}
	return ed.Bytes(), nil
}

// replaceOld returns the config with &Temp gone and &Key's value the new
// recipient: every rule lists the same anchors as before the rotation,
// and the old key nowhere.
func replaceOld(path string, data []byte, j *Journal) ([]byte, error) {
	data, err := withoutTemp(path, data, j)
	if err != nil {
		return nil, err
	}
	return swapValue(path, data, j.Key, j.Old, j.New)
}

// checkAnchor makes sure &name holds want and that no rule lists want
// other than through the anchor (such a rule would keep the old key).
func checkAnchor(cfg *sopsconfig.Config, name, want string) error {
	a, ok := cfg.AnchorByName(name)
	if !ok {
		return fmt.Errorf("no key &%s in .sops.yaml", name)
	}
	if a.Value != want {
		return fmt.Errorf("&%s is %s now, not %s: .sops.yaml changed under the rotation", name, a.Value, want)
	}
	for _, r := range cfg.Rules {
		for _, g := range r.KeyGroups {
			for _, k := range g.Keys {
				if k.Value == want && k.Alias != name {
					return fmt.Errorf(".sops.yaml line %d lists the key without the alias *%s: write it as *%s first", r.Pos.Line, name, name)
				}
			}
		}
	}
	return nil
}

// swapValue replaces the value of &name, old, by new, on the anchor's
// own line (configedit.SetValue, which proves the result: &name is new,
// every other anchor and every rule's keys as before with old read as
// new). Anything else is refused.
func swapValue(path string, data []byte, name, old, new string) ([]byte, error) {
	ed, err := configedit.New(path, data)
	if err != nil {
		return nil, err
	}
	a, ok := ed.Config().AnchorByName(name)
	if !ok {
		return nil, fmt.Errorf("no key &%s in .sops.yaml", name)
	}
	if a.Value == new {
		return data, nil
	}
	if err := checkAnchor(ed.Config(), name, old); err != nil {
		return nil, err
	}
	if err := ed.SetValue(name, new); err != nil {
		return nil, fmt.Errorf("%v; replace %s by %s by hand, then resume", err, old, new)
	}
	return ed.Bytes(), nil
}
