package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes one JSON object per row, one per line.
func WriteJSON(w io.Writer, rows []Row) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("bench: writing JSON: %w", err)
		}
	}
	return nil
}

// displayName is a model's name in tables and charts.
func displayName(model string) string {
	switch model {
	case "sru":
		return "SRU"
	case "lstm":
		return "LSTM"
	case "cnn":
		return fmt.Sprintf("CNN (w=%d)", ConvWidth)
	}
	return model
}

func (r *Row) size() Size {
	return Size{L: r.L, B: r.B, D: r.D, Layers: r.Layers, Bidirectional: r.Bidirectional}
}

// WriteTable writes the report as an aligned text table, then the speed of SRU relative to the
// others at each size.
func WriteTable(w io.Writer, rep *Report) error {
	m := rep.Machine
	fmt.Fprintf(w, "device: %s\n", m.Device)
	fmt.Fprintf(w, "machine peak: %.1f GFLOP/s (%s GEMM %d³), copy %.1f GB/s\n",
		m.PeakGFLOP, m.Precision, m.PeakN, m.CopyGBps)
	fmt.Fprintf(w, "times: median of the timed steps [p25–p75] in ms; GEMM = the model's GEMMs alone; "+
		"rest = fwd+bwd − GEMM; others = CPU share of other processes meanwhile\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	io.WriteString(tw, "model\tL\tB\tD\tlayers\tdir\tfwd ms\t[p25–p75]\tfwd+bwd ms\t[p25–p75]\tGEMM ms\t"+
		"GEMM %peak\tGFLOP/s\t%peak\trest ms\trest GB/s\t%copy\tn\tothers\t\n")
	for _, r := range rep.Rows {
		dir := "uni"
		if r.Bidirectional {
			dir = "bi"
		}
		rest := "-\t-"
		if r.RestGBps > 0 {
			rest = fmt.Sprintf("%.1f\t%.0f%%", r.RestGBps, r.RestPctBW)
		}
		others := "?"
		if r.OtherCPUPct >= 0 {
			others = fmt.Sprintf("%.0f%%", r.OtherCPUPct)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f%%\t%.1f\t%.0f%%\t%s\t%s\t%d\t%s\t\n",
			displayName(r.Model), r.L, r.B, r.D, r.Layers, dir,
			msStr(r.FwdMs), iqr(r.Fwd), msStr(r.FwdBwdMs), iqr(r.FwdBwd), msStr(r.GemmMs),
			r.GemmPctPeak, r.GFLOPS, r.PctPeak, msStr(r.RestMs), rest, r.FwdBwd.N, others)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	ratios := Ratios(rep.Rows)
	if len(ratios) > 0 {
		fmt.Fprintln(w, "\nSRU speed-up (other model's time / SRU's time, medians of this run):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, q := range ratios {
			fmt.Fprintf(tw, "  %v\t%s\tfwd %.2fx\tfwd+bwd %.2fx\n", q.Size, displayName(q.Other), q.Fwd, q.FwdBwd)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// Ratio is another model's median time over SRU's at one size.
type Ratio struct {
	Size        Size
	Other       string
	Fwd, FwdBwd float64
}

// Ratios compares every non-SRU row with the SRU row of the same size.
func Ratios(rows []Row) []Ratio {
	var out []Ratio
	for _, s := range rows {
		if s.Model != "sru" || s.FwdMs <= 0 || s.FwdBwdMs <= 0 {
			continue
		}
		for _, o := range rows {
			if o.Model == "sru" || o.size() != s.size() {
				continue
			}
			out = append(out, Ratio{Size: s.size(), Other: o.Model, Fwd: o.FwdMs / s.FwdMs, FwdBwd: o.FwdBwdMs / s.FwdBwdMs})
		}
	}
	return out
}

func msStr(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func iqr(s Stats) string {
	return "[" + strings.TrimSpace(msStr(s.P25)) + "–" + strings.TrimSpace(msStr(s.P75)) + "]"
}
