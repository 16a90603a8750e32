package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/rightsdesk/rightsdesk/service"
)

// maxGroup bounds how many transactions one database transaction carries.
const maxGroup = 64

// maxCachedStmts bounds the SQLite writer's statement cache; queries past it are prepared each time.
const maxCachedStmts = 512

// maxCachedParams keeps batches out of the statement cache: a multi-row INSERT or an IN list has a text of its
// own for every size, and would fill the cache with statements seldom run again.
const maxCachedParams = 100

// lockHeadFirst opens every PostgreSQL group (see committer).
const lockHeadFirst = "SELECT seq, hash, mac FROM audit_head WHERE id = 1 FOR UPDATE"

// errClosed answers a transaction offered after Close.
var errClosed = errors.New("store: closed")

// committer runs every transaction of the writer (group commit). Transactions that arrive while one is running
// wait, and the next database transaction carries all of them, each inside a savepoint of its own: one BEGIN,
// one COMMIT and one fsync for the group instead of one each, and the pages the group shares (the newest index
// leaves, the reference counter, the audit head) written once. Each caller still gets its own outcome: an
// error or a panic rolls back its savepoint and reaches that caller only. No caller is answered before the
// group's COMMIT returns: an acknowledged write is as durable as before, and a caller that failed because of
// another's write in its group sees that write committed when it looks.
//
// Writes were serial before too: SQLite has one writer, and on PostgreSQL every write transaction appends to
// the audit chain and so waits for its head. Grouping changes when they commit, not their order.
//
// On PostgreSQL a group takes the audit head's row lock before anything else. A group holds every lock its
// savepoints took until its COMMIT, so without this a group on one replica could hold the head and wait for a
// request row that a transaction on another replica holds while it waits for the head: a deadlock. With the
// head first, write transactions on all replicas take their locks in one order and queue on the head instead.
type committer struct {
	root   *Store   // whose dialect and sealer the callers' stores take
	db     *sql.DB  // the writer
	gdb    *gorm.DB // the writer, for the sessions handed to callers
	calls  chan *txCall
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
	groups atomic.Int64 // database transactions committed

	// stmts are statements prepared once on the SQLite writer and reused by every transaction (the loop
	// goroutine owns them). GORM prepares a statement first used in a transaction on that transaction, where it
	// dies at COMMIT; PostgreSQL's driver caches its own statements per connection.
	stmts  map[string]*sql.Stmt
	wanted map[string]bool // seen in the last group, to prepare on the writer once it is free
}

type txCall struct {
	ctx   context.Context
	fn    func(service.Store) error
	err   error
	panic any
	done  chan struct{}
}

func newCommitter(root *Store, db *sql.DB) *committer {
	c := &committer{
		root: root, db: db, gdb: root.w,
		calls: make(chan *txCall, maxGroup), quit: make(chan struct{}), done: make(chan struct{}),
		stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{},
	}
	go c.loop()
	return c
}

// run offers fn to the next group and waits for its outcome. A caller whose context ends before its turn is
// answered with the context's error and fn never runs; once fn has started it runs to the end (the statements
// of a group are not interrupted by one caller going away).
func (c *committer) run(ctx context.Context, fn func(service.Store) error) error {
	call := &txCall{ctx: ctx, fn: fn, done: make(chan struct{})}
	if err := c.offer(call); err != nil {
		return err
	}
	p, err := c.wait(call)
	if p != nil {
		panic(p)
	}
	return err
}

// offer queues call for the next group, unless ctx ends or the store closes first.
func (c *committer) offer(call *txCall) error {
	select {
	case c.calls <- call:
		return nil
	case <-call.ctx.Done():
		return call.ctx.Err()
	case <-c.quit:
		return errClosed
	}
}

// wait answers a queued call's outcome: the value it panicked with, or its error.
func (c *committer) wait(call *txCall) (any, error) {
	select {
	case <-call.done:
	case <-c.done:
		select {
		case <-call.done: // answered before the loop stopped
		default:
			return nil, errClosed // queued after the loop's last look
		}
	}
	return call.panic, call.err
}

// close stops the loop after the group in progress.
func (c *committer) close() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
	for _, st := range c.stmts {
		st.Close()
	}
}

func (c *committer) loop() {
	defer close(c.done)
	for {
		var group []*txCall
		select {
		case call := <-c.calls:
			group = append(group, call)
		case <-c.quit:
			for {
				select {
				case call := <-c.calls:
					call.err = errClosed
					close(call.done)
				default:
					return
				}
			}
		}
	more:
		for len(group) < maxGroup {
			select {
			case call := <-c.calls:
				group = append(group, call)
			default:
				break more
			}
		}
		c.commit(group)
		c.prepareWanted()
	}
}

// commit runs one group in one database transaction and answers every call in it.
func (c *committer) commit(group []*txCall) {
	live := group[:0:0]
	for _, call := range group {
		if err := call.ctx.Err(); err != nil {
			call.err = err
			close(call.done)
			continue
		}
		live = append(live, call)
	}
	if len(live) == 0 {
		return
	}
	// The transaction belongs to the group, not to one caller: no caller's cancellation may roll it back.
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		c.answer(live, fmt.Errorf("begin: %w", err))
		return
	}
	audit := &groupAudit{}
	if c.root.dialect == Postgres {
		if err := lockHead(tx, audit); err != nil {
			_ = tx.Rollback()
			c.answer(live, formatError(fmt.Errorf("lock audit head: %w", err)))
			return
		}
	}
	pool := &txPool{tx: tx, c: c}
	solo := len(live) == 1
	// Between two calls one round trip both releases the savepoint of the one and opens the next one's (a
	// round trip is what a grouped call costs on PostgreSQL, where the group waits for each).
	open := false // the savepoint of the next call is open already
	for i, call := range live {
		if !solo && !open {
			if _, err := tx.Exec("SAVEPOINT grouped"); err != nil {
				call.err = fmt.Errorf("savepoint: %w", err)
				continue
			}
		}
		open = false
		mark := audit.mark()
		c.runCall(pool, audit, call)
		failed := call.err != nil || call.panic != nil
		if failed {
			audit.restore(mark)
		}
		if solo {
			if failed {
				_ = tx.Rollback()
				close(call.done)
				return
			}
			continue
		}
		end := "RELEASE SAVEPOINT grouped"
		if failed {
			end = "ROLLBACK TO SAVEPOINT grouped; RELEASE SAVEPOINT grouped"
		}
		if i < len(live)-1 {
			end += "; SAVEPOINT grouped"
			open = true
		}
		if _, err := tx.Exec(end); err != nil {
			// The transaction cannot go on: nothing of the group commits.
			_ = tx.Rollback()
			c.answer(live, fmt.Errorf("%s: %w", end, err))
			return
		}
		// A call that failed is answered after the COMMIT like the others: one that failed on a unique key the
		// group's earlier calls inserted reads the winner next, and must find it committed.
	}
	if err := audit.flush(context.Background(), c.session(context.Background(), pool, nil)); err != nil {
		_ = tx.Rollback()
		c.answer(live, fmt.Errorf("append the group's audit events: %w", err))
		return
	}
	if err := tx.Commit(); err != nil {
		c.answer(live, formatError(fmt.Errorf("commit: %w", err)))
		return
	}
	c.groups.Add(1)
	c.answer(live, nil)
}

// runCall runs one caller's function on the group's transaction, catching its panic for the caller.
func (c *committer) runCall(pool *txPool, audit *groupAudit, call *txCall) {
	defer func() {
		if p := recover(); p != nil {
			call.panic = p
		}
	}()
	call.err = formatError(call.fn(c.session(call.ctx, pool, audit)))
}

// session is a store on the group's transaction; audit is the group's chain, nil for a store that writes the
// events it is given at once.
func (c *committer) session(ctx context.Context, pool *txPool, audit *groupAudit) *Store {
	gtx := c.gdb.Session(&gorm.Session{NewDB: true, SkipDefaultTransaction: true, Context: ctx})
	gtx.Statement.ConnPool = pool
	return &Store{dialect: c.root.dialect, w: gtx, r: gtx, long: gtx, inTx: true, sealer: c.root.sealer, audit: audit}
}

// answer closes every call not answered yet; those that succeeded so far get err (nil after a commit).
func (c *committer) answer(calls []*txCall, err error) {
	for _, call := range calls {
		select {
		case <-call.done:
			continue
		default:
		}
		if call.err == nil && call.panic == nil {
			call.err = err
		}
		close(call.done)
	}
}

// stmt returns the writer's prepared statement for query, or nil if there is none yet.
func (c *committer) stmt(query string) *sql.Stmt {
	if c.root.dialect != SQLite {
		return nil
	}
	st := c.stmts[query]
	if st == nil && len(c.stmts)+len(c.wanted) < maxCachedStmts && strings.Count(query, "?") <= maxCachedParams {
		c.wanted[query] = true
	}
	return st
}

// prepareWanted prepares, on the writer now that no transaction holds it, the statements the last group used
// for the first time.
func (c *committer) prepareWanted() {
	for q := range c.wanted {
		delete(c.wanted, q)
		st, err := c.db.Prepare(q)
		if err != nil {
			continue // the statement runs unprepared, as it did in the group
		}
		c.stmts[q] = st
	}
}

// txPool is the connection pool GORM sees inside a group: the group's transaction, with the SQLite writer's
// prepared statements, and deaf to callers' cancellation (one caller's interrupted statement would roll back
// the whole group on SQLite).
type txPool struct {
	tx *sql.Tx
	c  *committer
}

var _ gorm.ConnPool = (*txPool)(nil)

func (p *txPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.tx.PrepareContext(context.WithoutCancel(ctx), query)
}

func (p *txPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := p.c.stmt(query); st != nil {
		return p.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}

func (p *txPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := p.c.stmt(query); st != nil {
		return p.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return p.tx.QueryContext(ctx, query, args...)
}

func (p *txPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := p.c.stmt(query); st != nil {
		return p.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}
