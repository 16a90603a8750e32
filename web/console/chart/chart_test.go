package chart

import (
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// parse reads svg as XML and returns every element's name and its character data, in document order.
func parse(t *testing.T, svg string) (elements []string, text []string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return elements, text
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			elements = append(elements, tok.Name.Local)
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				text = append(text, s)
			}
		}
	}
}

func mustSVG(t *testing.T, c Chart) string {
	t.Helper()
	svg, err := c.SVG()
	if err != nil {
		t.Fatalf("SVG: %v", err)
	}
	return string(svg)
}

func count(elements []string, name string) int {
	n := 0
	for _, e := range elements {
		if e == name {
			n++
		}
	}
	return n
}

func TestBarsAreWellFormedAndAccessible(t *testing.T) {
	svg := mustSVG(t, Chart{ID: "weeks", Kind: Bars, Title: "Requests per week", Desc: "Received and closed",
		Categories: []string{"10-05", "10-12", "10-19"},
		Series:     []Series{{Name: "received", Values: []float64{3, 0, 7}}, {Name: "closed", Values: []float64{1, 2, math.NaN()}}}})
	elements, text := parse(t, svg)
	if elements[0] != "svg" || elements[1] != "title" || elements[2] != "desc" {
		t.Errorf("starts with %v, want svg, title, desc", elements[:3])
	}
	for _, want := range []string{`role="img"`, `aria-labelledby="weeks-title weeks-desc"`, `id="weeks-title"`,
		`id="weeks-desc"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %s", want)
		}
	}
	// Five bars: the missing value draws none; two swatches in the legend.
	if got := strings.Count(svg, `class="bar `); got != 5 {
		t.Errorf("%d bars, want 5", got)
	}
	if got := strings.Count(svg, `class="swatch `); got != 2 {
		t.Errorf("%d swatches, want 2", got)
	}
	if strings.Contains(svg, "style=") || strings.Contains(svg, "<script") {
		t.Error("SVG has a style attribute or a script, which the console's CSP blocks")
	}
	for _, want := range []string{"Requests per week", "Received and closed", "received", "closed", "10-19",
		"10-19 · received: 7"} {
		if !contains(text, want) {
			t.Errorf("text lacks %q: %q", want, text)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Labels, titles and series names are the catalogue's and the admins' words (queue names): escaped, never markup.
func TestTextIsEscaped(t *testing.T) {
	hostile := `<script>alert("x")</script> & "q" 'a'`
	svg := mustSVG(t, Chart{ID: "q", Kind: Bars, Title: hostile, Desc: hostile, Categories: []string{hostile},
		Series: []Series{{Name: hostile, Values: []float64{1}}}})
	elements, text := parse(t, svg)
	if count(elements, "script") != 0 {
		t.Fatalf("a label became an element:\n%s", svg)
	}
	if !contains(text, hostile) {
		t.Errorf("the title does not read back as given: %q", text)
	}
	// A long label is shortened on the axis, whole in its tooltip.
	if !contains(text, `<script>alert("x")</script> & "q" 'a'`) {
		t.Errorf("the axis label is not whole in its tooltip: %q", text)
	}
}

func TestLineHasGaps(t *testing.T) {
	svg := mustSVG(t, Chart{ID: "rate", Kind: Line, Title: "On time", Desc: "per month", Max: 1,
		Format:     func(x float64) string { return strconv.Itoa(int(math.Round(x*100))) + "%" },
		Categories: []string{"Jan", "Feb", "Mar", "Apr", "May"},
		Series:     []Series{{Name: "on time", Values: []float64{0.5, 1, math.NaN(), 0.75, 0}}}})
	elements, text := parse(t, svg)
	if got := count(elements, "polyline"); got != 2 {
		t.Errorf("%d polylines, want 2 around the gap", got)
	}
	if got := count(elements, "circle"); got != 4 {
		t.Errorf("%d points, want 4", got)
	}
	for _, want := range []string{"100%", "75%", "0%", "50%", "Mar"} {
		if !contains(text, want) {
			t.Errorf("text lacks %q: %q", want, text)
		}
	}
}

// A chart of zeros (a new installation) still draws its axis with whole numbers and its categories.
func TestEmptyData(t *testing.T) {
	svg := mustSVG(t, Chart{ID: "empty", Kind: Bars, Title: "Nothing yet", Desc: "No requests",
		Categories: []string{"a", "b"}, Series: []Series{{Name: "open", Values: []float64{0, 0}}}})
	_, text := parse(t, svg)
	for _, want := range []string{"0", "1", "2", "3", "4", "a", "b"} {
		if !contains(text, want) {
			t.Errorf("text lacks %q: %q", want, text)
		}
	}
	if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
		t.Errorf("SVG has a NaN or Inf coordinate:\n%s", svg)
	}
	allMissing := mustSVG(t, Chart{ID: "gap", Kind: Line, Title: "t", Desc: "d", Categories: []string{"a"},
		Series: []Series{{Name: "s", Values: []float64{math.NaN()}}}})
	if elements, _ := parse(t, allMissing); count(elements, "polyline") != 0 {
		t.Error("a line of missing values drew a polyline")
	}
}

func TestRefusesWhatItCannotDraw(t *testing.T) {
	ok := Chart{ID: "c", Title: "t", Desc: "d", Categories: []string{"a"}, Series: []Series{{Name: "s", Values: []float64{1}}}}
	tests := map[string]func(c *Chart){
		"bad id":          func(c *Chart) { c.ID = `x" onload="alert(1)` },
		"no category":     func(c *Chart) { c.Categories, c.Series[0].Values = nil, nil },
		"no series":       func(c *Chart) { c.Series = nil },
		"length mismatch": func(c *Chart) { c.Series[0].Values = []float64{1, 2} },
		"negative":        func(c *Chart) { c.Series[0].Values = []float64{-1} },
		"infinite":        func(c *Chart) { c.Series[0].Values = []float64{math.Inf(1)} },
		"too many":        func(c *Chart) { c.Categories = make([]string, maxCategories+1) },
	}
	for name, edit := range tests {
		c := ok
		c.Series = []Series{{Name: "s", Values: []float64{1}}}
		edit(&c)
		if svg, err := c.SVG(); err == nil {
			t.Errorf("%s: SVG = %.80s, want an error", name, svg)
		}
	}
}

func TestNiceMax(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{{0, 4}, {3, 4}, {5, 8}, {7, 8}, {9, 12}, {17, 20}, {21, 40}, {25, 40},
		{99, 100}, {101, 120}, {1234, 1600}, {0.5, 4}} {
		if got := niceMax(tt.in); got != tt.want {
			t.Errorf("niceMax(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestShorten(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width float64
		want  string
	}{
		{"Deletions", 200, "Deletions"},
		{"Access and copies", 100, "Access and c…"},
		{"查阅、复制个人信息", 60, "查阅、复…"},
		{"Apr", 22, "Apr"}, {"April", 20, "A…"},
	} {
		if got := shorten(tt.in, tt.width); got != tt.want {
			t.Errorf("shorten(%q, %v) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

// A label with a newline is drawn on two lines; its tooltip reads it on one.
func TestTwoLineLabels(t *testing.T) {
	svg := mustSVG(t, Chart{ID: "m", Kind: Line, Title: "t", Desc: "d", Categories: []string{"Dec\n2026", "Jan\n2027"},
		Series: []Series{{Name: "s", Values: []float64{1, 2}}}})
	elements, text := parse(t, svg)
	if got := count(elements, "tspan"); got != 4 {
		t.Errorf("%d tspans, want 4", got)
	}
	for _, want := range []string{"Dec", "2026", "Jan 2027"} {
		if !contains(text, want) {
			t.Errorf("text lacks %q: %q", want, text)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width float64
		want  []string
	}{
		{"Deletions", 200, []string{"Deletions"}},
		{"withdraw consent", 80, []string{"withdraw", "consent"}},
		{"查阅、复制个人信息", 100, []string{"查阅、", "复制个人信息"}},
		{"删除个人信息数据处理者", 100, []string{"删除个人信息数据", "处理者"}},
		{"Supercalifragilistic", 50, []string{"Supercalifragilistic"}},
	} {
		got := wrap(tt.in, tt.width)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %v) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}
