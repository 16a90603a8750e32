// Package chart draws the console's charts as SVG on the server: bars and lines with labelled axes, a legend,
// a title and a description for screen readers, no script and no style attribute (colours come from the page's
// stylesheet through classes s0, s1 ...). Every text arrives already translated; the package escapes it through
// html/template, so the result is well-formed XML and safe to place in a page as is.
package chart

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is how a chart draws its series.
type Kind int

// The kinds of chart.
const (
	Bars Kind = iota // one bar per series side by side in each category
	Line             // one line per series through the categories, a gap where a value is missing
)

// Series is one named row of values, one per category; NaN marks a missing value (no bar, a gap in the line).
type Series struct {
	Name   string
	Values []float64
}

// Chart is what to draw.
type Chart struct {
	// ID names the chart in its page; the title's and description's element IDs derive from it, so it must be
	// unique in the page and made of letters, digits and hyphens.
	ID         string
	Kind       Kind
	Title      string   // the chart's accessible name, read first by screen readers (the page shows its own heading)
	Desc       string   // read by screen readers after the title: what the chart shows, in one or two sentences
	Categories []string // a newline splits a label in two lines
	Series     []Series
	// Max is the top of the value axis; 0 rounds the largest value up to a tidy number.
	Max float64
	// Format writes a value on the axis and above bars and points; nil writes whole numbers.
	Format func(float64) string
}

// Limits that keep a chart legible and its SVG small.
const (
	maxCategories = 60
	maxSeries     = 6
	fontSize      = 12.0 // of the category labels, in user units (admin.css says the same)
)

var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)

// Geometry of the drawing, in SVG user units.
const (
	width        = 720.0
	height       = 300.0
	marginLeft   = 56.0
	marginRight  = 16.0
	marginTop    = 40.0
	marginBottom = 56.0
	plotW        = width - marginLeft - marginRight
	plotH        = height - marginTop - marginBottom
	ticks        = 4
)

//go:embed chart.svg.tmpl
var svgSource string

var svgTemplate = template.Must(template.New("chart").Parse(svgSource))

// SVG draws c. It fails on a chart it cannot draw faithfully: a bad ID, no category, series of the wrong
// length, a negative or infinite value, too many categories or series.
func (c Chart) SVG() (template.HTML, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	v := c.layout()
	var buf bytes.Buffer
	if err := svgTemplate.Execute(&buf, v); err != nil {
		return "", fmt.Errorf("chart %s: %w", c.ID, err)
	}
	// html/template escaped every text and attribute value the chart was given.
	return template.HTML(buf.String()), nil
}

func (c Chart) check() error {
	switch {
	case !idPattern.MatchString(c.ID):
		return fmt.Errorf("chart ID %q: use letters, digits and hyphens, starting with a letter", c.ID)
	case len(c.Categories) == 0:
		return fmt.Errorf("chart %s: no category", c.ID)
	case len(c.Categories) > maxCategories:
		return fmt.Errorf("chart %s: %d categories, at most %d", c.ID, len(c.Categories), maxCategories)
	case len(c.Series) == 0:
		return fmt.Errorf("chart %s: no series", c.ID)
	case len(c.Series) > maxSeries:
		return fmt.Errorf("chart %s: %d series, at most %d", c.ID, len(c.Series), maxSeries)
	case c.Max < 0 || math.IsNaN(c.Max) || math.IsInf(c.Max, 0):
		return fmt.Errorf("chart %s: max %v", c.ID, c.Max)
	}
	for _, s := range c.Series {
		if len(s.Values) != len(c.Categories) {
			return fmt.Errorf("chart %s: series %q has %d values for %d categories", c.ID, s.Name, len(s.Values),
				len(c.Categories))
		}
		for _, x := range s.Values {
			if x < 0 || math.IsInf(x, 0) {
				return errors.New("chart " + c.ID + ": values must be finite and not negative")
			}
		}
	}
	return nil
}

// view is the chart laid out for the template.
type view struct {
	ID, Title, Desc string
	Width, Height   float64
	PlotLeft        float64
	PlotRight       float64
	PlotTop         float64
	PlotBottom      float64
	Ticks           []tick
	Labels          []label
	Bars            []bar
	Lines           []line
	Legend          []legendItem
}

type tick struct {
	Y    float64
	Text string
}

type label struct {
	X     float64
	Lines []string // a category's label may take two lines ("Jan\n2027")
	Title string
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Tip        string // category, series and value, as a tooltip
	Value      string // written above the bar when there is room
	ValueX     float64
	ValueY     float64
}

type line struct {
	Class    string
	Segments []string // polyline points, one per run of values without a gap
	Points   []bar    // a dot per value, with its tooltip
}

type legendItem struct {
	X     float64
	Class string
	Name  string
}

func (c Chart) format(x float64) string {
	if c.Format != nil {
		return c.Format(x)
	}
	return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
}

func (c Chart) layout() view {
	top := c.Max
	if top == 0 {
		top = niceMax(c.largest())
	}
	v := view{ID: c.ID, Title: c.Title, Desc: c.Desc, Width: width, Height: height, PlotLeft: marginLeft,
		PlotRight: marginLeft + plotW, PlotTop: marginTop, PlotBottom: marginTop + plotH}
	y := func(x float64) float64 { return round2(marginTop + plotH - x/top*plotH) }
	for i := 0; i <= ticks; i++ {
		x := top * float64(i) / ticks
		v.Ticks = append(v.Ticks, tick{Y: y(x), Text: c.format(x)})
	}
	n := float64(len(c.Categories))
	slot := plotW / n
	for i, cat := range c.Categories {
		lb := label{X: round2(marginLeft + slot*(float64(i)+0.5)), Title: strings.ReplaceAll(cat, "\n", " ")}
		lines := strings.SplitN(cat, "\n", 2)
		if len(lines) == 1 {
			lines = wrap(cat, slot-4)
		}
		for _, line := range lines {
			lb.Lines = append(lb.Lines, shorten(line, slot-4))
		}
		v.Labels = append(v.Labels, lb)
	}
	for si, s := range c.Series {
		class := "s" + strconv.Itoa(si)
		v.Legend = append(v.Legend, legendItem{X: round2(marginLeft + float64(si)*160), Class: class, Name: s.Name})
		switch c.Kind {
		case Bars:
			barW := slot * 0.8 / float64(len(c.Series))
			for i, x := range s.Values {
				if math.IsNaN(x) {
					continue
				}
				left := marginLeft + slot*float64(i) + slot*0.1 + barW*float64(si)
				b := bar{X: round2(left), Y: y(x), W: round2(barW), H: round2(marginTop + plotH - y(x)),
					Class: class, Tip: c.Categories[i] + " · " + s.Name + ": " + c.format(x)}
				if barW >= 14 {
					b.Value, b.ValueX, b.ValueY = c.format(x), round2(left+barW/2), round2(y(x)-4)
				}
				v.Bars = append(v.Bars, b)
			}
		case Line:
			l := line{Class: class}
			var run []byte
			for i, x := range s.Values {
				if math.IsNaN(x) {
					if len(run) > 0 {
						l.Segments = append(l.Segments, string(run))
						run = nil
					}
					continue
				}
				cx, cy := round2(marginLeft+slot*(float64(i)+0.5)), y(x)
				if len(run) > 0 {
					run = append(run, ' ')
				}
				run = strconv.AppendFloat(run, cx, 'f', -1, 64)
				run = append(run, ',')
				run = strconv.AppendFloat(run, cy, 'f', -1, 64)
				l.Points = append(l.Points, bar{X: cx, Y: cy, Class: class, Value: c.format(x), ValueX: cx,
					ValueY: round2(cy - 8), Tip: c.Categories[i] + " · " + s.Name + ": " + c.format(x)})
			}
			if len(run) > 0 {
				l.Segments = append(l.Segments, string(run))
			}
			v.Lines = append(v.Lines, l)
		}
	}
	return v
}

func (c Chart) largest() float64 {
	m := 0.0
	for _, s := range c.Series {
		for _, x := range s.Values {
			if !math.IsNaN(x) && x > m {
				m = x
			}
		}
	}
	return m
}

// niceMax is the top of an axis of ticks steps for values up to m: the smallest step of 1, 2, 2.5, 3, 4 or 5 times
// a power of ten that is whole and reaches m, times ticks; ticks for nothing at all or less, so that an empty
// chart still has an axis of whole numbers.
func niceMax(m float64) float64 {
	if m <= ticks {
		return ticks
	}
	step := m / ticks
	p := math.Pow(10, math.Floor(math.Log10(step)))
	for _, f := range []float64{1, 2, 2.5, 3, 4, 5, 10} {
		if s := f * p; s >= step && s == math.Floor(s) {
			return s * ticks
		}
	}
	return math.Ceil(step) * ticks
}

// shorten cuts a label to what fits in width user units, with an ellipsis; the full label is its tooltip. Latin
// letters and digits are taken as 0.6 of the font size wide, Chinese characters as a full one.
func shorten(s string, width float64) string {
	w, cut := 0.0, -1
	ellipsis := 0.6 * fontSize
	for i, r := range s {
		cw := runeWidth(r)
		if w+cw > width-ellipsis && cut < 0 {
			cut = i
		}
		w += cw
		if w > width {
			return s[:cut] + "…"
		}
	}
	return s
}

// runeWidth is how wide a character is drawn, in user units: Latin letters and digits 0.6 of the font size,
// Chinese characters (and anything from U+2E80 on) a full one.
func runeWidth(r rune) float64 {
	if r >= 0x2E80 {
		return fontSize
	}
	return 0.6 * fontSize
}

// wrap breaks a label too wide for width into two lines: after the last space or Chinese enumeration comma
// that keeps the first line within width, else between two Chinese characters; a label that fits, or has no
// place to break, stays one line.
func wrap(s string, width float64) []string {
	w, lastBreak := 0.0, -1
	for i, r := range s {
		if w+runeWidth(r) > width {
			switch {
			case lastBreak > 0:
				return []string{strings.TrimRight(s[:lastBreak], " "), strings.TrimLeft(s[lastBreak:], " ")}
			case r >= 0x2E80 && i > 0:
				return []string{s[:i], s[i:]}
			}
			return []string{s}
		}
		w += runeWidth(r)
		switch r {
		case ' ':
			lastBreak = i
		case '、', '，', '/':
			lastBreak = i + utf8.RuneLen(r)
		}
	}
	return []string{s}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
