package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// Embedding looks up rows of table [V, D] by id and returns [len(ids), D]. A negative id is
// padding: it yields a zero row and sends no gradient to the table. For a RowSparse table the
// looked-up rows are marked Touched (when the graph records), so that ZeroGrad, the optimizers
// and gradient clipping visit only those rows.
func (g *Graph[T]) Embedding(table *Param[T], ids []int32) *Tensor[T] {
	if len(table.Shape) != 2 {
		panic(fmt.Sprintf("nn: Embedding table %q has shape %v, want [V, D]", table.Name, table.Shape))
	}
	D := table.Cols()
	dev := g.Ints(ids)
	out := g.Result(g.shape(len(ids), D), &table.Tensor)
	g.Dev.Gather(D, out.Data, table.Data, dev)
	if out.NeedsGrad {
		if table.RowSparse {
			table.Touch(ids)
		}
		op := g.ops.embedding.get()
		*op = embeddingOp[T]{table: table, ids: dev, out: out}
		g.Record(op)
	}
	return out
}

type embeddingOp[T kernels.Float] struct {
	table *Param[T]
	ids   kernels.Ints
	out   *Tensor[T]
}

func (o *embeddingOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() {
		return
	}
	g.Dev.ScatterAdd(o.table.Cols(), g.Grad(&o.table.Tensor), o.out.Grad, o.ids)
}
