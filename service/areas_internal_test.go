package service

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestAreasUseOnlyTheirStoreView: no method of an area reaches the core's whole store (s.store); each goes
// through the narrow view it holds (s.db, s.begin), so that its interface lists what it really uses. And the
// domain starts no goroutines: grouping commits is the store's business.
func TestAreasUseOnlyTheirStoreView(t *testing.T) {
	areas := map[string]bool{"Intake": true, "Workflow": true, "Fulfilment": true, "Escalation": true, "Admin": true,
		"Reporting": true, "Sessions": true, "Accounts": true}
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s: a goroutine in the domain; the store groups concurrent writes itself",
					fset.Position(g.Pos()))
			}
			return true
		})
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 || len(fn.Recv.List[0].Names) != 1 {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			id, ok := star.X.(*ast.Ident)
			if !ok || !areas[id.Name] {
				continue
			}
			seen++
			recv := fn.Recv.List[0].Names[0].Name
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, isIdent := sel.X.(*ast.Ident); isIdent && x.Name == recv && sel.Sel.Name == "store" {
					t.Errorf("%s: (*%s).%s reaches %s.%s; use the area's store view", fset.Position(sel.Pos()), id.Name,
						fn.Name.Name, recv, sel.Sel.Name)
				}
				return true
			})
		}
	}
	if seen < 100 {
		t.Errorf("found %d area methods; the test no longer sees the areas", seen)
	}
}
