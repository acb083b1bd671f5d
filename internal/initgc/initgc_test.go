package initgc

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestPercent(t *testing.T) {
	for in, want := range map[string]int{"": 100, "off": -1, "50": 50, "400": 400, "junk": 100, "OFF": 100} {
		if got := Percent(in); got != want {
			t.Errorf("Percent(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestRestore: the collector is off from init until Restore, which sets
// what GOGC asks.
func TestRestore(t *testing.T) {
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("before Restore the collector's target is %d, want -1 (off since init)", got)
	}
	t.Setenv("GOGC", "70")
	Restore()
	if got := debug.SetGCPercent(100); got != 70 {
		t.Fatalf("after Restore with GOGC=70 the target is %d", got)
	}
	t.Setenv("GOGC", "")
	Restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after Restore with GOGC unset the target is %d", got)
	}
}

// TestEveryImporterRestores: a program that imports this package must
// turn the collector back on first thing, or it never collects. Every
// file of the module that imports it must call Restore as the first
// statement of its main or TestMain.
func TestEveryImporterRestores(t *testing.T) {
	const path = "github.com/keycycle/keycycle/internal/initgc"
	root := filepath.Join("..", "..")
	found := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(f.Imports, func(s *ast.ImportSpec) bool { return s.Path.Value == strconv.Quote(path) }) {
			return nil
		}
		if filepath.Dir(p) == "." {
			return nil // this package's own tests
		}
		found++
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Name.Name != "main" && fn.Name.Name != "TestMain" {
				continue
			}
			if len(fn.Body.List) > 0 && isRestoreCall(fn.Body.List[0]) {
				return nil
			}
			t.Errorf("%s: %s does not begin with initgc.Restore(): the collector stays off", fset.Position(fn.Pos()), fn.Name.Name)
			return nil
		}
		t.Errorf("%s imports initgc but has no main or TestMain to call initgc.Restore() in", p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("no file imports initgc: cmd/keycycle/main.go should")
	}
}

func isRestoreCall(s ast.Stmt) bool {
	es, ok := s.(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "initgc" && sel.Sel.Name == "Restore"
}
