package golden_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/golden"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// TestGoldenCTC runs every case in $SRU_GOLDEN_CTC_DIR (default ../shared/golden/ctc beside the
// repository) through nn's CTCLoss on the CPU: in float64 the losses within 1e-9 relative and
// the logits' gradient within 1e-9 absolute; in float32 both within 1e-4. With the variable set,
// a missing or empty directory fails; without it, a missing default directory skips.
func TestGoldenCTC(t *testing.T) {
	cpu64, cpu32 := kernels.MustCPU[float64](), kernels.MustCPU[float32]()
	defer cpu64.Close()
	defer cpu32.Close()
	eachCTC(t, func(t *testing.T, c *golden.CTCCase) {
		t.Run("float64", func(t *testing.T) { checkCTC(t, c, cpu64, 1e-9) })
		t.Run("float32", func(t *testing.T) { checkCTC(t, c, cpu32, 1e-4) })
	})
}

func eachCTC(t *testing.T, f func(t *testing.T, c *golden.CTCCase)) {
	t.Helper()
	dir, set, err := golden.CTCDir()
	if err != nil {
		t.Fatal(err)
	}
	files, err := golden.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		if set {
			t.Fatalf("SRU_GOLDEN_CTC_DIR=%s holds no *.json cases", dir)
		}
		t.Skipf("no golden CTC cases in %s (set SRU_GOLDEN_CTC_DIR)", dir)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			c, err := golden.LoadCTC(path)
			if err != nil {
				t.Fatal(err)
			}
			f(t, c)
		})
	}
}

// checkCTC computes the per-sequence losses and the gradient of their sum on dev and holds them
// to the case: losses within tol relative (absolute below 1), the gradient within tol absolute.
func checkCTC[T kernels.Float](t *testing.T, c *golden.CTCCase, dev kernels.Device[T], tol float64) {
	t.Helper()
	T_, N, C := c.Dims()
	flat := golden.Flat(c.Logits)
	logits := make([]T, len(flat))
	for i, v := range flat {
		logits[i] = T(v)
	}
	g := nn.NewGraph[T](dev, nil)
	defer g.Release()
	x := g.FromHost(logits, T_, N, C)
	x.NeedsGrad = true
	loss, infeasible := g.CTCLoss(x, c.Targets, c.InputLengths, nn.CTCOptions{Blank: c.Blank, Reduction: nn.CTCNone})
	if infeasible != 0 {
		t.Errorf("%d infeasible sequences in a case of feasible ones", infeasible)
	}
	g.Dev.Fill(g.Grad(loss), 1)
	g.BackwardFrom()
	gotLoss, gotGrad := make([]T, N), make([]T, len(flat))
	dev.Download(gotLoss, loss.Data)
	dev.Download(gotGrad, x.Grad)
	if err := dev.Sync(); err != nil {
		t.Fatal(err)
	}
	var lossDiff, gradDiff float64
	for n, want := range c.Loss {
		d := math.Abs(float64(gotLoss[n])-want) / max(1, math.Abs(want))
		if !(d <= tol) {
			t.Errorf("loss[%d] = %.15g, want %.15g", n, float64(gotLoss[n]), want)
		}
		lossDiff = max(lossDiff, d)
	}
	want := golden.Flat(c.GradLogits)
	bad := 0
	for i, w := range want {
		d := math.Abs(float64(gotGrad[i]) - w)
		if !(d <= tol) {
			if bad < 3 {
				t.Errorf("grad_logits[%d][%d][%d] = %.15g, want %.15g", i/(N*C), i/C%N, i%C, float64(gotGrad[i]), w)
			}
			bad++
		}
		if i/(N*C) >= c.InputLengths[i/C%N] && gotGrad[i] != 0 { // padded frames: exactly zero
			t.Errorf("grad_logits[%d][%d][%d] = %g at a padded frame", i/(N*C), i/C%N, i%C, float64(gotGrad[i]))
		}
		gradDiff = max(gradDiff, d)
	}
	t.Logf("%T: max loss difference %.3g (relative), max gradient difference %.3g", T(0), lossDiff, gradDiff)
	checkCTCMean(t, c, dev, logits, tol)
}

// checkCTCMean holds the 'mean' reduction to the case: Σ_n loss[n]/max(1, L_n)/N, and the rows
// of the gradient of sequence n scaled by 1/(N·max(1, L_n)) (each row belongs to one sequence).
func checkCTCMean[T kernels.Float](t *testing.T, c *golden.CTCCase, dev kernels.Device[T], logits []T, tol float64) {
	t.Helper()
	T_, N, C := c.Dims()
	g := nn.NewGraph[T](dev, nil)
	defer g.Release()
	x := g.FromHost(logits, T_, N, C)
	x.NeedsGrad = true
	loss, _ := g.CTCLoss(x, c.Targets, c.InputLengths, nn.CTCOptions{Blank: c.Blank})
	g.Backward(loss)
	got, grad := make([]T, 1), make([]T, len(logits))
	dev.Download(got, loss.Data)
	dev.Download(grad, x.Grad)
	if err := dev.Sync(); err != nil {
		t.Fatal(err)
	}
	var want float64
	for n, l := range c.Loss {
		want += l / float64(max(1, c.TargetLengths[n])) / float64(N)
	}
	if d := math.Abs(float64(got[0])-want) / max(1, math.Abs(want)); !(d <= tol) {
		t.Errorf("mean loss %.15g, want %.15g", float64(got[0]), want)
	}
	wantGrad := golden.Flat(c.GradLogits)
	for i, w := range wantGrad {
		w /= float64(N * max(1, c.TargetLengths[i/C%N]))
		if d := math.Abs(float64(grad[i]) - w); !(d <= tol) {
			t.Fatalf("mean: grad_logits[%d][%d][%d] = %.15g, want %.15g", i/(N*C), i/C%N, i%C, float64(grad[i]), w)
		}
	}
}
