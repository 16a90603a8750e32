package store

// QueuedTx is how many transactions wait for the next group.
func QueuedTx(s *Store) int { return len(s.commit.calls) }

// CommittedGroups is how many database transactions the writer has committed.
func CommittedGroups(s *Store) int64 { return s.commit.groups.Load() }
