package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes one JSON object per group, one per line.
func (t *Table) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, g := range t.Groups {
		if err := enc.Encode(g); err != nil {
			return fmt.Errorf("report: writing JSON: %w", err)
		}
	}
	return nil
}

// WriteText writes the table aligned in columns, then its footnotes.
func (t *Table) WriteText(w io.Writer) error {
	cells := t.cells()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range cells {
		io.WriteString(tw, strings.Join(row, "\t")+"\n") // no tab after the last cell: no trailing blanks
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if len(t.footnotes()) > 0 {
		io.WriteString(w, "\n")
	}
	return t.writeFootnotes(w)
}

// WriteMarkdown writes the table as GitHub markdown (for docs/results/*.md), then its
// footnotes.
func (t *Table) WriteMarkdown(w io.Writer) error {
	cells := t.cells()
	var b strings.Builder
	for i, row := range cells {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteString("\n")
		if i == 0 {
			b.WriteString("|")
			for j := range row {
				if h := cells[0][j]; h == "dataset" || h == "metric" { // names left, numbers right
					b.WriteString("---|")
				} else {
					b.WriteString("---:|")
				}
			}
			b.WriteString("\n")
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, n := range t.footnotes() { // a paragraph each: markdown joins adjacent lines
		if _, err := fmt.Fprintf(w, "\n%s\n", n); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// cells lays the table out, header first: one row per dataset and metric, and per model its
// metric (mean ± std, n), its seconds per epoch and (with SRU in the table) its time over SRU's.
func (t *Table) cells() [][]string {
	type rowKey struct{ dataset, metric string }
	var rows []rowKey
	var models []string
	hasSRU := false
	for _, g := range t.Groups {
		if k := (rowKey{g.Dataset, g.Metric}); !slices.Contains(rows, k) {
			rows = append(rows, k)
		}
		if !slices.Contains(models, g.Model) {
			models = append(models, g.Model)
		}
		hasSRU = hasSRU || g.Model == "sru"
	}
	slices.SortFunc(models, modelOrder)
	oneMetric := true
	for _, r := range rows {
		oneMetric = oneMetric && r.metric == rows[0].metric
	}

	header := []string{"dataset"}
	if !oneMetric {
		header = append(header, "metric")
	}
	for _, m := range models {
		name := displayName(m)
		if oneMetric && len(rows) > 0 {
			name += " " + rows[0].metric
		}
		header = append(header, name, "s/epoch")
		if hasSRU && m != "sru" {
			header = append(header, "time/SRU")
		}
	}
	out := [][]string{header}
	for _, r := range rows {
		line := []string{r.dataset}
		if !oneMetric {
			line = append(line, r.metric)
		}
		for _, m := range models {
			g := t.find(r.dataset, m)
			if g != nil && g.Metric != r.metric {
				g = nil
			}
			withRatio := hasSRU && m != "sru"
			if g == nil {
				line = append(line, "-", "-")
				if withRatio {
					line = append(line, "-")
				}
				continue
			}
			line = append(line, statCell(g), secondsCell(g.SecondsPerEpoch))
			if withRatio {
				line = append(line, ratioCell(g.SpeedRatio))
			}
		}
		out = append(out, line)
	}
	return out
}

// statCell is "mean ± std (n=N)"; a value from the valid split is starred (see footnotes).
func statCell(g *Group) string {
	if g.N == 0 {
		return "-"
	}
	prec := decimals(g.Mean)
	s := fmt.Sprintf("%.*f", prec, g.Mean)
	if g.N > 1 {
		s += fmt.Sprintf(" ± %.*f", prec, g.Std)
	}
	s += fmt.Sprintf(" (n=%d)", g.N)
	if g.Split != "test" {
		s += "*"
	}
	return s
}

// decimals keeps about four significant digits: accuracies (0.9281) and perplexities (62.31)
// alike.
func decimals(v float64) int {
	switch a := math.Abs(v); {
	case a >= 1000:
		return 1
	case a >= 10:
		return 2
	}
	return 4
}

func secondsCell(s float64) string {
	switch {
	case s <= 0:
		return "-"
	case s >= 100:
		return fmt.Sprintf("%.0f", s)
	case s >= 10:
		return fmt.Sprintf("%.1f", s)
	}
	return fmt.Sprintf("%.2f", s)
}

func ratioCell(r float64) string {
	if r <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

// footnotes explain the table's columns and marks.
func (t *Table) footnotes() []string {
	if len(t.Groups) == 0 {
		return nil
	}
	n := "mean ± sample std over the runs (folds/seeds) on the test split; s/epoch: median over the runs"
	hasSRU := slices.ContainsFunc(t.Groups, func(g Group) bool { return g.Model == "sru" })
	if hasSRU && slices.ContainsFunc(t.Groups, func(g Group) bool { return g.Model != "sru" }) {
		n += "; time/SRU: s/epoch over SRU's on the same dataset"
	}
	notes := []string{n}
	if slices.ContainsFunc(t.Groups, func(g Group) bool { return g.Split != "test" && g.N > 0 }) {
		notes = append(notes, "*: on the valid split (the runs have no test result)")
	}
	return notes
}

func (t *Table) writeFootnotes(w io.Writer) error {
	for _, n := range t.footnotes() {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}
