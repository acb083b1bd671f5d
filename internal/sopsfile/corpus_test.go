package sopsfile

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// corpus returns ../shared/corpus seen from the repository root, or skips.
func corpus(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s: skipping (CI always has it)", dir)
	}
	return dir
}

type manifestRow struct {
	file, format, version, recipients, identities, expected string
}

func readManifest(t *testing.T, dir string) []manifestRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 8 {
			continue
		}
		rows = append(rows, manifestRow{file: c[0], format: c[1], version: c[2], recipients: c[3], identities: c[5], expected: c[7]})
	}
	return rows
}

// TestReadCorpus reads every file that real sops versions wrote and checks
// the metadata against the manifest, without any private key.
func TestReadCorpus(t *testing.T) {
	dir := filepath.Join(corpus(t), "sops-files")
	for _, row := range readManifest(t, dir) {
		t.Run(row.file, func(t *testing.T) {
			if row.format != string(FormatForPath(row.file)) {
				t.Skipf("format %s is not the one its extension implies", row.format)
			}
			f, err := Read(filepath.Join(dir, row.file))
			if err != nil {
				t.Fatal(err)
			}
			if f.Meta.Version != row.version {
				t.Errorf("version %q, manifest says %q", f.Meta.Version, row.version)
			}
			if !f.Meta.HasMAC {
				t.Errorf("no MAC read")
			}
			got := f.Meta.Recipients()
			for _, want := range strings.Fields(row.recipients) {
				if !strings.HasPrefix(want, "age1") || strings.Contains(want, "...") {
					continue // abbreviated post-quantum or space-split ssh recipient
				}
				if !contains(got, want) {
					t.Errorf("recipient %s not read; got %v", want, got)
				}
			}
			if len(f.Secrets) == 0 {
				t.Errorf("no secret paths read")
			}
			for _, s := range f.Secrets {
				if s.ShouldEncrypt && !s.Encrypted {
					t.Errorf("%s read as plaintext", s.Name())
				}
			}
		})
	}
}

// TestDecryptCorpus opens every decryptable YAML/JSON corpus file with the
// identity the manifest names and compares with sops's own output.
func TestDecryptCorpus(t *testing.T) {
	dir := filepath.Join(corpus(t), "sops-files")
	for _, row := range readManifest(t, dir) {
		if strings.HasPrefix(row.identities, "(") || (row.format != "yaml" && row.format != "json") {
			continue
		}
		t.Run(row.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, row.file))
			if err != nil {
				t.Fatal(err)
			}
			id := strings.Split(row.identities, ",")[0]
			key, err := os.ReadFile(filepath.Join(dir, "identities", id))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := Decrypt(row.file, data, string(key))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, row.expected))
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			if err := yaml.Unmarshal(plain, &a); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(want, &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("plaintext differs from sops's:\n got %v\nwant %v", a, b)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
