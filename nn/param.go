package nn

import (
	"fmt"
	"slices"

	"github.com/gosru/gosru/kernels"
)

// Param is a named trainable tensor whose Data and Grad persist across steps. A frozen
// parameter (NeedsGrad false) is saved and loaded but never updated.
type Param[T kernels.Float] struct {
	Tensor[T]
	Name string
	// RowSparse marks an embedding table: only the rows in Touched received gradient this step,
	// and the optimizer and ZeroGrad visit only those rows.
	RowSparse bool
	Touched   []int32 // sorted, distinct row indices (RowSparse only)
	seen      []bool  // membership of Touched, by row
}

// Params is an ordered, named set of parameters (the order is the order of creation, which
// fixes the layout of checkpoints and optimizer state).
type Params[T kernels.Float] struct {
	Dev    kernels.Device[T]
	list   []*Param[T]
	byName map[string]*Param[T]
	// clipSS and clipHost hold ClipGradNorm's squared norm on the device and the host.
	clipSS   kernels.Buf[T]
	clipHost []T
}

// NewParams makes an empty set on dev.
func NewParams[T kernels.Float](dev kernels.Device[T]) *Params[T] {
	return &Params[T]{Dev: dev, byName: map[string]*Param[T]{}}
}

// Add creates a zero parameter; names must be unique.
func (ps *Params[T]) Add(name string, shape ...int) *Param[T] {
	if _, dup := ps.byName[name]; dup {
		panic(fmt.Sprintf("nn: parameter %q added twice", name))
	}
	n := 1
	for _, s := range shape {
		n *= s
	}
	p := &Param[T]{Name: name}
	p.Shape = append([]int(nil), shape...)
	p.Data = ps.Dev.Alloc(n)
	p.Grad = ps.Dev.Alloc(n)
	p.NeedsGrad = true
	ps.list = append(ps.list, p)
	ps.byName[name] = p
	return p
}

// List returns the parameters in creation order.
func (ps *Params[T]) List() []*Param[T] { return ps.list }

// Get returns the parameter called name, or nil.
func (ps *Params[T]) Get(name string) *Param[T] { return ps.byName[name] }

// Count is the number of scalar parameters.
func (ps *Params[T]) Count() int {
	n := 0
	for _, p := range ps.list {
		n += p.Len()
	}
	return n
}

// ZeroGrad clears every gradient (only the touched rows of row-sparse ones).
func (ps *Params[T]) ZeroGrad() {
	for _, p := range ps.list {
		if !p.RowSparse {
			ps.Dev.Fill(p.Grad, 0)
			continue
		}
		cols := p.Cols()
		for _, r := range p.Touched {
			ps.Dev.Fill(p.Grad.Slice(int(r)*cols, int(r+1)*cols), 0)
			p.seen[r] = false
		}
		p.Touched = p.Touched[:0]
	}
}

// Touch records rows of a row-sparse parameter as having gradient.
func (p *Param[T]) Touch(rows []int32) {
	if p.seen == nil {
		p.seen = make([]bool, p.Rows())
	}
	added := false
	for _, r := range rows {
		if r >= 0 && !p.seen[r] {
			p.seen[r] = true
			p.Touched = append(p.Touched, r)
			added = true
		}
	}
	if added {
		slices.Sort(p.Touched)
	}
}
