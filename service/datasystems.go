package service

import (
	"context"
	"fmt"
)

// checkMap asks the connector whether the live schema has what a SQL system's map names. An http system's map is
// its own business: it is checked for its own rules only.
func (s *Fulfilment) checkMap(ctx context.Context, d *DataSystem) error {
	if !d.Kind.SQL() {
		return nil
	}
	if s.connector == nil {
		return Errorf(EUNAVAILABLE, "this server has no connector for SQL data systems")
	}
	return s.connector.CheckMap(ctx, d)
}

// RegisterDataSystem adds a data system (admin). Its map is checked against the live schema before it is saved:
// EINVALID names the path of each table or column the database does not have.
func (s *Fulfilment) RegisterDataSystem(ctx context.Context, a Actor, in DataSystemInput) (*DataSystem, error) {
	if err := authorize(a, permDataSystems); err != nil {
		return nil, err
	}
	now := s.now()
	d := &DataSystem{ID: s.newID(), CreatedAt: now, UpdatedAt: now, CreatedBy: a.UserID}
	if err := validateDataSystem(in, d, false); err != nil {
		return nil, err
	}
	if err := s.checkMap(ctx, d); err != nil {
		return nil, err
	}
	err := s.begin(ctx, func(tx fulfilmentStore) error {
		all, err := tx.ListDataSystems(ctx)
		if err != nil {
			return err
		}
		if len(all) >= maxDataSystems {
			return Errorf(ECONFLICT, "at most %d data systems", maxDataSystems)
		}
		if err := tx.CreateDataSystem(ctx, d); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return Errorf(ECONFLICT, "a data system named %q exists already", d.Name)
			}
			return fmt.Errorf("create data system: %w", err)
		}
		return s.appendEvent(ctx, tx, a, "data_system.registered", "", map[string]string{
			"data_system_id": d.ID, "kind": string(d.Kind), "tables": fmt.Sprint(len(d.Map.Tables))})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateDataSystem replaces a data system's settings and map (admin); a DSN left empty keeps the stored one, so
// that an admin need not know it to change the map. The kind cannot change.
func (s *Fulfilment) UpdateDataSystem(ctx context.Context, a Actor, id string, in DataSystemInput) (*DataSystem, error) {
	if err := authorize(a, permDataSystems); err != nil {
		return nil, err
	}
	d, err := s.db.FindDataSystem(ctx, id)
	if err != nil {
		return nil, err
	}
	d.RowCap, d.StatementTimeout, d.CallbackTimeout = 0, 0, 0
	if err := validateDataSystem(in, d, true); err != nil {
		return nil, err
	}
	if err := s.checkMap(ctx, d); err != nil {
		return nil, err
	}
	d.UpdatedAt = s.now()
	err = s.begin(ctx, func(tx fulfilmentStore) error {
		if err := tx.UpdateDataSystem(ctx, d); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return Errorf(ECONFLICT, "a data system named %q exists already", d.Name)
			}
			return err
		}
		return s.appendEvent(ctx, tx, a, "data_system.updated", "", map[string]string{
			"data_system_id": d.ID, "tables": fmt.Sprint(len(d.Map.Tables))})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDataSystem removes a data system (admin); its past runs keep their results.
func (s *Fulfilment) DeleteDataSystem(ctx context.Context, a Actor, id string) error {
	if err := authorize(a, permDataSystems); err != nil {
		return err
	}
	return s.begin(ctx, func(tx fulfilmentStore) error {
		if err := tx.DeleteDataSystem(ctx, id); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "data_system.deleted", "", map[string]string{"data_system_id": id})
	})
}

// DataSystem returns a data system (admin).
func (s *Fulfilment) DataSystem(ctx context.Context, a Actor, id string) (*DataSystem, error) {
	if err := authorize(a, permDataSystems); err != nil {
		return nil, err
	}
	return s.db.FindDataSystem(ctx, id)
}

// DataSystems lists the data systems by name (admin).
func (s *Fulfilment) DataSystems(ctx context.Context, a Actor) ([]*DataSystem, error) {
	if err := authorize(a, permDataSystems); err != nil {
		return nil, err
	}
	return s.db.ListDataSystems(ctx)
}
