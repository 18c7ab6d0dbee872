package report

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The figures' file names, without extension, in FigureOptions.Dir.
const (
	ValidFigure = "valid_vs_time"
	LossFigure  = "loss"
)

// The panel layouts of FigureOptions.Panel.
const (
	PanelByDataset = "dataset" // one panel per dataset (the default)
	PanelAll       = "all"     // every run in one panel
)

// FigureOptions say where and how WriteFigures draws.
type FigureOptions struct {
	Dir     string   // created when missing
	Formats []string // "png", "svg"
	// LossBySteps puts training steps, not training seconds, on the loss figure's x axis.
	LossBySteps bool
	// ValidBySteps does the same for the validation figure: for runs that shared a machine,
	// whose clocks cannot be compared.
	ValidBySteps bool
	// Panel is PanelByDataset ("" too) or PanelAll: every run in one panel, each its own
	// legend entry labelled by its experiment.
	Panel string
	// StepSeconds, when not empty, draws every time axis as steps × the seconds per step
	// measured alone for the run's experiment (Curves.Experiment): the other answer for runs
	// that shared a machine. A run drawn on a time axis without an entry is an error.
	StepSeconds map[string]float64
}

// Formats parses a --format value: png, svg or both.
func Formats(s string) ([]string, error) {
	switch s {
	case "png", "svg":
		return []string{s}, nil
	case "both":
		return []string{"png", "svg"}, nil
	}
	return nil, fmt.Errorf("report: format %q: want png, svg or both", s)
}

// WriteFigures draws two figures, one panel per dataset (or one for all runs) and one line per
// run coloured by model, runs of one model in a panel told apart by dashes and markers: the
// validation metric against training time (the paper's Figure 3) and the training loss. It
// returns the files written and the runs left out of a figure for want of events; a figure no
// run can be drawn in is not written, and it is an error when neither can be.
func WriteFigures(runs []*Curves, o FigureOptions) (written []string, skipped []Skipped, err error) {
	for _, f := range o.Formats {
		if f != "png" && f != "svg" {
			return nil, nil, fmt.Errorf("report: format %q: want png or svg", f)
		}
	}
	if len(o.Formats) == 0 {
		return nil, nil, fmt.Errorf("report: no figure format")
	}
	figs, skipped, err := buildFigures(runs, o)
	if err != nil {
		return nil, skipped, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	for _, fig := range figs {
		for _, ext := range o.Formats {
			path := filepath.Join(o.Dir, fig.name+"."+ext)
			if err := fig.write(path, ext); err != nil {
				return written, skipped, err
			}
			written = append(written, path)
		}
	}
	return written, skipped, nil
}

// buildFigures lays out the figures WriteFigures draws, those with at least one panel.
func buildFigures(runs []*Curves, o FigureOptions) (figs []*figure, skipped []Skipped, err error) {
	if o.Panel != "" && o.Panel != PanelByDataset && o.Panel != PanelAll {
		return nil, nil, fmt.Errorf("report: panel %q: want %s or %s", o.Panel, PanelByDataset, PanelAll)
	}
	var colors modelColors
	for _, r := range runs {
		colors.add(r.Model)
	}
	onePanel := o.Panel == PanelAll
	validX, lossX := o.axis(o.ValidBySteps), o.axis(o.LossBySteps)
	valid := &figure{name: ValidFigure, x: validX, onePanel: onePanel, colors: &colors}
	loss := &figure{name: LossFigure, x: lossX, yLabel: "training loss", onePanel: onePanel, colors: &colors}
	for _, r := range runs {
		if len(r.Valid) == 0 {
			skipped = append(skipped, Skipped{Dir: r.Dir, Reason: ValidFigure + ": no validation " + r.Metric + " events"})
		} else if err := valid.add(r, r.Valid, "valid "+r.Metric); err != nil {
			return nil, nil, err
		}
		if len(r.Loss) == 0 {
			skipped = append(skipped, Skipped{Dir: r.Dir, Reason: LossFigure + ": no training loss events"})
		} else if err := loss.add(r, r.Loss, "training loss"); err != nil {
			return nil, nil, err
		}
	}
	valid.title = "Validation " + valid.metricName() + " against training time"
	if o.ValidBySteps {
		valid.title = "Validation " + valid.metricName() + " against training steps"
	}
	loss.title = "Training loss against training "
	if o.LossBySteps {
		loss.title += "steps"
	} else {
		loss.title += "time"
	}
	for _, fig := range []*figure{valid, loss} {
		if len(fig.panels) > 0 {
			if err := fig.layout(); err != nil {
				return nil, skipped, err
			}
			figs = append(figs, fig)
		}
	}
	if len(figs) == 0 {
		return nil, skipped, fmt.Errorf("report: nothing to draw: no run has validation or training events")
	}
	return figs, skipped, nil
}

// xAxis is what a figure's x axis shows: training steps, the training seconds the runs logged,
// or steps × a step time measured alone per experiment.
type xAxis struct {
	bySteps     bool
	stepSeconds map[string]float64
}

func (o FigureOptions) axis(bySteps bool) xAxis {
	return xAxis{bySteps: bySteps, stepSeconds: o.StepSeconds}
}

func (a xAxis) label() string {
	switch {
	case a.bySteps:
		return "training step"
	case len(a.stepSeconds) > 0:
		return "training time at the measured step time (s)"
	}
	return "training time (s)"
}

// xys places a run's points on the axis; a run with no measured step time, where the axis
// wants one, is an error.
func (a xAxis) xys(r *Curves, pts []Point) (plotter.XYs, error) {
	perStep := 0.0
	if !a.bySteps && len(a.stepSeconds) > 0 {
		s, ok := a.stepSeconds[r.Experiment]
		if !ok {
			return nil, fmt.Errorf("report: %s: experiment %q has no --step-seconds entry (give %s=SECONDS)", r.Dir, r.Experiment, r.Experiment)
		}
		perStep = s
	}
	xys := make(plotter.XYs, len(pts))
	for i, pt := range pts {
		switch {
		case a.bySteps:
			xys[i].X = float64(pt.Step)
		case perStep > 0:
			xys[i].X = float64(pt.Step) * perStep
		default:
			xys[i].X = pt.Seconds
		}
		xys[i].Y = pt.Value
	}
	return xys, nil
}

// figure collects the panels of one figure, one per dataset in order of appearance (or one).
type figure struct {
	name, title, yLabel string
	x                   xAxis
	onePanel            bool
	colors              *modelColors
	panels              []*panel
}

type panel struct {
	dataset, yLabel string
	curves          []curve
	plot            *plot.Plot
	legend          []legendEntry
	first, last     float64 // sums of the runs' first and last values, to place the legend
}

// curve is one run's line in a panel.
type curve struct {
	run *Curves
	xys plotter.XYs
}

// legendEntry is one run's entry: its label, and the look its line got.
type legendEntry struct {
	label   string
	variant int // among the panel's runs of its model, in order of appearance: 0 solid
	thumbs  []plot.Thumbnailer
}

// add puts one run's curve in the panel of its dataset (the one panel when onePanel).
func (f *figure) add(r *Curves, pts []Point, yLabel string) error {
	key := r.Dataset
	if f.onePanel {
		key = ""
	}
	var p *panel
	for _, q := range f.panels {
		if q.dataset == key {
			p = q
		}
	}
	if p == nil {
		p = &panel{dataset: key, yLabel: yLabel}
		f.panels = append(f.panels, p)
	}
	if p.yLabel != yLabel {
		where := r.Dataset
		if f.onePanel {
			where = "the one panel"
		}
		return fmt.Errorf("report: %s: the runs on %s show different metrics (%s, %s); pick one with --metric",
			f.name, where, p.yLabel, yLabel)
	}
	xys, err := f.x.xys(r, pts)
	if err != nil {
		return err
	}
	p.curves = append(p.curves, curve{run: r, xys: xys})
	p.first += pts[0].Value
	p.last += pts[len(pts)-1].Value
	return nil
}

// layout draws the panels' curves and makes their legends.
func (f *figure) layout() error {
	for _, p := range f.panels {
		p.plot = plot.New()
		p.plot.Title.Text = p.title()
		p.plot.X.Label.Text = f.x.label()
		p.plot.Y.Label.Text = p.yLabel
		p.plot.X.Min = 0
		p.plot.Add(plotter.NewGrid())
		labels, variants := p.labels(f.onePanel)
		p.legend = p.legend[:0]
		for i, c := range p.curves {
			col := f.colors.of(c.run.Model)
			dashes := variantDashes[variants[i]%len(variantDashes)]
			var thumbs []plot.Thumbnailer
			if len(c.xys) > 40 { // a dense curve: markers would hide it
				l, err := plotter.NewLine(c.xys)
				if err != nil {
					return fmt.Errorf("report: %s: %w", c.run.Dir, err)
				}
				l.Color, l.Width, l.Dashes = col, vg.Points(1), dashes
				p.plot.Add(l)
				thumbs = []plot.Thumbnailer{l}
			} else {
				l, s, err := plotter.NewLinePoints(c.xys)
				if err != nil {
					return fmt.Errorf("report: %s: %w", c.run.Dir, err)
				}
				l.Color, l.Width, l.Dashes = col, vg.Points(1), dashes
				s.Color, s.Shape, s.Radius = col, variantShapes[variants[i]%len(variantShapes)], vg.Points(1.5)
				p.plot.Add(l, s)
				thumbs = []plot.Thumbnailer{l, s}
			}
			p.legend = append(p.legend, legendEntry{label: labels[i], variant: variants[i], thumbs: thumbs})
		}
		// The paper's models first, each model's runs in order of appearance.
		order := make([]int, len(p.curves))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return modelOrder(p.curves[a].run.Model, p.curves[b].run.Model) })
		sorted := make([]legendEntry, len(order))
		for i, j := range order {
			sorted[i] = p.legend[j]
		}
		p.legend = sorted
	}
	return nil
}

// title is the panel's dataset; the one panel of all runs is named by their dataset when they
// share one.
func (p *panel) title() string {
	if p.dataset != "" {
		return p.dataset
	}
	for _, c := range p.curves[1:] {
		if c.run.Dataset != p.curves[0].run.Dataset {
			return "all runs"
		}
	}
	return p.curves[0].run.Dataset
}

// labels names each curve's legend entry and numbers it among the panel's runs of its model.
// A model's only run in a panel by dataset is named by the model; otherwise a run is named by
// its experiment, with its run directory when the panel shows two runs of that experiment.
func (p *panel) labels(byExperiment bool) (labels []string, variants []int) {
	perModel := map[string]int{}
	perExperiment := map[string]int{}
	for _, c := range p.curves {
		perModel[c.run.Model]++
		perExperiment[c.run.Experiment]++
	}
	seen := map[string]int{}
	for _, c := range p.curves {
		variants = append(variants, seen[c.run.Model])
		seen[c.run.Model]++
		switch {
		case !byExperiment && perModel[c.run.Model] == 1:
			labels = append(labels, displayName(c.run.Model))
		case perExperiment[c.run.Experiment] > 1:
			labels = append(labels, c.run.Experiment+"/"+filepath.Base(c.run.Dir))
		default:
			labels = append(labels, c.run.Experiment)
		}
	}
	return labels, variants
}

// The dash patterns and marker shapes that tell apart the runs of one model in a panel.
var (
	variantDashes = [][]vg.Length{
		nil,                            // solid
		{vg.Points(5), vg.Points(2.5)}, // dashed
		{vg.Points(1), vg.Points(2)},   // dotted
		{vg.Points(5), vg.Points(2), vg.Points(1), vg.Points(2)}, // dash-dot
		{vg.Points(9), vg.Points(3)},                             // long dashes
		{vg.Points(2.5), vg.Points(2.5)},                         // short dashes
	}
	variantShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{},
		draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}
)

// metricName is the y label all panels share, or "metric" when they differ.
func (f *figure) metricName() string {
	if len(f.panels) == 0 {
		return "metric"
	}
	name := strings.TrimPrefix(f.panels[0].yLabel, "valid ")
	for _, p := range f.panels {
		if strings.TrimPrefix(p.yLabel, "valid ") != name {
			return "metric"
		}
	}
	return name
}

// write draws the panels in a grid of up to three columns under the title.
func (f *figure) write(path, ext string) error {
	panelW, panelH, titleH := 3.4*vg.Inch, 2.8*vg.Inch, 0.4*vg.Inch
	if f.onePanel { // room for a legend entry per run
		panelW, panelH = 6*vg.Inch, 4.2*vg.Inch
	}
	cols := min(len(f.panels), 3)
	rows := (len(f.panels) + cols - 1) / cols
	w, h := vg.Length(cols)*panelW, vg.Length(rows)*panelH+titleH
	var canvas vg.CanvasWriterTo
	if ext == "png" {
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(150))}
	} else {
		canvas = vgsvg.New(w, h)
	}
	dc := draw.New(canvas)
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(12)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Millimeter}, f.title)
	dc.Max.Y -= titleH

	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range f.panels {
		p.plot.Legend = plot.NewLegend() // drawn anew for each format
		p.plot.Legend.TextStyle.Font.Size = vg.Points(9)
		for _, e := range p.legend {
			p.plot.Legend.Add(e.label, e.thumbs...)
		}
		// A rising curve (accuracy) leaves the lower right free, a falling one (loss,
		// perplexity) the upper right.
		p.plot.Legend.Top = p.last < p.first
		grid[i/cols][i%cols] = p.plot
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 4 * vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	cells := plot.Align(grid, tiles, dc)
	for i, p := range f.panels {
		p.plot.Draw(cells[i/cols][i%cols])
	}

	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err := canvas.WriteTo(file); err != nil {
		file.Close()
		return fmt.Errorf("report: %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// modelColors gives each model one colour in every figure: the paper's three fixed (as in
// sru bench's chart), the others from gonum's palette in order of appearance.
type modelColors struct{ others []string }

func (c *modelColors) add(model string) {
	if _, fixed := paperColors[model]; !fixed && !slices.Contains(c.others, model) {
		c.others = append(c.others, model)
	}
}

func (c *modelColors) of(model string) color.Color {
	if col, ok := paperColors[model]; ok {
		return col
	}
	return plotutil.Color(3 + slices.Index(c.others, model))
}

var paperColors = map[string]color.Color{
	"sru":  color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	"lstm": color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
	"cnn":  color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
}
