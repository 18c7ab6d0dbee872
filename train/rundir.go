package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Run directory layout: runs/<experiment>/<run-id>/ holds
//
//	config.toml     the resolved experiment
//	metrics.jsonl   one JSON object per event (train, eval, epoch, end)
//	summary.json    the final result
//	step-*.ckpt     the most recent checkpoints; best.ckpt the best on validation
const (
	ConfigFile  = "config.toml"
	MetricsFile = "metrics.jsonl"
	SummaryFile = "summary.json"
)

// NewRunDir creates runs/<experiment>/<timestamp>[-n] under root and returns its path.
func NewRunDir(root, experiment string, now time.Time) (string, error) {
	base := filepath.Join(root, experiment, now.Format("20060102-150405"))
	dir := base
	for n := 2; ; n++ {
		err := os.MkdirAll(filepath.Dir(dir), 0o755)
		if err == nil {
			err = os.Mkdir(dir, 0o755)
		}
		if err == nil {
			return dir, nil
		}
		if !os.IsExist(err) {
			return "", fmt.Errorf("train: make run directory: %w", err)
		}
		dir = fmt.Sprintf("%s-%d", base, n)
	}
}

// Event is one line of metrics.jsonl.
type Event struct {
	Event   string  `json:"event"` // "train", "eval", "epoch", "end"
	Step    int     `json:"step"`
	Epoch   float64 `json:"epoch"` // fractional inside an epoch
	Split   string  `json:"split,omitempty"`
	Loss    float64 `json:"loss,omitempty"`
	Metrics Metrics `json:"metrics,omitempty"`
	LR      float64 `json:"lr,omitempty"`
	// ItemsPerSec is training throughput (examples or tokens per second) since the last event.
	ItemsPerSec float64 `json:"items_per_s,omitempty"`
	// TrainSeconds is the training time so far (evaluation excluded); Wall the time since the
	// run started, across resumes.
	TrainSeconds float64   `json:"train_s"`
	Wall         float64   `json:"wall_s"`
	Time         time.Time `json:"time"`
}

// metricsLog appends events to metrics.jsonl.
type metricsLog struct {
	f *os.File
}

// openMetrics opens the log for appending; truncateTo cuts events written after the checkpoint
// being resumed (they describe steps that will be redone).
func openMetrics(dir string, truncateTo int64) (*metricsLog, error) {
	f, err := os.OpenFile(filepath.Join(dir, MetricsFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if truncateTo >= 0 {
		if err := f.Truncate(truncateTo); err != nil {
			f.Close()
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	if _, err := f.Seek(0, 2); err != nil {
		f.Close()
		return nil, fmt.Errorf("train: %w", err)
	}
	return &metricsLog{f: f}, nil
}

func (m *metricsLog) write(e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	if _, err := m.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	return nil
}

func (m *metricsLog) offset() int64 {
	off, err := m.f.Seek(0, 1)
	if err != nil {
		return -1
	}
	return off
}

func (m *metricsLog) close() error { return m.f.Close() }

// ReadEvents reads a run's metrics.jsonl (see ParseEvents); a torn last line is left out.
func ReadEvents(dir string) ([]Event, error) {
	events, _, err := ReadEventsWarn(dir)
	return events, err
}

// ReadEventsWarn reads a run's metrics.jsonl like ReadEvents and also returns the warning
// about a torn last line, "" when there is none.
func ReadEventsWarn(dir string) ([]Event, string, error) {
	path := filepath.Join(dir, MetricsFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("train: %w", err)
	}
	return ParseEvents(path, raw)
}

// ParseEvents parses metrics.jsonl text, one JSON event a line; name names the file in
// errors. A line that does not parse is an error naming file:line, except the last line when
// it has no newline: a writer killed in the middle of a line leaves it torn, and it is left
// out with a warning instead. Blank lines are skipped.
func ParseEvents(name string, raw []byte) ([]Event, string, error) {
	var events []Event
	line := 0
	for len(raw) > 0 {
		line++
		text, rest, complete := bytes.Cut(raw, []byte("\n"))
		raw = rest
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(text, &e); err != nil {
			if !complete {
				return events, fmt.Sprintf("%s:%d: torn last line left out (%d bytes, no newline: the writer was stopped mid-line)",
					name, line, len(text)), nil
			}
			return events, "", fmt.Errorf("train: %s:%d: %w", name, line, err)
		}
		events = append(events, e)
	}
	return events, "", nil
}

// Summary is summary.json: the result of a finished (or stopped) run.
type Summary struct {
	Experiment string            `json:"experiment"`
	Labels     map[string]string `json:"labels,omitempty"`
	Seed       uint64            `json:"seed"`
	RunDir     string            `json:"run_dir"`
	Device     string            `json:"device"`
	Params     int               `json:"params"`
	Epochs     int               `json:"epochs"`
	Steps      int               `json:"steps"`
	// Selection is the validation metric that picked the best model.
	Selection string  `json:"selection"`
	BestEpoch int     `json:"best_epoch"`
	BestStep  int     `json:"best_step"`
	Valid     Metrics `json:"valid,omitempty"`
	Test      Metrics `json:"test,omitempty"`
	// TrainSeconds excludes evaluation; SecondsPerEpoch is the median over completed epochs.
	TrainSeconds    float64 `json:"train_seconds"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	ItemsPerSecond  float64 `json:"items_per_second"`
	Stopped         string  `json:"stopped,omitempty"`
}

// WriteSummary writes summary.json atomically.
func WriteSummary(dir string, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+SummaryFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, SummaryFile))
}

// ReadSummary reads a run's summary.json.
func ReadSummary(dir string) (*Summary, error) {
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("train: %s: %w", filepath.Join(dir, SummaryFile), err)
	}
	return &s, nil
}
