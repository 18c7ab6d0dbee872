package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// batchShape is the shape of a tensor holding B matrices [R, C] in layout l.
func batchShape(l BatchLayout, B, R, C int) []int {
	if l == TimeMajor {
		return []int{R, B, C}
	}
	return []int{B, R, C}
}

func TestGradBatchMatMul(t *testing.T) {
	const B, m, k, n = 2, 3, 4, 2
	layouts := []BatchLayout{BatchFirst, TimeMajor}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, la := range layouts {
				for _, lb := range layouts {
					for _, lo := range layouts {
						ra, ca := m, k
						if ta {
							ra, ca = k, m
						}
						rb, cb := k, n
						if tb {
							rb, cb = n, k
						}
						checkGrad(t, gradCase{
							name:   fmt.Sprintf("batch matmul tA=%v tB=%v layouts %d%d%d", ta, tb, la, lb, lo),
							shapes: [][]int{batchShape(la, B, ra, ca), batchShape(lb, B, rb, cb)},
							f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
								y := g.BatchMatMul(in[0], in[1], ta, tb, la, lb, lo)
								if want := batchShape(lo, B, m, n); !equalInts(y.Shape, want) {
									t.Fatalf("shape %v, want %v", y.Shape, want)
								}
								return y
							},
						})
					}
				}
			}
		}
	}
	checkGrad(t, gradCase{
		name:   "batch matmul of a sequence with itself (q·qᵀ)",
		shapes: [][]int{{3, 2, 4}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			return g.BatchMatMul(in[0], in[0], false, true, TimeMajor, TimeMajor, BatchFirst)
		},
	})
}

// TestBatchMatMulValues: a time-major product equals per-batch plain products.
func TestBatchMatMulValues(t *testing.T) {
	g := NewGraph[float64](cpu64, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	const Lq, Ls, B, D = 3, 5, 2, 4
	q, mem := randHost(rng, Lq*B*D), randHost(rng, Ls*B*D)
	s := g.BatchMatMul(g.FromHost(q, Lq, B, D), g.FromHost(mem, Ls, B, D), false, true, TimeMajor, TimeMajor, BatchFirst)
	for b := 0; b < B; b++ {
		for i := 0; i < Lq; i++ {
			for j := 0; j < Ls; j++ {
				var want float64
				for d := 0; d < D; d++ {
					want += q[(i*B+b)*D+d] * mem[(j*B+b)*D+d]
				}
				if got := s.Data.Host()[(b*Lq+i)*Ls+j]; math.Abs(got-want) > 1e-12 {
					t.Fatalf("[%d %d %d] = %v, want %v", b, i, j, got, want)
				}
			}
		}
	}
}

func randHost(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()*2 - 1
	}
	return v
}

// TestBatchMatMulEmpty: no queries (Lq = 0) give empty scores and context, forward and back.
func TestBatchMatMulEmpty(t *testing.T) {
	g := NewGraph[float64](cpu64, nil)
	q, mem := g.Zeros(0, 2, 3), g.Zeros(4, 2, 3)
	mem.NeedsGrad = true
	s := g.BatchMatMul(q, mem, false, true, TimeMajor, TimeMajor, BatchFirst)
	c := g.BatchMatMul(s, mem, false, false, BatchFirst, TimeMajor, TimeMajor)
	if !equalInts(s.Shape, []int{2, 0, 4}) || !equalInts(c.Shape, []int{0, 2, 3}) {
		t.Fatalf("shapes %v and %v", s.Shape, c.Shape)
	}
	g.Grad(c)
	g.BackwardFrom()
}

func TestGradMaskedSoftmax(t *testing.T) {
	const B, Lq, Ls = 3, 2, 4
	lengths := []int32{4, 2, 0} // the last batch element is all padding
	pad := []float64{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, c := range []struct {
		name      string
		group     int
		lens, pad bool
	}{{"plain", 1, false, false}, {"lengths, [B, Lq] rows", Lq, true, false},
		{"pad, [Lq, B] rows", 1, false, true}, {"lengths and pad", Lq, true, true}} {
		checkGrad(t, gradCase{
			name:   "masked softmax " + c.name,
			shapes: [][]int{{B, Lq, Ls}},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				var li kernels.Ints
				var pb kernels.Buf[float64]
				if c.lens {
					li = g.Ints(lengths)
				}
				if c.pad {
					pb = g.FromHost(pad, B, Ls).Data
				}
				return g.MaskedSoftmax(in[0], B, c.group, li, pb)
			},
		})
	}
}

func TestGradExpLog(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "exp",
		shapes: [][]int{{3, 4}},
		f:      func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] { return g.Exp(in[0]) },
	})
	checkGrad(t, gradCase{
		name:   "log",
		shapes: [][]int{{3, 4}},
		init: func(_ int, data []float64, rng *rand.Rand) {
			for i := range data {
				data[i] = 0.2 + rng.Float64()
			}
		},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] { return g.Log(in[0]) },
	})
}

func TestGradTransposeLeading(t *testing.T) {
	for _, s := range [][]int{{2, 3, 4}, {4, 2, 3}, {3, 2}, {2, 3, 2, 2}} {
		checkGrad(t, gradCase{
			name:   fmt.Sprintf("transpose leading %v, used twice", s),
			shapes: [][]int{s},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				y := g.TransposeLeading(in[0])
				back := g.TransposeLeading(y) // the inverse: x again
				if !equalInts(back.Shape, in[0].Shape) {
					t.Fatalf("twice transposed %v is %v", in[0].Shape, back.Shape)
				}
				for i, v := range back.Data.Host() {
					if v != in[0].Data.Host()[i] {
						t.Fatalf("twice transposed differs at %d", i)
					}
				}
				return g.Add(g.Reshape(y, in[0].Len()), g.Scale(g.Reshape(back, in[0].Len()), 0.5))
			},
		})
	}
}

func TestGradSelectRows(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "select rows with repeats and padding (beam reordering)",
		shapes: [][]int{{4, 2, 3}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			y := g.SelectRows(in[0], []int32{2, 0, 2, -1, 3})
			if !equalInts(y.Shape, []int{5, 2, 3}) {
				t.Fatalf("shape %v", y.Shape)
			}
			return y
		},
	})
}

func TestGradConcatTime(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "concat time, one input twice",
		shapes: [][]int{{2, 3, 2}, {1, 3, 2}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			y := g.ConcatTime(in[0], in[1], in[0])
			if !equalInts(y.Shape, []int{5, 3, 2}) {
				t.Fatalf("shape %v", y.Shape)
			}
			return y
		},
	})
}

func TestSeqOpsPanicOnBadShapes(t *testing.T) {
	g := NewGraph[float64](cpu64, nil)
	cases := map[string]func(){
		"BatchMatMul 2-D": func() {
			g.BatchMatMul(g.Zeros(2, 3), g.Zeros(2, 3, 1), false, false, BatchFirst, BatchFirst, BatchFirst)
		},
		"BatchMatMul k": func() {
			g.BatchMatMul(g.Zeros(2, 3, 4), g.Zeros(2, 3, 1), false, false, BatchFirst, BatchFirst, BatchFirst)
		},
		"BatchMatMul B": func() {
			g.BatchMatMul(g.Zeros(2, 3, 4), g.Zeros(2, 3, 4), false, true, BatchFirst, TimeMajor, BatchFirst)
		},
		"ConcatTime":    func() { g.ConcatTime(g.Zeros(2, 3, 4), g.Zeros(2, 2, 4)) },
		"Transpose 1-D": func() { g.TransposeLeading(g.Zeros(3)) },
	}
	for name, f := range cases {
		func() {
			defer func() {
				if r, ok := recover().(string); !ok || len(r) < 4 || r[:4] != "nn: " {
					t.Errorf("%s: want an nn: panic, got %v", name, r)
				}
			}()
			f()
		}()
	}
}
