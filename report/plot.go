package report

import (
	"fmt"
	"image/color"
	"maps"
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

// FigureOptions say where and how WriteFigures draws.
type FigureOptions struct {
	Dir     string   // created when missing
	Formats []string // "png", "svg"
	// LossBySteps puts training steps, not training seconds, on the loss figure's x axis.
	LossBySteps bool
	// ValidBySteps does the same for the validation figure: for runs that shared a machine,
	// whose clocks cannot be compared.
	ValidBySteps bool
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

// WriteFigures draws two figures, one panel per dataset and one line per run coloured by model:
// the validation metric against training time (the paper's Figure 3) and the training loss. It
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
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	var colors modelColors
	for _, r := range runs {
		colors.add(r.Model)
	}

	valid := figure{name: ValidFigure, xLabel: "training time (s)", colors: &colors}
	loss := figure{name: LossFigure, xLabel: "training time (s)", yLabel: "training loss", colors: &colors}
	if o.LossBySteps {
		loss.xLabel = "training step"
	}
	if o.ValidBySteps {
		valid.xLabel = "training step"
	}
	for _, r := range runs {
		if len(r.Valid) == 0 {
			skipped = append(skipped, Skipped{Dir: r.Dir, Reason: ValidFigure + ": no validation " + r.Metric + " events"})
		} else if err := valid.add(r, r.Valid, "valid "+r.Metric, o.ValidBySteps); err != nil {
			return nil, nil, err
		}
		if len(r.Loss) == 0 {
			skipped = append(skipped, Skipped{Dir: r.Dir, Reason: LossFigure + ": no training loss events"})
		} else if err := loss.add(r, r.Loss, "training loss", o.LossBySteps); err != nil {
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
	if len(valid.panels) == 0 && len(loss.panels) == 0 {
		return nil, skipped, fmt.Errorf("report: nothing to draw: no run has validation or training events")
	}
	for _, fig := range []*figure{&valid, &loss} {
		if len(fig.panels) == 0 {
			continue
		}
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

// figure collects the panels of one figure, one per dataset in order of appearance.
type figure struct {
	name, title, xLabel, yLabel string
	colors                      *modelColors
	panels                      []*panel
}

type panel struct {
	dataset, yLabel string
	plot            *plot.Plot
	legend          map[string]plot.Thumbnailer // a line of each model
	first, last     float64                     // sums of the runs' first and last values, to place the legend
}

// add draws one run's curve in the panel of its dataset.
func (f *figure) add(r *Curves, pts []Point, yLabel string, bySteps bool) error {
	var p *panel
	for _, q := range f.panels {
		if q.dataset == r.Dataset {
			p = q
		}
	}
	if p == nil {
		p = &panel{dataset: r.Dataset, yLabel: yLabel, plot: plot.New(), legend: map[string]plot.Thumbnailer{}}
		p.plot.Title.Text = r.Dataset
		p.plot.X.Label.Text = f.xLabel
		p.plot.Y.Label.Text = yLabel
		p.plot.X.Min = 0
		p.plot.Add(plotter.NewGrid())
		f.panels = append(f.panels, p)
	}
	if p.yLabel != yLabel {
		return fmt.Errorf("report: %s: the runs on %s show different metrics (%s, %s); pick one with --metric",
			f.name, r.Dataset, p.yLabel, yLabel)
	}
	xys := make(plotter.XYs, len(pts))
	for i, pt := range pts {
		xys[i].X, xys[i].Y = pt.Seconds, pt.Value
		if bySteps {
			xys[i].X = float64(pt.Step)
		}
	}
	c := f.colors.of(r.Model)
	var thumb plot.Thumbnailer
	if len(pts) > 40 { // a dense curve: markers would hide it
		l, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("report: %s: %w", r.Dir, err)
		}
		l.Color, l.Width = c, vg.Points(1)
		p.plot.Add(l)
		thumb = l
	} else {
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return fmt.Errorf("report: %s: %w", r.Dir, err)
		}
		l.Color, l.Width = c, vg.Points(1)
		s.Color, s.Shape, s.Radius = c, draw.CircleGlyph{}, vg.Points(1.5)
		p.plot.Add(l, s)
		thumb = l
	}
	if _, ok := p.legend[r.Model]; !ok {
		p.legend[r.Model] = thumb
	}
	p.first += pts[0].Value
	p.last += pts[len(pts)-1].Value
	return nil
}

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
	const panelW, panelH, titleH = 3.4 * vg.Inch, 2.8 * vg.Inch, 0.4 * vg.Inch
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
		models := slices.SortedFunc(maps.Keys(p.legend), modelOrder)
		for _, m := range models {
			p.plot.Legend.Add(displayName(m), p.legend[m])
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
