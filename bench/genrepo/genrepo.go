// Package genrepo lays out a synthetic nix-secrets repository for the
// benchmarks: a .sops.yaml with anchored age keys under keys: hosts/users,
// a shared creation rule and one rule per host, and N secrets files spread
// over sops/shared/ and sops/<host>/, each encrypted for every recipient.
//
// It does not import the sops library: the caller passes the function that
// encrypts (sopsfile.Encrypt in bench/gen and in internal/sopsfile's
// benchmarks, a stand-in in the benchmarks of packages that must build
// without sops). FakeBackend answers repo.Backend from the layout, for
// benchmarks that measure keycycle's own work without the library's.
package genrepo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/repo"
)

// Key is one recipient of the repository.
type Key struct {
	// Name is the YAML anchor, e.g. "host07" or "admin".
	Name string
	// Kind is "hosts" or "users": the list under keys: that holds it.
	Kind     string
	Identity *age.X25519Identity
	// recipient caches Identity.Recipient().String(), a scalar
	// multiplication.
	recipient string
}

// Recipient returns the key's age1… recipient.
func (k Key) Recipient() string { return k.recipient }

// File is one secrets file to write.
type File struct {
	// Rel is the slash-separated path from the repository root.
	Rel string
	// Rule is the index of the creation rule that matches Rel.
	Rule int
	// Plain is the plaintext YAML.
	Plain []byte
	// Recipients are the age recipients the file is encrypted for, in
	// the rule's order.
	Recipients []string
}

// Rule is one creation rule.
type Rule struct {
	PathRegex string
	// Keys are indexes into Layout.Keys, in the order the rule lists them.
	Keys []int
}

// Layout is a whole repository, not yet written.
type Layout struct {
	Keys  []Key
	Rules []Rule
	Files []File
}

// users is how many of the recipients are people's keys; the rest are
// hosts. Two users (an admin's workstation key and an offline backup key)
// is the usual nix-secrets shape.
func users(recipients int) int {
	if recipients < 3 {
		return 1
	}
	return 2
}

// New lays out files secrets files, each encrypted for all recipients
// keys. Names and plaintext values are deterministic in seed; the age keys
// are fresh random ones.
func New(files, recipients int, seed uint64) (*Layout, error) {
	if files < 0 || recipients < 1 {
		return nil, errors.New("genrepo: need files >= 0 and recipients >= 1")
	}
	l := &Layout{}
	nu := users(recipients)
	nh := recipients - nu
	for i := 0; i < nh; i++ {
		if err := l.addKey(fmt.Sprintf("host%02d", i+1), "hosts"); err != nil {
			return nil, err
		}
	}
	for i := 0; i < nu; i++ {
		name := "admin"
		if i == 1 {
			name = "backup"
		} else if i > 1 {
			name = fmt.Sprintf("user%02d", i+1)
		}
		if err := l.addKey(name, "users"); err != nil {
			return nil, err
		}
	}
	// Rule 0: sops/shared/…, users first, then every host. Rule 1+h: the
	// host's own folder, the host first, then the users, then the other
	// hosts, so every file has all recipients (what the benchmark asks:
	// files × recipients), while the config still has one rule per host,
	// as sops-nix repositories do.
	all := make([]int, 0, recipients)
	for i := nh; i < recipients; i++ {
		all = append(all, i)
	}
	for i := 0; i < nh; i++ {
		all = append(all, i)
	}
	l.Rules = append(l.Rules, Rule{PathRegex: `sops/shared/[^/]+\.yaml$`, Keys: all})
	for h := 0; h < nh; h++ {
		keys := []int{h}
		for _, k := range all {
			if k != h {
				keys = append(keys, k)
			}
		}
		l.Rules = append(l.Rules, Rule{PathRegex: `sops/` + l.Keys[h].Name + `/[^/]+\.yaml$`, Keys: keys})
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := 0; i < files; i++ {
		rule := i % len(l.Rules)
		folder := "shared"
		if rule > 0 {
			folder = l.Keys[rule-1].Name
		}
		f := File{
			Rel:   fmt.Sprintf("sops/%s/secrets-%05d.yaml", folder, i+1),
			Rule:  rule,
			Plain: plaintext(rng, i),
		}
		for _, k := range l.Rules[rule].Keys {
			f.Recipients = append(f.Recipients, l.Keys[k].Recipient())
		}
		l.Files = append(l.Files, f)
	}
	return l, nil
}

// PlantDrift makes every n-th file (n > 0) drift from its rule, as a
// forgotten 'sops updatekeys' leaves it: encrypted without the rule's last
// recipient and for a key .sops.yaml does not list. It returns how many
// files it changed.
func (l *Layout) PlantDrift(n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	stranger, err := age.GenerateX25519Identity()
	if err != nil {
		return 0, err
	}
	changed := 0
	for i := n - 1; i < len(l.Files); i += n {
		f := &l.Files[i]
		f.Recipients = append(f.Recipients[:len(f.Recipients)-1:len(f.Recipients)-1], stranger.Recipient().String())
		changed++
	}
	return changed, nil
}

func (l *Layout) addKey(name, kind string) error {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	l.Keys = append(l.Keys, Key{Name: name, Kind: kind, Identity: id, recipient: id.Recipient().String()})
	return nil
}

// plaintext is a handful of secrets as sops-nix files hold them: a few
// nested maps, password hashes, tokens, a WireGuard key, a list.
func plaintext(rng *rand.Rand, i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "passwords:\n    root: %s\n    user%d: %s\n", token(rng, 40), i%7, token(rng, 40))
	fmt.Fprintf(&b, "wireguard:\n    private_key: %s=\n", token(rng, 43))
	fmt.Fprintf(&b, "service%03d:\n    api_token: %s\n    client_id: client-%d\n", i%1000, token(rng, 32), rng.IntN(100000))
	if i%3 == 0 {
		fmt.Fprintf(&b, "smtp:\n    host: mail.example.org\n    password: %s\n", token(rng, 24))
	}
	if i%4 == 0 {
		fmt.Fprintf(&b, "backup_keys:\n    - %s\n    - %s\n", token(rng, 32), token(rng, 32))
	}
	return []byte(b.String())
}

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func token(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// Config returns the .sops.yaml text.
func (l *Layout) Config() []byte {
	var b strings.Builder
	b.WriteString("# generated by bench/gen: a nix-secrets-like repository for benchmarks\nkeys:\n")
	for _, kind := range []string{"hosts", "users"} {
		fmt.Fprintf(&b, "  %s:\n", kind)
		for _, k := range l.Keys {
			if k.Kind == kind {
				fmt.Fprintf(&b, "    - &%s %s\n", k.Name, k.Recipient())
			}
		}
	}
	b.WriteString("creation_rules:\n")
	for _, r := range l.Rules {
		fmt.Fprintf(&b, "  - path_regex: %s\n    key_groups:\n      - age:\n", r.PathRegex)
		for _, k := range r.Keys {
			fmt.Fprintf(&b, "          - *%s\n", l.Keys[k].Name)
		}
	}
	return []byte(b.String())
}

// Identities returns the private keys in age's key file format (what
// SOPS_AGE_KEY_FILE points to).
func (l *Layout) Identities() []byte {
	var b strings.Builder
	for _, k := range l.Keys {
		fmt.Fprintf(&b, "# %s (%s)\n# public key: %s\n%s\n", k.Name, k.Kind, k.Recipient(), k.Identity.String())
	}
	return []byte(b.String())
}

// EncryptFunc encrypts plain, the content of the file at path, for
// recipients (one key group).
type EncryptFunc func(path string, plain []byte, recipients []string) ([]byte, error)

// Write writes the repository into dir, which must be missing or empty:
// .sops.yaml, README.md and flake.nix (never candidates), identities
// (0600), and every file encrypted with enc by jobs goroutines (0: one per
// CPU).
func (l *Layout) Write(dir string, enc EncryptFunc, jobs int) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), l.Config(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "identities"), l.Identities(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# secrets (generated for a benchmark)\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "flake.nix"), []byte("{ outputs = _: { }; }\n"), 0o644); err != nil {
		return err
	}
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	work := make(chan int)
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := l.writeFile(dir, i, enc); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range l.Files {
		work <- i
	}
	close(work)
	wg.Wait()
	return first
}

func (l *Layout) writeFile(dir string, i int, enc EncryptFunc) error {
	f := &l.Files[i]
	p := filepath.Join(dir, filepath.FromSlash(f.Rel))
	data, err := enc(p, f.Plain, f.Recipients)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Rel, err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// FakeEncrypt stands in for sops in benchmarks that must not compile the
// sops library: it writes the plaintext keys with ENC[…]-shaped values
// and a sops: block that lists the recipients, roughly the size of what
// sops writes (one armored age stanza per recipient).
func FakeEncrypt(path string, plain []byte, recipients []string) ([]byte, error) {
	const enc = "ENC[AES256_GCM,data:%s,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]"
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(plain), "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		indent := line[:len(line)-len(trimmed)]
		if item, ok := strings.CutPrefix(trimmed, "- "); ok {
			fmt.Fprintf(&b, "%s- "+enc+"\n", indent, item)
		} else if k, v, ok := strings.Cut(line, ": "); ok {
			fmt.Fprintf(&b, "%s: "+enc+"\n", k, v)
		} else {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("sops:\n    age:\n")
	for _, r := range recipients {
		fmt.Fprintf(&b, "        - recipient: %s\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n", r)
		for j := 0; j < 5; j++ {
			b.WriteString("            " + strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", 2) + "\n")
		}
		b.WriteString("            -----END AGE ENCRYPTED FILE-----\n")
	}
	b.WriteString("    lastmodified: \"2026-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n    unencrypted_suffix: _unencrypted\n    version: 3.13.3\n")
	return []byte(b.String()), nil
}

// FakeBackend answers repo.Backend from the layout, without reading the
// bytes it is given: what the real backend would find in the files
// FakeEncrypt (or sops) wrote. It measures repo.Load's own cost.
type FakeBackend struct {
	files  map[string]*repo.File
	wanted map[string]*repo.Wanted
}

// NewFakeBackend prepares the answers for the layout written in dir.
func (l *Layout) NewFakeBackend(dir string) (*FakeBackend, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fb := &FakeBackend{files: map[string]*repo.File{}, wanted: map[string]*repo.Wanted{}}
	for _, f := range l.Files {
		p := filepath.Join(abs, filepath.FromSlash(f.Rel))
		keys := make([]repo.MasterKey, 0, len(f.Recipients))
		for _, r := range f.Recipients {
			keys = append(keys, repo.MasterKey{Type: "age", ID: r})
		}
		var secrets []repo.Secret
		for _, line := range strings.Split(string(f.Plain), "\n") {
			if k, _, ok := strings.Cut(strings.TrimSpace(line), ": "); ok {
				secrets = append(secrets, repo.Secret{Path: []string{k}, Encrypted: true, ShouldEncrypt: true})
			}
		}
		fb.files[p] = &repo.File{Path: p, Format: repo.FormatYAML, Secrets: secrets,
			Meta: repo.Metadata{Groups: [][]repo.MasterKey{keys}, HasMAC: true, Version: "3.13.3", UnencryptedSuffix: "_unencrypted"}}
		want := make([]repo.MasterKey, 0, len(l.Rules[f.Rule].Keys))
		for _, k := range l.Rules[f.Rule].Keys {
			want = append(want, repo.MasterKey{Type: "age", ID: l.Keys[k].Recipient()})
		}
		fb.wanted[p] = &repo.Wanted{Groups: [][]repo.MasterKey{want}}
	}
	return fb, nil
}

// ParseFile implements repo.Backend.
func (fb *FakeBackend) ParseFile(path string, data []byte) (*repo.File, error) {
	if f, ok := fb.files[path]; ok {
		return f, nil
	}
	return nil, repo.ErrNoMetadata
}

// Wanted implements repo.Backend.
func (fb *FakeBackend) Wanted(configPath, file string) (*repo.Wanted, error) {
	if w, ok := fb.wanted[file]; ok {
		return w, nil
	}
	return nil, repo.ErrNoRule
}

var _ repo.Backend = (*FakeBackend)(nil)
