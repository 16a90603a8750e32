package store

// QueuedTx is how many transactions wait for the next group.
func QueuedTx(s *Store) int { return len(s.commit.calls) }

// CommittedGroups is how many database transactions the writer has committed.
func CommittedGroups(s *Store) int64 { return s.commit.groups.Load() }

// WriterAutocheckpoint is the WAL size, in pages, past which the writer's connection checkpoints by itself.
func WriterAutocheckpoint(t interface{ Fatal(...any) }, s *Store) int {
	var n int
	if err := s.w.Raw("PRAGMA wal_autocheckpoint").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
