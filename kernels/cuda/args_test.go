package cuda

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLaunchArguments checks, without a GPU, that every kernel launch in the Go code packs the
// arguments its CUDA kernel declares: as many, in order, and of the right kind (an integer for
// i64/int, a flag or integer for int, a scalar for T, an address for a pointer). A mismatch
// would otherwise show only on a GPU, as garbage or a fault. The Go files are parsed whatever
// their build tags.
func TestLaunchArguments(t *testing.T) {
	params := kernelParams(t)
	fields := kernelFields(t)
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	launches := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			block, ok := n.(*ast.BlockStmt)
			if !ok {
				return true
			}
			var pending []string // argument kinds of the last d.a() chain in this block
			for _, st := range block.List {
				es, ok := st.(*ast.ExprStmt)
				if !ok {
					continue
				}
				call, ok := es.X.(*ast.CallExpr)
				if !ok {
					continue
				}
				if kinds, ok := argChain(call); ok {
					pending = kinds
					continue
				}
				field, ok := launchedKernel(call)
				if !ok {
					continue
				}
				launches++
				pos := fset.Position(call.Pos())
				cname, ok := fields[field]
				if !ok {
					t.Errorf("%s: kernel field %s is not loaded in kernelSet.load", pos, field)
					continue
				}
				want, ok := params[cname]
				if !ok {
					t.Errorf("%s: kernel %s (field %s) is not defined in the .cuh files", pos, cname, field)
					continue
				}
				if pending == nil {
					t.Errorf("%s: launch of %s without a preceding d.a() argument chain", pos, cname)
					continue
				}
				if len(pending) != len(want) {
					t.Errorf("%s: %s takes %d arguments %v, the launch packs %d %v", pos, cname, len(want), want, len(pending), pending)
				} else {
					for i := range want {
						if !strings.Contains(want[i], pending[i]) {
							t.Errorf("%s: %s argument %d is %s, the launch packs %s", pos, cname, i, want[i], pending[i])
						}
					}
				}
				pending = nil
			}
			return true
		})
	}
	if launches < 38 {
		t.Errorf("found only %d launches: the parser missed some", launches)
	}
	for c := range params {
		found := false
		for _, v := range fields {
			if v == c {
				found = true
			}
		}
		if !found {
			t.Errorf("kernel %s is defined but never loaded", c)
		}
	}
}

// argChain returns the kinds of a d.a().x(..).y(..) chain, in order.
func argChain(call *ast.CallExpr) ([]string, bool) {
	var rev []string
	for {
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return nil, false
		}
		if sel.Sel.Name == "a" {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "d" && len(call.Args) == 0 {
				kinds := make([]string, len(rev))
				for i, k := range rev {
					kinds[len(rev)-1-i] = k
				}
				return kinds, len(kinds) > 0
			}
			return nil, false
		}
		switch sel.Sel.Name {
		case "i", "b", "f", "ptr":
			rev = append(rev, sel.Sel.Name)
		default:
			return nil, false
		}
		inner, ok := sel.X.(*ast.CallExpr)
		if !ok {
			return nil, false
		}
		call = inner
	}
}

// launchedKernel returns X of d.launch(&d.k.X, ...), d.flat(&d.k.X, ...) or d.perThread(&d.k.X, ...).
func launchedKernel(call *ast.CallExpr) (string, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || len(call.Args) == 0 {
		return "", false
	}
	switch sel.Sel.Name {
	case "launch", "flat", "perThread":
	default:
		return "", false
	}
	u, ok := call.Args[0].(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return "", false
	}
	ks, ok := u.X.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	return ks.Sel.Name, true
}

// kernelFields maps kernelSet fields to kernel names (without the precision suffix) from the
// tables that kernelSet.load reads: {&ks.field, "name"} and get(&ks.field, "name").
func kernelFields(t *testing.T) map[string]string {
	m := map[string]string{}
	re := regexp.MustCompile(`&ks\.(\w+), "(\w+)"`)
	for _, file := range []string{"launch.go", "attention.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range re.FindAllStringSubmatch(string(src), -1) {
			m[s[1]] = s[2]
		}
	}
	if len(m) < 30 {
		t.Fatalf("found %d kernels in launch.go", len(m))
	}
	return m
}

// kernelParams maps each kernel name (the _##S suffix dropped) to the kinds of its parameters,
// from the extern "C" __global__ definitions in the .cuh files.
func kernelParams(t *testing.T) map[string][]string {
	files, _ := filepath.Glob("*.cuh")
	re := regexp.MustCompile(`extern "C" __global__ void (\w+?)(?:_##S)?\(([^)]*)\)`)
	m := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.ReplaceAll(string(b), "\\\n", " ")
		for _, s := range re.FindAllStringSubmatch(src, -1) {
			var kinds []string
			for _, p := range strings.Split(s[2], ",") {
				p = strings.TrimSpace(p)
				typ := strings.TrimSpace(p[:strings.LastIndexAny(p, " *")+1])
				switch {
				case strings.Contains(typ, "*"):
					kinds = append(kinds, "ptr")
				case typ == "i64":
					kinds = append(kinds, "i")
				case typ == "int":
					kinds = append(kinds, "i|b")
				case typ == "T":
					kinds = append(kinds, "f")
				default:
					t.Fatalf("%s: kernel %s: parameter %q of unknown kind", f, s[1], p)
				}
			}
			m[s[1]] = kinds
		}
	}
	if len(m) < 30 {
		t.Fatalf("found %d kernels in the .cuh files", len(m))
	}
	return m
}
