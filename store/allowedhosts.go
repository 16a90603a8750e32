package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service"
)

// allowedHostRow is a host an admin allow-listed through the API. The operator's fixed entries live in the
// environment, never here.
type allowedHostRow struct {
	Host      string `gorm:"primaryKey"`
	Note      string
	CreatedBy string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (allowedHostRow) TableName() string { return "transmit_allowed_hosts" }

func toAllowedHost(r *allowedHostRow) *service.AllowedHost {
	return &service.AllowedHost{Host: r.Host, Source: service.AllowedByAPI, Note: r.Note, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC()}
}

// ListAllowedHosts returns every stored host, by host.
func (s *Store) ListAllowedHosts(ctx context.Context) ([]*service.AllowedHost, error) {
	var rows []allowedHostRow
	if err := s.r.WithContext(ctx).Order("host").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.AllowedHost, len(rows))
	for i := range rows {
		out[i] = toAllowedHost(&rows[i])
	}
	return out, nil
}

// FindAllowedHost returns a stored host.
func (s *Store) FindAllowedHost(ctx context.Context, host string) (*service.AllowedHost, error) {
	var row allowedHostRow
	if err := s.r.WithContext(ctx).Where("host = ?", host).Take(&row).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "%s is not on the allow-list", host)
		}
		return nil, err
	}
	return toAllowedHost(&row), nil
}

// CreateAllowedHost inserts a host unless it is stored. Two admins adding the same host at once on two replicas
// both succeed, and only one inserts.
func (s *Store) CreateAllowedHost(ctx context.Context, h *service.AllowedHost) (bool, error) {
	res := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&allowedHostRow{Host: h.Host,
		Note: h.Note, CreatedBy: h.CreatedBy, CreatedAt: utc(h.CreatedAt)})
	if res.Error != nil {
		return false, formatError(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// DeleteAllowedHost removes a stored host.
func (s *Store) DeleteAllowedHost(ctx context.Context, host string) error {
	res := s.w.WithContext(ctx).Where("host = ?", host).Delete(&allowedHostRow{})
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Errorf(service.ENOTFOUND, "%s is not on the allow-list", host)
	}
	return nil
}
