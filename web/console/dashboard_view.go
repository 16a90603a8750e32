package console

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
	"github.com/rightsdesk/rightsdesk/web"
	"github.com/rightsdesk/rightsdesk/web/console/chart"
)

// dashboardData is the dashboard in the reader's language: each chart drawn, with its numbers as a table.
type dashboardData struct {
	GeneratedAt string
	QueueChart  template.HTML
	Queues      []queueLoadRow
	WeekChart   template.HTML
	Weeks       []weekRow
	MonthChart  template.HTML
	Months      []monthRow
	DaysChart   template.HTML
	ReplyDays   []replyDaysRow
	DaysFrom    string
	PurgeChart  template.HTML // empty when no backup holds erased data
	Purges      []purgeLoadRow
}

type queueLoadRow struct {
	Name          string
	Open, Overdue int
}

type weekRow struct {
	Label            string
	Received, Closed int
}

type monthRow struct {
	Label           string
	Replied, OnTime int
	Rate            string // "" without replies
	Running         bool
}

type replyDaysRow struct {
	Type        string
	Replied     int
	Median, P90 string // "" without replies
}

type purgeLoadRow struct {
	Name             string
	Pending, Overdue int
	Oldest           string
}

// buildDashboard turns the service's dashboard into what the page shows; overdue is the number of overdue purges
// per backup system ID (service.OverduePurges).
func buildDashboard(l *web.Localizer, d *service.Dashboard, overdue map[string]int) (dashboardData, error) {
	at := d.GeneratedAt.In(d.Location)
	out := dashboardData{
		GeneratedAt: l.T("dashboard.generated_at", "Date", l.Date(at.Year(), at.Month(), at.Day()),
			"Time", at.Format("15:04"), "Zone", d.Location.String()),
		DaysFrom: dashDate(l, d.ReplyDaysFrom),
	}
	var err error
	if out.QueueChart, out.Queues, err = queueChart(l, d.Queues); err != nil {
		return out, err
	}
	if out.WeekChart, out.Weeks, err = weekChart(l, d.Weeks); err != nil {
		return out, err
	}
	if out.MonthChart, out.Months, err = monthChart(l, d.Months); err != nil {
		return out, err
	}
	if out.DaysChart, out.ReplyDays, err = daysChart(l, d.ReplyDays, out.DaysFrom); err != nil {
		return out, err
	}
	if out.PurgeChart, out.Purges, err = purgeChart(l, d.Purges, overdue); err != nil {
		return out, err
	}
	return out, nil
}

func dashDate(l *web.Localizer, d calendar.Date) string { return l.Date(d.Year, d.Month, d.Day) }

func queueChart(l *web.Localizer, loads []service.QueueLoad) (template.HTML, []queueLoadRow, error) {
	rows := make([]queueLoadRow, 0, len(loads))
	var cats []string
	var open, overdue []float64
	for _, q := range loads {
		name := q.QueueName
		if q.QueueID == "" {
			name = l.T("dashboard.unrouted")
		}
		rows = append(rows, queueLoadRow{Name: name, Open: q.Open, Overdue: q.Overdue})
		cats = append(cats, name)
		open, overdue = append(open, float64(q.Open)), append(overdue, float64(q.Overdue))
	}
	if len(cats) == 0 {
		cats = []string{l.T("dashboard.queues.none")}
		open, overdue = []float64{0}, []float64{0}
	}
	svg, err := chart.Chart{ID: "chart-queues", Kind: chart.Bars, Title: l.T("dashboard.queues.title"),
		Desc: l.T("dashboard.queues.desc"), Categories: cats,
		Series: []chart.Series{{Name: l.T("dashboard.open"), Values: open},
			{Name: l.T("dashboard.overdue"), Values: overdue}}}.SVG()
	return svg, rows, err
}

func weekChart(l *web.Localizer, weeks []service.WeekFlow) (template.HTML, []weekRow, error) {
	rows := make([]weekRow, 0, len(weeks))
	var cats []string
	var received, closed []float64
	for _, w := range weeks {
		label := l.T("dashboard.week", "Day", w.Start.Day, "Month", int(w.Start.Month),
			"Mon", l.T("dashboard.mon."+strconv.Itoa(int(w.Start.Month))))
		rows = append(rows, weekRow{Label: dashDate(l, w.Start), Received: w.Received, Closed: w.Closed})
		cats = append(cats, label)
		received, closed = append(received, float64(w.Received)), append(closed, float64(w.Closed))
	}
	svg, err := chart.Chart{ID: "chart-weeks", Kind: chart.Bars, Title: l.T("dashboard.weeks.title"),
		Desc: l.T("dashboard.weeks.desc", "N", len(weeks)), Categories: cats,
		Series: []chart.Series{{Name: l.T("dashboard.received"), Values: received},
			{Name: l.T("dashboard.closed"), Values: closed}}}.SVG()
	return svg, rows, err
}

func percent(x float64) string { return strconv.Itoa(int(math.Round(x*100))) + "%" }

func monthChart(l *web.Localizer, months []service.MonthOnTime) (template.HTML, []monthRow, error) {
	rows := make([]monthRow, 0, len(months))
	var cats []string
	var rates []float64
	for i, m := range months {
		mon := l.T("dashboard.mon." + strconv.Itoa(int(m.Month)))
		label := l.T("dashboard.month", "Year", m.Year, "Month", int(m.Month), "Mon", mon)
		// On the axis the year only where it starts (and at the first month), so that twelve labels fit.
		short := l.T("dashboard.month_short", "Month", int(m.Month), "Mon", mon)
		if i == 0 || m.Month == time.January {
			short += "\n" + l.T("dashboard.year", "Year", m.Year)
		}
		r := monthRow{Label: label, Replied: m.Replied, OnTime: m.OnTime, Running: !m.Complete}
		rate := math.NaN()
		if m.Rate != nil {
			r.Rate, rate = percent(*m.Rate), *m.Rate
		}
		rows = append(rows, r)
		cats, rates = append(cats, short), append(rates, rate)
	}
	svg, err := chart.Chart{ID: "chart-months", Kind: chart.Line, Title: l.T("dashboard.months.title"),
		Desc: l.T("dashboard.months.desc", "N", len(months)), Categories: cats, Max: 1, Format: percent,
		Series: []chart.Series{{Name: l.T("dashboard.on_time_rate"), Values: rates}}}.SVG()
	return svg, rows, err
}

func daysValue(v *float64) (string, float64) {
	if v == nil {
		return "", math.NaN()
	}
	return strconv.FormatFloat(*v, 'f', -1, 64), *v
}

func daysChart(l *web.Localizer, days []service.TypeReplyDay, from string) (template.HTML, []replyDaysRow, error) {
	rows := make([]replyDaysRow, 0, len(days))
	var cats []string
	var median, p90 []float64
	for _, d := range days {
		name := l.T("dashboard.type." + string(d.Type))
		r := replyDaysRow{Type: name, Replied: d.Replied}
		var m, p float64
		r.Median, m = daysValue(d.Median)
		r.P90, p = daysValue(d.P90)
		rows = append(rows, r)
		cats, median, p90 = append(cats, name), append(median, m), append(p90, p)
	}
	svg, err := chart.Chart{ID: "chart-days", Kind: chart.Bars, Title: l.T("dashboard.days.title"),
		Desc: l.T("dashboard.days.desc", "From", from), Categories: cats,
		Series: []chart.Series{{Name: l.T("dashboard.median"), Values: median},
			{Name: l.T("dashboard.p90"), Values: p90}}}.SVG()
	return svg, rows, err
}

func purgeChart(l *web.Localizer, loads []service.PurgeLoad, overdue map[string]int) (template.HTML, []purgeLoadRow, error) {
	if len(loads) == 0 {
		return "", nil, nil
	}
	rows := make([]purgeLoadRow, 0, len(loads))
	var cats []string
	var pending, late []float64
	for _, p := range loads {
		o := p.OldestExecutedAt
		rows = append(rows, purgeLoadRow{Name: p.BackupName, Pending: p.Pending, Overdue: overdue[p.BackupSystemID],
			Oldest: l.Date(o.Year(), o.Month(), o.Day())})
		cats = append(cats, p.BackupName)
		pending, late = append(pending, float64(p.Pending)), append(late, float64(overdue[p.BackupSystemID]))
	}
	svg, err := chart.Chart{ID: "chart-purges", Kind: chart.Bars, Title: l.T("dashboard.purges.title"),
		Desc: l.T("dashboard.purges.desc"), Categories: cats,
		Series: []chart.Series{{Name: l.T("dashboard.pending"), Values: pending},
			{Name: l.T("dashboard.overdue"), Values: late}}}.SVG()
	if err != nil {
		return "", nil, fmt.Errorf("purge chart: %w", err)
	}
	return svg, rows, nil
}

// overdueBySystem counts overdue purges per backup system.
func overdueBySystem(ps []service.OverduePurge) map[string]int {
	out := map[string]int{}
	for _, p := range ps {
		out[p.Purge.BackupSystemID]++
	}
	return out
}
