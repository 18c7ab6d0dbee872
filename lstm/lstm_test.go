package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

var cpu64 = kernels.MustCPU[float64]()

// fixture is a module with inputs and random upstream gradients, for float64 checks.
type fixture struct {
	cfg        Config
	L, B       int
	ps         *nn.Params[float64]
	m          *LSTM[float64]
	x, h0, c0  *nn.Tensor[float64]
	pad        kernels.Buf[float64]
	ry, rh, rc []float64 // upstream gradients of y, hn, cn
	g          *nn.Graph[float64]
	training   bool
}

func newFixture(t *testing.T, cfg Config, L, B int, lengths []int, states bool) *fixture {
	rng := rand.New(rand.NewPCG(5, 8))
	f := &fixture{cfg: cfg, L: L, B: B, ps: nn.NewParams[float64](cpu64)}
	var err error
	if f.m, err = New(f.ps, "", cfg, rng); err != nil {
		t.Fatal(err)
	}
	tensor := func(shape ...int) *nn.Tensor[float64] {
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.Float64()*2 - 1
		}
		return &nn.Tensor[float64]{Data: kernels.HostBuf(v), Grad: kernels.HostBuf(make([]float64, n)),
			Shape: shape, NeedsGrad: true}
	}
	ns := cfg.NumLayers * cfg.Dirs()
	f.x = tensor(L, B, cfg.InputSize)
	if states {
		f.h0, f.c0 = tensor(ns, B, cfg.HiddenSize), tensor(ns, B, cfg.HiddenSize)
	}
	if lengths != nil {
		p := make([]float64, L*B)
		for b, n := range lengths {
			for s := n; s < L; s++ {
				p[s*B+b] = 1
			}
		}
		f.pad = kernels.HostBuf(p)
	}
	f.ry = tensor(L, B, cfg.OutputSize()).Data.Host()
	f.rh = tensor(ns, B, cfg.HiddenSize).Data.Host()
	f.rc = tensor(ns, B, cfg.HiddenSize).Data.Host()
	f.g = nn.NewGraph[float64](cpu64, nil)
	return f
}

// forward runs the module and returns the loss Σ y·ry + Σ hn·rh + Σ cn·rc.
func (f *fixture) forward() (y, hn, cn *nn.Tensor[float64], loss float64) {
	f.g.Reset()
	f.g.Training = f.training
	f.g.RNG = rand.New(rand.NewPCG(3, 4)) // the same dropout mask every time
	y, hn, cn = f.m.Forward(f.g, f.x, f.h0, f.c0, f.pad)
	for _, p := range []struct {
		t *nn.Tensor[float64]
		r []float64
	}{{y, f.ry}, {hn, f.rh}, {cn, f.rc}} {
		for i, v := range p.t.Data.Host() {
			loss += v * p.r[i]
		}
	}
	return y, hn, cn, loss
}

// inputs lists every tensor that gets a gradient, with a name.
func (f *fixture) inputs() map[string]*nn.Tensor[float64] {
	in := map[string]*nn.Tensor[float64]{"x": f.x}
	if f.h0 != nil {
		in["h0"], in["c0"] = f.h0, f.c0
	}
	for _, p := range f.ps.List() {
		in[p.Name] = &p.Tensor
	}
	return in
}

// checkFiniteDifferences compares the tape's gradient of every input and parameter with
// central differences of the loss.
func checkFiniteDifferences(t *testing.T, f *fixture) {
	t.Helper()
	in := f.inputs()
	for _, v := range in {
		cpu64.Fill(v.Grad, 0)
	}
	y, hn, cn, _ := f.forward()
	cpu64.Upload(f.g.Grad(y), f.ry)
	cpu64.Upload(f.g.Grad(hn), f.rh)
	cpu64.Upload(f.g.Grad(cn), f.rc)
	f.g.BackwardFrom()
	const eps, tol = 1e-6, 1e-7
	checked := 0
	for name, v := range in {
		analytic := append([]float64(nil), v.Grad.Host()...)
		data := v.Data.Host()
		for j := range data {
			orig := data[j]
			data[j] = orig + eps
			_, _, _, lp := f.forward()
			data[j] = orig - eps
			_, _, _, lm := f.forward()
			data[j] = orig
			num := (lp - lm) / (2 * eps)
			if d := math.Abs(num - analytic[j]); d > tol*(1+math.Abs(num)) {
				t.Errorf("d/d %s[%d]: tape %.10g, finite differences %.10g", name, j, analytic[j], num)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d elements checked", checked)
	}
}

func TestFiniteDifferences(t *testing.T) {
	cases := []struct {
		name     string
		cfg      Config
		lengths  []int
		states   bool
		training bool
	}{
		{"1 layer, no padding, zero state", Config{InputSize: 3, HiddenSize: 4, NumLayers: 1}, nil, false, false},
		{"2 layers bidirectional, padding, h0/c0",
			Config{InputSize: 3, HiddenSize: 2, NumLayers: 2, Bidirectional: true}, []int{5, 2, 4, 1}, true, false},
		{"2 layers bidirectional, padding, dropout",
			Config{InputSize: 3, HiddenSize: 2, NumLayers: 2, Bidirectional: true, Dropout: 0.4}, []int{3, 5, 1}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			B := len(c.lengths)
			if B == 0 {
				B = 2
			}
			f := newFixture(t, c.cfg, 5, B, c.lengths, c.states)
			f.training = c.training
			if c.training { // dropout must act, or the case tests nothing more
				_, _, _, on := f.forward()
				f.training = false
				_, _, _, off := f.forward()
				f.training = true
				if on == off {
					t.Fatal("dropout changed nothing")
				}
			}
			checkFiniteDifferences(t, f)
		})
	}
}

// A padded batch must give, sequence by sequence, what the module gives on that sequence alone
// without padding: y over its real steps (0 after), hn and cn, and the same gradients.
func TestPaddingMatchesSeparateSequences(t *testing.T) {
	cfg := Config{InputSize: 3, HiddenSize: 4, NumLayers: 2, Bidirectional: true}
	lengths := []int{6, 2, 4, 1}
	L, B, H, out := 6, len(lengths), cfg.HiddenSize, cfg.OutputSize()
	ns := cfg.NumLayers * cfg.Dirs()
	f := newFixture(t, cfg, L, B, lengths, true)
	for b, n := range lengths { // upstream gradients at padding must not matter
		for s := n; s < L; s++ {
			for j := 0; j < out; j++ {
				f.ry[(s*B+b)*out+j] = 1e3
			}
		}
	}
	for _, v := range f.inputs() {
		cpu64.Fill(v.Grad, 0)
	}
	y, hn, cn, _ := f.forward()
	cpu64.Upload(f.g.Grad(y), f.ry)
	cpu64.Upload(f.g.Grad(hn), f.rh)
	cpu64.Upload(f.g.Grad(cn), f.rc)
	f.g.BackwardFrom()
	yb := y.Data.Host()
	dxb, dh0b, dc0b := f.x.Grad.Host(), f.h0.Grad.Host(), f.c0.Grad.Host()
	for b, n := range lengths {
		for s := n; s < L; s++ {
			for j := 0; j < out; j++ {
				if v := yb[(s*B+b)*out+j]; v != 0 {
					t.Errorf("seq %d: y at padded step %d is %g", b, s, v)
				}
			}
			for j := 0; j < cfg.InputSize; j++ {
				if v := dxb[(s*B+b)*cfg.InputSize+j]; v != 0 {
					t.Errorf("seq %d: dx at padded step %d is %g", b, s, v)
				}
			}
		}
	}

	// Each sequence alone, with the same parameters.
	for b, n := range lengths {
		g := &fixture{cfg: cfg, L: n, B: 1, ps: f.ps, m: f.m, g: nn.NewGraph[float64](cpu64, nil)}
		g.x = column(f.x, L, B, b, n)
		g.h0, g.c0 = column(f.h0, ns, B, b, ns), column(f.c0, ns, B, b, ns)
		g.ry = column(&nn.Tensor[float64]{Data: kernels.HostBuf(f.ry), Shape: []int{L, B, out}}, L, B, b, n).Data.Host()
		g.rh = column(&nn.Tensor[float64]{Data: kernels.HostBuf(f.rh), Shape: []int{ns, B, H}}, ns, B, b, ns).Data.Host()
		g.rc = column(&nn.Tensor[float64]{Data: kernels.HostBuf(f.rc), Shape: []int{ns, B, H}}, ns, B, b, ns).Data.Host()
		y1, hn1, cn1, _ := g.forward()
		cpu64.Upload(g.g.Grad(y1), g.ry)
		cpu64.Upload(g.g.Grad(hn1), g.rh)
		cpu64.Upload(g.g.Grad(cn1), g.rc)
		g.g.BackwardFrom()
		near := func(what string, got, want []float64) {
			t.Helper()
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Errorf("seq %d: %s[%d] = %.15g in the batch, %.15g alone", b, what, i, got[i], want[i])
					return
				}
			}
		}
		near("y", column(y, L, B, b, n).Data.Host(), y1.Data.Host())
		near("hn", column(hn, ns, B, b, ns).Data.Host(), hn1.Data.Host())
		near("cn", column(cn, ns, B, b, ns).Data.Host(), cn1.Data.Host())
		near("dx", column(&nn.Tensor[float64]{Data: kernels.HostBuf(dxb), Shape: f.x.Shape}, L, B, b, n).Data.Host(), g.x.Grad.Host())
		near("dh0", column(&nn.Tensor[float64]{Data: kernels.HostBuf(dh0b), Shape: f.h0.Shape}, ns, B, b, ns).Data.Host(), g.h0.Grad.Host())
		near("dc0", column(&nn.Tensor[float64]{Data: kernels.HostBuf(dc0b), Shape: f.c0.Shape}, ns, B, b, ns).Data.Host(), g.c0.Grad.Host())
	}
	// The parameter gradients of the batch are the sums over the sequences: checked by the
	// finite differences; here they would need the per-sequence runs accumulated separately.
}

// column cuts batch entry b of a [rows, B, w] tensor, rows 0 … n−1, into a fresh [n, 1, w] one
// with a zero gradient.
func column(t *nn.Tensor[float64], rows, B, b, n int) *nn.Tensor[float64] {
	w := t.Len() / (rows * B)
	v := make([]float64, n*w)
	src := t.Data.Host()
	for s := 0; s < n; s++ {
		copy(v[s*w:(s+1)*w], src[(s*B+b)*w:(s*B+b+1)*w])
	}
	return &nn.Tensor[float64]{Data: kernels.HostBuf(v), Grad: kernels.HostBuf(make([]float64, n*w)),
		Shape: []int{n, 1, w}, NeedsGrad: true}
}

// In steady state a training step of the module allocates nothing.
func TestNoAllocs(t *testing.T) {
	d := kernels.MustCPU[float32]()
	ps := nn.NewParams[float32](d)
	cfg := Config{InputSize: 8, HiddenSize: 16, NumLayers: 2, Bidirectional: true, Dropout: 0.2}
	m, err := New(ps, "", cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	L, B := 7, 3
	g := nn.NewGraph[float32](d, rand.New(rand.NewPCG(1, 3)))
	g.Training = true
	x := &nn.Tensor[float32]{Data: d.Alloc(L * B * 8), Shape: []int{L, B, 8}}
	pad := d.Alloc(L * B)
	d.Fill(pad.Slice(L*B-2, L*B), 1)
	step := func() {
		g.Reset()
		y, hn, _ := m.Forward(g, x, nil, nil, pad)
		d.Fill(g.Grad(y), 1)
		d.Fill(g.Grad(hn), 1)
		g.BackwardFrom()
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%v allocations per step", n)
	}
}

func TestConfigAndNames(t *testing.T) {
	ps := nn.NewParams[float64](cpu64)
	if _, err := New(ps, "enc.", Config{InputSize: 5, HiddenSize: 3, NumLayers: 2, Bidirectional: true},
		rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps.List() {
		got = append(got, fmt.Sprintf("%s%v", p.Name, p.Shape))
		for _, v := range p.Data.Host() {
			if math.Abs(v) > 1/math.Sqrt(3) {
				t.Errorf("%s: %g outside the init range", p.Name, v)
			}
		}
	}
	want := "[enc.weight_ih_l0[12 5] enc.weight_hh_l0[12 3] enc.bias_ih_l0[12] enc.bias_hh_l0[12] " +
		"enc.weight_ih_l0_reverse[12 5] enc.weight_hh_l0_reverse[12 3] enc.bias_ih_l0_reverse[12] enc.bias_hh_l0_reverse[12] " +
		"enc.weight_ih_l1[12 6] enc.weight_hh_l1[12 3] enc.bias_ih_l1[12] enc.bias_hh_l1[12] " +
		"enc.weight_ih_l1_reverse[12 6] enc.weight_hh_l1_reverse[12 3] enc.bias_ih_l1_reverse[12] enc.bias_hh_l1_reverse[12]]"
	if fmt.Sprint(got) != want {
		t.Errorf("parameters\n%v\nwant\n%v", got, want)
	}
	for _, bad := range []Config{{InputSize: 0, HiddenSize: 1, NumLayers: 1}, {InputSize: 1, HiddenSize: 1, NumLayers: 1, Dropout: 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

func TestForgetBias(t *testing.T) {
	ps := nn.NewParams[float64](cpu64)
	cfg := Config{InputSize: 5, HiddenSize: 3, NumLayers: 2, Bidirectional: true, ForgetBias: 1.5}
	m, err := New(ps, "", cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	H := cfg.HiddenSize
	for _, l := range m.Layers {
		for d := range l.Dirs {
			ih, hh := l.BiasIH[d].Data.Host(), l.BiasHH[d].Data.Host()
			for j := range ih {
				f := j >= H && j < 2*H
				if f && (ih[j] != 1.5 || hh[j] != 0) {
					t.Errorf("forget row %d: b_ih %g, b_hh %g; want 1.5 and 0", j, ih[j], hh[j])
				}
				if !f && (ih[j] == 0 || hh[j] == 0 || math.Abs(ih[j]) > 1/math.Sqrt(3)) {
					t.Errorf("row %d: b_ih %g, b_hh %g; want PyTorch's random init", j, ih[j], hh[j])
				}
			}
		}
	}
}
