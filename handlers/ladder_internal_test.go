package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// Every test the security ladder names exists in the file it names, so the
// page never sends a learner to a test that is not there.
func TestLadderTestRefsExist(t *testing.T) {
	funcs := map[string]map[string]bool{}
	n := 0
	for _, rung := range ladderRungs() {
		for _, step := range rung.Steps {
			if len(step.Tests) == 0 {
				t.Errorf("%q names no test", step.Protection)
			}
			for _, ref := range step.Tests {
				n++
				if funcs[ref.File] == nil {
					file, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", ref.File), nil, 0)
					if err != nil {
						t.Errorf("%s: %v", ref.File, err)
						continue
					}
					funcs[ref.File] = map[string]bool{}
					for _, decl := range file.Decls {
						if fn, ok := decl.(*ast.FuncDecl); ok {
							funcs[ref.File][fn.Name.Name] = true
						}
					}
				}
				if !funcs[ref.File][ref.Func] {
					t.Errorf("the ladder names %s in %s, which has no such function", ref.Func, ref.File)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("the ladder names only %d tests", n)
	}
}
