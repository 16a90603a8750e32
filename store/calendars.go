package store

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

type calendarYearRow struct {
	Calendar string `gorm:"primaryKey"`
	Year     int    `gorm:"primaryKey;autoIncrement:false"`
	Schedule string // the holiday-cn JSON shape
}

func (calendarYearRow) TableName() string { return "calendar_years" }

// SaveCalendarYear upserts a year's schedule.
func (s *Store) SaveCalendarYear(ctx context.Context, name string, sch calendar.Schedule) error {
	b, err := json.Marshal(sch)
	if err != nil {
		return fmt.Errorf("encode schedule %d: %w", sch.Year, err)
	}
	row := &calendarYearRow{Calendar: name, Year: sch.Year, Schedule: string(b)}
	return formatError(s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "calendar"}, {Name: "year"}},
		DoUpdates: clause.AssignmentColumns([]string{"schedule"}),
	}).Create(row).Error)
}

// CalendarYears returns a calendar's loaded schedules by year.
func (s *Store) CalendarYears(ctx context.Context, name string) ([]calendar.Schedule, error) {
	var rows []calendarYearRow
	if err := s.r.WithContext(ctx).Where("calendar = ?", name).Order("year").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]calendar.Schedule, 0, len(rows))
	for _, r := range rows {
		sch, err := calendar.ParseSchedule([]byte(r.Schedule))
		if err != nil {
			return nil, fmt.Errorf("calendar %s year %d: %w", name, r.Year, err)
		}
		out = append(out, sch)
	}
	return out, nil
}
