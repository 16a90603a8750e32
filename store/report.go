package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service"
)

// reportBatch is how many requests a report reads at a time.
const reportBatch = 1000

// ReportRequests is a keyset scan of the (received_at, id) order over the receipt range, one batch at a time,
// so that no read stays open while fn runs and memory holds one batch.
func (s *Store) ReportRequests(ctx context.Context, from, to time.Time, visibleTo *string, fn func(*service.Request) error) error {
	var (
		afterAt time.Time
		afterID string
	)
	for first := true; ; first = false {
		q := s.long.WithContext(ctx).Model(&requestRow{}).Select(summaryColumns).
			Where("received_at >= ? AND received_at < ?", utc(from), utc(to))
		if visibleTo != nil {
			q = q.Where(visibleToOfficer, *visibleTo)
		}
		if !first {
			q = q.Where("(received_at > ? OR (received_at = ? AND id > ?))", afterAt, afterAt, afterID)
		}
		var rows []requestRow
		err := q.Order(clause.OrderBy{Columns: []clause.OrderByColumn{{Column: clause.Column{Name: "received_at"}},
			{Column: clause.Column{Name: "id"}}}}).Limit(reportBatch).Find(&rows).Error
		if err != nil {
			return formatError(err)
		}
		for i := range rows {
			r, err := s.toRequest(&rows[i])
			if err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(rows) < reportBatch {
			return nil
		}
		last := rows[len(rows)-1]
		afterAt, afterID = utc(last.ReceivedAt), last.ID
	}
}

// openCountRow is one group of OpenRequestCounts.
type openCountRow struct {
	Type         string
	OpenCount    int
	OverdueCount int
}

// OpenRequestCounts groups the requests not replied to and not closed by type.
func (s *Store) OpenRequestCounts(ctx context.Context, now time.Time, visibleTo *string) ([]service.OpenCount, error) {
	var terminal []string
	for _, st := range service.Statuses {
		if st.Terminal() {
			terminal = append(terminal, string(st))
		}
	}
	var rows []openCountRow
	q := s.long.WithContext(ctx).Model(&requestRow{}).Select(`type, COUNT(*) AS open_count,
		SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END) AS overdue_count`, utc(now)).
		Where("replied_at IS NULL AND status NOT IN ?", terminal)
	if visibleTo != nil {
		q = q.Where(visibleToOfficer, *visibleTo)
	}
	err := q.Group("type").Order("type").Scan(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]service.OpenCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, service.OpenCount{Type: service.RequestType(r.Type), Open: r.OpenCount,
			Overdue: r.OverdueCount})
	}
	return out, nil
}
