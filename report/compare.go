package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gosru/gosru/train"
)

// Group aggregates the finished runs of one model on one dataset (its folds or seeds).
type Group struct {
	Dataset string `json:"dataset"`
	Model   string `json:"model"`
	// Metric is the runs' selection metric; Split is where its values come from: "test", or
	// "valid" when no run of the group has a test result.
	Metric string `json:"metric"`
	Split  string `json:"split"`
	// Mean and Std (sample standard deviation, 0 for one run) are over the N runs that have
	// the metric on Split.
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	N    int     `json:"n"`
	// SecondsPerEpoch is the median over runs of their median training seconds per epoch
	// (0 when no run completed an epoch); SpeedRatio is it divided by SRU's on the same
	// dataset (0 without SRU there): how many times slower than SRU.
	SecondsPerEpoch float64  `json:"seconds_per_epoch"`
	SpeedRatio      float64  `json:"speed_ratio,omitempty"`
	Runs            []string `json:"runs"`
	Devices         []string `json:"devices"`
	// Variant names the settings of this group's runs where the runs of its dataset and
	// model differ (e.g. "train.epochs=3"): such runs are grouped apart, and Dataset then
	// carries the variant in parentheses. Empty when all the runs share their settings.
	Variant string `json:"variant,omitempty"`
}

// Table is the comparison of models across datasets.
type Table struct {
	// Groups are ordered by dataset (first appearance), then model (SRU, LSTM, CNN, others).
	Groups  []Group
	Skipped []Skipped
	// Notes say what a reader of the numbers must know (mixed devices, runs left out of a mean).
	Notes []string
}

// Compare reads the summary.json of each run directory and aggregates them; runs without one
// (unfinished) are listed in the table's Skipped. The runs' config.toml splits a dataset and
// model's runs into groups of equal settings (seed and fold aside), and names repeated seeds.
func Compare(dirs []string) (*Table, error) {
	var sums []*train.Summary
	var skipped []Skipped
	settings := map[string]runSettings{}
	for _, d := range dirs {
		s, err := readSummary(d)
		if err != nil {
			return nil, err
		}
		if s == nil {
			skipped = append(skipped, Skipped{Dir: d, Reason: "unfinished (no " + train.SummaryFile + ")"})
			continue
		}
		s.RunDir = d // where it was found: the run may have moved since it was written
		sums = append(sums, s)
		set, fold, err := readSettings(d)
		if err != nil {
			return nil, err
		}
		settings[d] = runSettings{set, fold}
	}
	t, err := aggregate(sums, settings)
	if err != nil {
		return nil, err
	}
	t.Skipped = append(skipped, t.Skipped...)
	return t, nil
}

// Aggregate groups run summaries by (dataset, model) and computes each group's statistics.
// Summary.RunDir names the runs. Runs in one group that select different metrics are an
// error: averaging them would be meaningless.
func Aggregate(sums []*train.Summary) (*Table, error) {
	return aggregate(sums, nil)
}

// runSettings are a run's settings without seed and fold, and its fold ("" when none).
type runSettings struct {
	settings Settings
	fold     string
}

func aggregate(sums []*train.Summary, settings map[string]runSettings) (*Table, error) {
	type key struct{ dataset, model string }
	t := &Table{}
	var datasets []string
	members := map[key][]*train.Summary{}
	for _, s := range sums {
		if s.Selection == "" {
			t.Skipped = append(t.Skipped, Skipped{Dir: s.RunDir, Reason: "summary names no selection metric"})
			continue
		}
		if _, ok := s.Test[s.Selection]; !ok {
			if _, ok := s.Valid[s.Selection]; !ok {
				t.Skipped = append(t.Skipped, Skipped{Dir: s.RunDir, Reason: "no test or valid " + s.Selection + " in the summary"})
				continue
			}
		}
		d, m := identify(s.Experiment, s.Labels)
		if !slices.Contains(datasets, d) {
			datasets = append(datasets, d)
		}
		members[key{d, m}] = append(members[key{d, m}], s)
	}
	var devices []string
	for _, d := range datasets {
		var models []string
		for k := range members {
			if k.dataset == d {
				models = append(models, k.model)
			}
		}
		slices.SortFunc(models, modelOrder)
		for _, m := range models {
			for _, sub := range bySettings(d, m, members[key{d, m}], settings, &t.Notes) {
				g, notes, err := aggregateGroup(d, m, sub.runs)
				if err != nil {
					return nil, err
				}
				if sub.variant != "" {
					g.Variant = sub.variant
					g.Dataset = d + " (" + sub.variant + ")"
				}
				t.Groups = append(t.Groups, g)
				t.Notes = append(t.Notes, notes...)
				for _, dev := range g.Devices {
					if !slices.Contains(devices, dev) {
						devices = append(devices, dev)
					}
				}
			}
		}
	}
	for i := range t.Groups {
		g := &t.Groups[i]
		if sru := t.find(g.Dataset, "sru"); sru != nil && sru.SecondsPerEpoch > 0 && g.SecondsPerEpoch > 0 {
			g.SpeedRatio = g.SecondsPerEpoch / sru.SecondsPerEpoch
		}
	}
	if len(devices) > 1 {
		t.Notes = append(t.Notes, "the times come from different devices ("+strings.Join(devices, "; ")+"): their ratios compare machines as well as models")
	}
	return t, nil
}

type settingsGroup struct {
	variant string
	runs    []*train.Summary
}

// bySettings splits the runs of one dataset and model into groups of equal settings (a
// group's variant names its values of the settings that differ) and notes the split and any
// seed that appears more than once in a group.
func bySettings(dataset, model string, runs []*train.Summary, settings map[string]runSettings, notes *[]string) []settingsGroup {
	var keys []string
	groups := map[string][]*train.Summary{}
	sets := map[string]Settings{}
	for _, s := range runs {
		set := settings[s.RunDir].settings
		k := set.key()
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
			sets[k] = set
		}
		groups[k] = append(groups[k], s)
	}
	name := dataset + " " + displayName(model)
	var diff []string
	if len(keys) > 1 {
		all := make([]Settings, len(keys))
		for i, k := range keys {
			all[i] = sets[k]
		}
		diff = differing(all)
		*notes = append(*notes, fmt.Sprintf("%s: the runs differ in %s; they are grouped apart, not pooled",
			name, strings.Join(diff, ", ")))
	}
	var out []settingsGroup
	for _, k := range keys {
		g := settingsGroup{runs: groups[k]}
		if len(keys) > 1 {
			g.variant = variantName(sets[k], diff)
		}
		seen := map[string][]string{}
		var order []string
		for _, s := range g.runs {
			if settings[s.RunDir].settings == nil {
				continue // no config.toml (or bare summaries): seeds are not checked
			}
			fold := settings[s.RunDir].fold
			if fold == "" {
				fold = s.Labels["fold"]
			}
			id := fmt.Sprintf("seed %d", s.Seed)
			if fold != "" {
				id += " fold " + fold
			}
			if _, ok := seen[id]; !ok {
				order = append(order, id)
			}
			seen[id] = append(seen[id], s.RunDir)
		}
		for _, id := range order {
			if dirs := seen[id]; len(dirs) > 1 {
				label := name
				if g.variant != "" {
					label += " (" + g.variant + ")"
				}
				*notes = append(*notes, fmt.Sprintf("%s: %s appears in %d runs (%s): repeats of one seed are not independent samples, yet n counts each",
					label, id, len(dirs), strings.Join(dirs, ", ")))
			}
		}
		out = append(out, g)
	}
	slices.SortStableFunc(out, func(a, b settingsGroup) int { return strings.Compare(a.variant, b.variant) })
	return out
}

func aggregateGroup(dataset, model string, runs []*train.Summary) (Group, []string, error) {
	g := Group{Dataset: dataset, Model: model, Metric: runs[0].Selection, Split: "valid"}
	var notes []string
	for _, s := range runs {
		if s.Selection != g.Metric {
			return g, nil, fmt.Errorf("report: %s %s: runs select different metrics (%s in %s, %s in %s)",
				dataset, model, g.Metric, runs[0].RunDir, s.Selection, s.RunDir)
		}
		if _, ok := s.Test[g.Metric]; ok {
			g.Split = "test"
		}
	}
	var values, secs []float64
	for _, s := range runs {
		g.Runs = append(g.Runs, s.RunDir)
		if s.Device != "" && !slices.Contains(g.Devices, s.Device) {
			g.Devices = append(g.Devices, s.Device)
		}
		if s.SecondsPerEpoch > 0 {
			secs = append(secs, s.SecondsPerEpoch)
		}
		m := s.Valid
		if g.Split == "test" {
			m = s.Test
		}
		if v, ok := m[g.Metric]; ok {
			values = append(values, v)
		} else {
			notes = append(notes, fmt.Sprintf("%s: no test %s while the other %s %s runs have one; left out of the mean",
				s.RunDir, g.Metric, dataset, model))
		}
	}
	g.N = len(values)
	g.Mean, g.Std = meanStd(values)
	if len(secs) > 0 {
		g.SecondsPerEpoch = median(secs)
	}
	return g, notes, nil
}

// find returns the group of model on dataset, or nil.
func (t *Table) find(dataset, model string) *Group {
	for i := range t.Groups {
		if t.Groups[i].Dataset == dataset && t.Groups[i].Model == model {
			return &t.Groups[i]
		}
	}
	return nil
}

// meanStd returns the mean and the sample standard deviation (n−1: the runs are a sample of
// folds or seeds), 0 for a single value.
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) == 1 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
