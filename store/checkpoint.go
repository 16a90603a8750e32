package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// checkpointEvery is how often the checkpointer copies the WAL's new pages into the database file.
const checkpointEvery = 50 * time.Millisecond

// writerCheckpointPages is the WAL size, in pages, past which the writer checkpoints by itself at a commit, as
// SQLite does at 1,000 pages by default: only when the checkpointer has fallen that far behind (40 MB).
const writerCheckpointPages = 10000

// writerDriver is the SQLite driver of the writer's connection: every connection it opens, also one database/sql
// opens again after a broken one, leaves checkpoints to the checkpointer up to writerCheckpointPages.
const writerDriver = "sqlite3_rightsdesk_writer"

var registerWriterDriver = sync.OnceFunc(func() {
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerCheckpointPages), nil)
		return err
	}})
})

// checkpointer copies the pages of the SQLite WAL into the database file from a connection of its own, so that
// the writer's commits do not: by default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000
// pages, copying and syncing the database file in the single writer's critical section while every filing of
// the next group waits (docs/performance.md, "Filing"). Its checkpoints are PASSIVE: they copy what no reader
// still needs and never wait for, or block, the writer or a reader.
type checkpointer struct {
	db   *sql.DB
	quit chan struct{}
	done chan struct{}
	once sync.Once
	err  error
}

func startCheckpointer(ctx context.Context, dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			// A failed checkpoint is tried again at the next tick; were they all to fail, the writer's own
			// checkpoints past writerCheckpointPages bound the WAL.
			_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

func (c *checkpointer) close() error {
	c.once.Do(func() {
		close(c.quit)
		<-c.done
		c.err = c.db.Close()
	})
	return c.err
}
