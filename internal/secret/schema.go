package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// Need is a secret the schema (keycycle.yaml's categories) declares and
// the repository lacks.
type Need struct {
	File     string `json:"file"`
	Path     string `json:"path"`
	Hosts    []string
	Category string `json:"category"`
	// Line is where the category lists it in keycycle.yaml.
	Line int `json:"line"`
	// Generator makes it; nil when none is declared (set it by hand).
	Generator *policy.Generator `json:"-"`
}

// Missing returns every declared secret that is not in its file, for
// every host (or the one named), once per file and path, with the hosts
// that need it. Only metadata is read: no key is needed. A file that does
// not exist lacks all its secrets (it is created under its rule).
func Missing(r *Repo, host string) ([]Need, error) {
	cfg := r.Policy
	if cfg == nil {
		return nil, errors.New("there is no keycycle.yaml: no secret is declared")
	}
	hosts := cfg.Hosts
	if host != "" {
		h := cfg.Host(host)
		if h == nil {
			return nil, fmt.Errorf("keycycle.yaml has no host %s", host)
		}
		hosts = []*policy.Host{h}
	}
	files := map[string]*repo.File{}
	read := func(rel string) (*repo.File, error) {
		if f, ok := files[rel]; ok {
			return f, nil
		}
		f, err := sopsfile.Read(r.Abs(rel))
		if errors.Is(err, fs.ErrNotExist) {
			f, err = &repo.File{Path: rel}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		files[rel] = f
		return f, nil
	}
	index := map[string]*Need{}
	var out []*Need
	for _, h := range hosts {
		for _, req := range cfg.Requirements(h) {
			f, err := read(req.File)
			if err != nil {
				return nil, err
			}
			if f.HasSecret(req.Path) {
				continue
			}
			k := req.File + "\x00" + req.Path
			if index[k] == nil {
				index[k] = &Need{File: req.File, Path: req.Path, Category: req.Category, Line: req.Pos.Line, Generator: cfg.Generator(req.Path)}
				out = append(out, index[k])
			}
			index[k].Hosts = append(index[k].Hosts, h.Name)
		}
	}
	covered := map[string]bool{}
	for _, n := range out {
		if n.Generator != nil && n.Generator.PublicSecret != "" {
			covered[n.File+"\x00"+n.Generator.PublicSecret] = true
		}
	}
	var needs []Need
	for _, n := range out {
		if covered[n.File+"\x00"+n.Path] {
			continue // the public half of a key made beside it
		}
		sort.Strings(n.Hosts)
		needs = append(needs, *n)
	}
	sort.SliceStable(needs, func(i, j int) bool {
		if needs[i].File != needs[j].File {
			return needs[i].File < needs[j].File
		}
		return needs[i].Path < needs[j].Path
	})
	return needs, nil
}
