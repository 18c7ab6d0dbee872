package bench

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// modelColors are the bar colours: forward in the full colour, backward lighter on top.
var modelColors = map[string]color.RGBA{
	"sru":  {R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"lstm": {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	"cnn":  {R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
}

func lighter(c color.RGBA) color.RGBA {
	mix := func(v uint8) uint8 { return uint8((int(v) + 2*0xff) / 3) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xff}
}

// Plot draws the figure as in the paper: one panel per size, one bar per model, the forward
// time at the bottom and the backward time (fwd+bwd − fwd) stacked on it, each panel with its
// own millisecond scale. The format follows the extension of file: .png or .svg.
func Plot(file string, rep *Report) error {
	ext := strings.ToLower(filepath.Ext(file))
	if ext != ".png" && ext != ".svg" {
		return fmt.Errorf("bench: plot %s: want a .png or .svg file", file)
	}
	var sizes []Size
	for _, r := range rep.Rows {
		s := r.size()
		if !containsSize(sizes, s) {
			sizes = append(sizes, s)
		}
	}
	if len(sizes) == 0 {
		return fmt.Errorf("bench: plot %s: no rows", file)
	}
	var models []string
	for _, name := range Models() {
		for _, r := range rep.Rows {
			if r.Model == name {
				models = append(models, name)
				break
			}
		}
	}

	panels := make([]*plot.Plot, len(sizes))
	for i, s := range sizes {
		p, err := panel(rep, s, models)
		if err != nil {
			return fmt.Errorf("bench: plot %s: %w", file, err)
		}
		panels[i] = p
	}
	const panelW, h = 3.2 * vg.Inch, 3.6 * vg.Inch
	w := vg.Length(len(panels)) * panelW
	var canvas vg.CanvasWriterTo
	if ext == ".png" {
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(150))}
	} else {
		canvas = vgsvg.New(w, h)
	}
	dc := draw.New(canvas)
	title := "Time of one mini-batch (dark: forward, light: backward)\n" + shortDevice(rep.Machine.Device)
	dc = drawTitle(dc, title)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Millimeter * 2, PadTop: vg.Millimeter,
		PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	cells := plot.Align([][]*plot.Plot{panels}, tiles, dc)
	for i, p := range panels {
		p.Draw(cells[0][i])
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: plot %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	return nil
}

// panel is the bar chart of one size.
func panel(rep *Report, s Size, models []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("L=%d, D=%d (B=%d)", s.L, s.D, s.B)
	if s.Layers > 1 || s.Bidirectional {
		p.Title.Text += "\n" + strings.TrimPrefix(s.String(), fmt.Sprintf("L=%d B=%d D=%d, ", s.L, s.B, s.D))
	}
	p.Y.Label.Text = "ms"
	p.Y.Min = 0
	var names []string
	const barW = 0.9 * vg.Centimeter
	for _, name := range models {
		var row *Row
		for i := range rep.Rows {
			if rep.Rows[i].Model == name && rep.Rows[i].size() == s {
				row = &rep.Rows[i]
			}
		}
		if row == nil {
			continue
		}
		x := float64(len(names))
		names = append(names, displayName(name))
		fwd, err := plotter.NewBarChart(plotter.Values{row.FwdMs}, barW)
		if err != nil {
			return nil, err
		}
		bwd, err := plotter.NewBarChart(plotter.Values{max(row.FwdBwdMs-row.FwdMs, 0)}, barW)
		if err != nil {
			return nil, err
		}
		c := modelColors[name]
		fwd.Color, bwd.Color = c, lighter(c)
		fwd.LineStyle.Width, bwd.LineStyle.Width = 0, 0
		fwd.XMin = x
		bwd.StackOn(fwd)
		labels, err := plotter.NewLabels(plotter.XYLabels{
			XYs:    plotter.XYs{{X: x, Y: row.FwdBwdMs}},
			Labels: []string{msStr(row.FwdBwdMs)},
		})
		if err != nil {
			return nil, err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].XAlign = draw.XCenter
			labels.TextStyle[i].Font.Size = vg.Points(8)
		}
		labels.Offset = vg.Point{Y: vg.Points(2)}
		p.Add(fwd, bwd, labels)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no rows at %v", s)
	}
	p.NominalX(names...)
	p.Y.Max *= 1.12 // room for the labels
	return p, nil
}

func containsSize(sizes []Size, s Size) bool {
	for _, t := range sizes {
		if t == s {
			return true
		}
	}
	return false
}

// drawTitle writes a title across the top of dc and returns the canvas below it.
func drawTitle(dc draw.Canvas, title string) draw.Canvas {
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(11)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	top := vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Millimeter}
	dc.FillText(sty, top, title)
	dc.Max.Y -= sty.Height(title) + 2*vg.Millimeter
	return dc
}

// shortDevice keeps the device name short enough for a chart title.
func shortDevice(name string) string {
	if len(name) > 90 {
		return name[:87] + "..."
	}
	return name
}
