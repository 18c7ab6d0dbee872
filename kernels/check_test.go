package kernels

import (
	"strings"
	"testing"
)

// TestCheckFunctions: each shared check rejects one wrong length (or shape) naming the
// argument, and accepts consistent arguments.
func TestCheckFunctions(t *testing.T) {
	b := func(n int) Buf[float32] { return HostBuf(make([]float32, n)) }
	ids := func(n int) Ints { return HostInts(make([]int32, n)) }
	var none Buf[float32]
	cases := []struct {
		name, want string // want: "" = no panic, else a part of the message
		f          func()
	}{
		{"LayerNorm ok", "", func() { CheckLayerNorm(2, 3, b(6), b(6), b(3), none, b(2), b(2)) }},
		{"LayerNorm gamma", "LayerNorm gamma has length 2, want 3", func() { CheckLayerNorm(2, 3, b(6), b(6), b(2), none, b(2), b(2)) }},
		{"LayerNormBackward rstd", "LayerNormBackward rstd", func() { CheckLayerNormBackward(2, 3, b(6), none, none, b(6), b(6), none, b(2), b(3)) }},
		{"LayerNormBackward dgamma", "dgamma without gamma", func() { CheckLayerNormBackward(2, 3, b(6), b(3), none, b(6), b(6), none, b(2), b(2)) }},
		{"LogSoftmaxBackward dx", "LogSoftmaxBackward dx", func() { CheckLogSoftmaxBackward(2, 3, b(5), b(6), b(6)) }},
		{"CE ok", "", func() { CheckSoftmaxCrossEntropy(2, 3, b(6), b(2), b(2), b(1), b(6), ids(2), b(3), 0.1) }},
		{"CE targets", "SoftmaxCrossEntropy targets has length 3, want 2", func() { CheckSoftmaxCrossEntropy(2, 3, b(6), b(2), b(2), b(1), b(6), ids(3), none, 0) }},
		{"CE sums", "SoftmaxCrossEntropy sums has length 1, want 2", func() { CheckSoftmaxCrossEntropy(2, 3, b(6), b(2), b(1), b(1), b(6), ids(2), none, 0) }},
		{"CE smoothing", "label smoothing -0.5 outside [0, 1]", func() { CheckSoftmaxCrossEntropy(2, 3, b(6), b(2), b(2), b(1), b(6), ids(2), none, -0.5) }},
		{"CE backward weights", "SoftmaxCrossEntropyBackward weights", func() { CheckSoftmaxCrossEntropyBackward(2, 3, b(6), b(6), ids(2), b(2), 0, b(1), b(2)) }},
		{"CE backward dmean", "SoftmaxCrossEntropyBackward dmean", func() { CheckSoftmaxCrossEntropyBackward(2, 3, b(6), b(6), ids(2), none, 0, b(2), b(2)) }},
		{"Gather dst", "Gather dst", func() { CheckGather(2, b(3), b(6), ids(2)) }},
		{"ScatterAdd table", "ScatterAdd: table", func() { CheckScatterAdd(4, b(6), b(8), ids(2)) }},
		{"MaxOverTime argmax", "MaxOverTime argmax", func() { CheckMaxOverTime(2, 2, 2, b(4), ids(3), b(8), none) }},
		{"MeanOverTime pad", "MeanOverTime pad", func() { CheckMeanOverTime(2, 2, 2, b(4), b(8), b(3)) }},
		{"MeanOverTimeBackward negative", "MeanOverTimeBackward with L=-1", func() { CheckMeanOverTimeBackward(-1, -1, 0, none, none, none) }},
		{"SGDStep mom", "SGDStep mom", func() { CheckSGDStep(b(3), b(3), none, float32(0.9), false) }},
		{"AdamStep v", "AdamStep v", func() { CheckAdamStep(b(3), b(3), b(3), b(2), 1) }},
		{"AdamaxStep u", "AdamaxStep u", func() { CheckAdamaxStep(b(3), b(3), b(3), b(2), 1) }},
		{"AdamaxStep step", "AdamaxStep at step 0", func() { CheckAdamaxStep(b(3), b(3), b(3), b(3), 0) }},
		{"LSTM ok", "", func() { CheckLSTMCellForward(2, 3, b(24), b(12), b(6), b(6), b(6), b(6), b(10), 7, b(2)) }},
		{"LSTM h", "LSTM h has", func() { CheckLSTMCellForward(2, 3, b(24), none, b(6), b(6), b(6), b(5), none, 0, none) }},
		{"LSTM dc", "LSTM dc has", func() { CheckLSTMCellBackward(2, 3, b(24), b(6), b(6), b(24), b(6), b(6), none, 0, b(6), b(7), none) }},
	}
	for _, c := range cases {
		msg := func() (msg string) {
			defer func() {
				if r := recover(); r != nil {
					msg, _ = r.(string)
					if msg == "" {
						msg = "non-string panic"
					}
				}
			}()
			c.f()
			return ""
		}()
		switch {
		case c.want == "" && msg != "":
			t.Errorf("%s: valid arguments rejected: %s", c.name, msg)
		case c.want != "" && (!strings.HasPrefix(msg, "kernels: ") || !strings.Contains(msg, c.want)):
			t.Errorf("%s: panic %q, want one mentioning %q", c.name, msg, c.want)
		}
	}
}

// TestCheckFunctionsNoAllocs: a check that passes allocates nothing (the names are constants).
func TestCheckFunctionsNoAllocs(t *testing.T) {
	x, y, p := HostBuf(make([]float32, 8)), HostBuf(make([]float32, 4)), HostBuf(make([]float32, 4))
	am := HostInts(make([]int32, 4))
	n := testing.AllocsPerRun(10, func() {
		CheckMaxOverTime(2, 2, 2, y, am, x, p)
		CheckMeanOverTimeBackward(2, 2, 2, x, y, p)
		CheckAdamStep(x, x, x, x, 1)
		CheckAdamaxStep(x, x, x, x, 1)
		CheckSoftmaxCrossEntropy(2, 2, y, y.Slice(0, 2), y.Slice(0, 2), y.Slice(0, 1), y, am.Slice(0, 2), Buf[float32]{}, float32(0.1))
		CheckGather(2, x, y, am)
	})
	if n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}
