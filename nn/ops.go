package nn

import "github.com/gosru/gosru/kernels"

// opPools holds the reusable records of every built-in op kind; Graph.Reset recycles them all.
type opPools[T kernels.Float] struct {
	matmul       pool[matmulOp[T]]
	addBias      pool[addBiasOp[T]]
	conv1D       pool[conv1DOp[T]]
	act          pool[actOp[T]]
	binary       pool[binaryOp[T]]
	scale        pool[scaleOp[T]]
	concat       pool[concatOp[T]]
	slice        pool[sliceOp[T]]
	embedding    pool[embeddingOp[T]]
	dropout      pool[dropoutOp[T]]
	layerNorm    pool[layerNormOp[T]]
	logSoftmax   pool[logSoftmaxOp[T]]
	crossEntropy pool[crossEntropyOp[T]]
	overTime     pool[overTimeOp[T]]
	seq          seqPools[T] // ops_seq.go, ops_attention.go
	ctc          pool[ctcOp[T]]
	ctcHost      []int32 // host staging of CTCLoss's lengths and targets

	// tensors backs the input lists of variadic ops (Concat): a record keeps a sub-slice, so
	// recording copies no caller slice to the heap.
	tensors []*Tensor[T]
}

func (p *opPools[T]) reset() {
	p.matmul.reset()
	p.addBias.reset()
	p.conv1D.reset()
	p.act.reset()
	p.binary.reset()
	p.scale.reset()
	p.concat.reset()
	p.slice.reset()
	p.embedding.reset()
	p.dropout.reset()
	p.layerNorm.reset()
	p.logSoftmax.reset()
	p.crossEntropy.reset()
	p.overTime.reset()
	p.seq.reset()
	p.ctc.reset()
	clear(p.tensors)
	p.tensors = p.tensors[:0]
}

// keepTensors copies xs into the pools' backing list. A reallocation leaves earlier sub-slices
// on the old array, which nothing writes again, so they stay valid until Reset.
func (p *opPools[T]) keepTensors(xs []*Tensor[T]) []*Tensor[T] {
	n := len(p.tensors)
	p.tensors = append(p.tensors, xs...)
	return p.tensors[n:len(p.tensors):len(p.tensors)]
}

// shape returns dims in the graph's scratch shape, valid until the next shape call (Result
// copies it).
func (g *Graph[T]) shape(dims ...int) []int {
	g.shapeBuf = append(g.shapeBuf[:0], dims...)
	return g.shapeBuf
}

// withLast returns s with its last axis replaced by last, in the scratch shape.
func (g *Graph[T]) withLast(s []int, last int) []int {
	g.shapeBuf = append(append(g.shapeBuf[:0], s[:len(s)-1]...), last)
	return g.shapeBuf
}
