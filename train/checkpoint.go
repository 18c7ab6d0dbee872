package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// Checkpoint is everything needed to continue a run exactly where it stopped.
type Checkpoint struct {
	Experiment string
	Config     string // the resolved experiment, as TOML
	Epoch      int    // epochs completed
	Step       int    // optimizer steps taken in all
	Cursor     int    // batches of the current epoch already done
	Perm       []int  // batch order of the current epoch
	RNG        []byte // the run's PCG state
	// EpochRNG is the run's PCG state when the current epoch began, before the task's
	// BeginEpoch drew from it (a resume inside the epoch replays BeginEpoch with it).
	EpochRNG  []byte
	LR        float64
	Schedule  ScheduleState // the plateau schedule's memory
	Optim     *nn.OptimState
	Params    []ParamData
	TaskState []byte
	History   History
	// MetricsOffset is the length of metrics.jsonl when the checkpoint was written: a resume
	// cuts the events logged after it.
	MetricsOffset int64
}

// ParamData is one parameter's values in its own precision (little-endian).
type ParamData struct {
	Name  string
	Shape []int
	Bits  int // 32 or 64
	Data  []byte
}

// History is the run's record of model selection and timing.
type History struct {
	HasBest      bool
	BestMetric   float64
	BestEpoch    int
	BestStep     int
	BadEvals     int     // evaluations since the last improvement
	TrainSeconds float64 // time spent in training steps (not evaluation)
	WallSeconds  float64 // time since the run started, across resumes
	Items        int64   // examples or tokens trained on
	EpochSeconds []float64
	EpochStart   float64 // TrainSeconds when the current epoch began (resume inside an epoch)
	Stopped      string  // why training ended early, if it did
}

// checkpointMagic starts every checkpoint file; the last 32 bytes are the SHA-256 of the rest.
const checkpointMagic = "GOSRU-CKPT-1\n"

// ErrCorrupt is returned (wrapped) when a checkpoint fails its checksum or cannot be decoded.
var ErrCorrupt = errors.New("corrupt checkpoint")

// WriteCheckpoint writes ck to path atomically: a temporary file in the same directory is
// written, fsynced and renamed over path, then the directory is fsynced. A crash leaves either
// the old file or the new one, never a torn one.
func WriteCheckpoint(path string, ck *Checkpoint) error {
	var buf bytes.Buffer
	buf.WriteString(checkpointMagic)
	if err := gob.NewEncoder(&buf).Encode(ck); err != nil {
		return fmt.Errorf("train: encode checkpoint: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])

	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("train: write checkpoint: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("train: write checkpoint %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ReadCheckpoint reads and verifies a checkpoint.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: read checkpoint: %w", err)
	}
	return DecodeCheckpoint(path, raw)
}

// DecodeCheckpoint verifies and decodes the bytes of a checkpoint file; path names it in
// errors. Anything but an intact checkpoint is an error wrapping ErrCorrupt.
func DecodeCheckpoint(path string, raw []byte) (*Checkpoint, error) {
	if len(raw) < len(checkpointMagic)+sha256.Size || !bytes.HasPrefix(raw, []byte(checkpointMagic)) {
		return nil, fmt.Errorf("train: %s: %w: not a gosru checkpoint or truncated", path, ErrCorrupt)
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("train: %s: %w: checksum mismatch (the file was modified or partly written)", path, ErrCorrupt)
	}
	var ck Checkpoint
	if err := gob.NewDecoder(bytes.NewReader(body[len(checkpointMagic):])).Decode(&ck); err != nil {
		return nil, fmt.Errorf("train: %s: %w: %v", path, ErrCorrupt, err)
	}
	if err := ck.check(); err != nil {
		return nil, fmt.Errorf("train: %s: %w: %v", path, ErrCorrupt, err)
	}
	return &ck, nil
}

// check rejects a checkpoint whose fields contradict each other (a file that passed its
// checksum but was written by a broken writer, or crafted).
func (ck *Checkpoint) check() error {
	switch {
	case ck.Epoch < 0 || ck.Step < 0 || ck.Cursor < 0 || ck.MetricsOffset < -1:
		return fmt.Errorf("negative position (epoch %d, step %d, cursor %d, metrics offset %d)", ck.Epoch, ck.Step, ck.Cursor, ck.MetricsOffset)
	case ck.Perm != nil && ck.Cursor > len(ck.Perm):
		return fmt.Errorf("cursor %d past the epoch's %d batches", ck.Cursor, len(ck.Perm))
	}
	for i, b := range ck.Perm {
		if b < 0 || b >= len(ck.Perm) {
			return fmt.Errorf("batch order holds %d at %d, outside 0..%d", b, i, len(ck.Perm)-1)
		}
	}
	for _, p := range ck.Params {
		n := 1
		for _, d := range p.Shape {
			if d < 0 || d > 1<<40 {
				return fmt.Errorf("parameter %s has shape %v", p.Name, p.Shape)
			}
			n *= d
		}
		if p.Bits != 32 && p.Bits != 64 {
			return fmt.Errorf("parameter %s is float%d", p.Name, p.Bits)
		}
		if len(p.Data) != n*p.Bits/8 {
			return fmt.Errorf("parameter %s%v has %d bytes, want %d", p.Name, p.Shape, len(p.Data), n*p.Bits/8)
		}
	}
	return nil
}

// captureParams copies every parameter to the host.
func captureParams[T kernels.Float](ps *nn.Params[T]) []ParamData {
	var out []ParamData
	for _, p := range ps.List() {
		h := make([]T, p.Len())
		ps.Dev.Download(h, p.Data)
		out = append(out, ParamData{Name: p.Name, Shape: append([]int(nil), p.Shape...),
			Bits: bitsOf[T](), Data: encodeFloats(h)})
	}
	return out
}

// restoreParams loads saved values into ps; names, shapes and precision must match.
func restoreParams[T kernels.Float](ps *nn.Params[T], saved []ParamData) error {
	if len(saved) != len(ps.List()) {
		return fmt.Errorf("train: checkpoint has %d parameters, the model %d", len(saved), len(ps.List()))
	}
	for i, p := range ps.List() {
		s := saved[i]
		if s.Name != p.Name || fmt.Sprint(s.Shape) != fmt.Sprint(p.Shape) {
			return fmt.Errorf("train: checkpoint parameter %d is %s%v, the model's is %s%v", i, s.Name, s.Shape, p.Name, p.Shape)
		}
		if s.Bits != bitsOf[T]() {
			return fmt.Errorf("train: checkpoint holds float%d parameters, the run is float%d", s.Bits, bitsOf[T]())
		}
		h := decodeFloats[T](s.Data)
		if len(h) != p.Len() {
			return fmt.Errorf("train: checkpoint parameter %s has %d values, want %d", s.Name, len(h), p.Len())
		}
		ps.Dev.Upload(p.Data, h)
	}
	return nil
}

func bitsOf[T kernels.Float]() int {
	var z T
	if _, ok := any(z).(float32); ok {
		return 32
	}
	return 64
}

func encodeFloats[T kernels.Float](v []T) []byte {
	if bitsOf[T]() == 32 {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
		}
		return b
	}
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(float64(x)))
	}
	return b
}

func decodeFloats[T kernels.Float](b []byte) []T {
	if bitsOf[T]() == 32 {
		v := make([]T, len(b)/4)
		for i := range v {
			v[i] = T(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return v
	}
	v := make([]T, len(b)/8)
	for i := range v {
		v[i] = T(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
	}
	return v
}

// Checkpoint files in a run directory: step-<step>.ckpt (the recent ones) and best.ckpt.
const (
	bestName   = "best.ckpt"
	stepPrefix = "step-"
	ckptSuffix = ".ckpt"
)

func stepCheckpointName(step int) string {
	return fmt.Sprintf("%s%09d%s", stepPrefix, step, ckptSuffix)
}

// stepCheckpoints lists the step checkpoints of dir, oldest first.
func stepCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, stepPrefix) && strings.HasSuffix(n, ckptSuffix) {
			names = append(names, n)
		}
	}
	sort.Strings(names) // zero-padded steps sort in order
	return names, nil
}

// LatestCheckpoint is the newest step checkpoint of a run directory.
func LatestCheckpoint(dir string) (string, error) {
	names, err := stepCheckpoints(dir)
	if err != nil {
		return "", fmt.Errorf("train: %w", err)
	}
	if len(names) == 0 {
		return "", fmt.Errorf("train: no checkpoint in %s", dir)
	}
	return filepath.Join(dir, names[len(names)-1]), nil
}

// BestCheckpoint is the path of the best-on-validation checkpoint of a run directory.
func BestCheckpoint(dir string) string { return filepath.Join(dir, bestName) }

// prune keeps the newest keep step checkpoints.
func prune(dir string, keep int) error {
	names, err := stepCheckpoints(dir)
	if err != nil {
		return err
	}
	for i := 0; i+keep < len(names); i++ {
		if err := os.Remove(filepath.Join(dir, names[i])); err != nil {
			return err
		}
	}
	return nil
}

// Evaluate loads a checkpoint's parameters into the task and evaluates a split.
func Evaluate[T kernels.Float](task Task[T], ck *Checkpoint, split string) (Metrics, error) {
	if !slices.Contains(task.Splits(), split) {
		return nil, fmt.Errorf("train: the task has no %q split (it has %v)", split, task.Splits())
	}
	if err := restoreParams(task.Params(), ck.Params); err != nil {
		return nil, err
	}
	if err := restoreTaskState(task, ck); err != nil {
		return nil, err
	}
	return evaluateSplit(task, split)
}

// restoreTaskState gives a Stateful task the state its checkpoint saved (translation: the
// vocabulary the embeddings index), so that evaluating or predicting from a checkpoint uses
// exactly what training used.
func restoreTaskState[T kernels.Float](task Task[T], ck *Checkpoint) error {
	sf, ok := task.(Stateful)
	if !ok || ck.TaskState == nil {
		return nil
	}
	if err := sf.LoadState(ck.TaskState); err != nil {
		return fmt.Errorf("train: restore the task's state: %w", err)
	}
	return nil
}

// LoadParams loads a checkpoint's parameters into ps (names, shapes and precision must match),
// for commands that use a trained model without training it (sru generate).
func LoadParams[T kernels.Float](ps *nn.Params[T], ck *Checkpoint) error {
	return restoreParams(ps, ck.Params)
}
