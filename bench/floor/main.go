// Command floor is the floor of Rightsdesk's own stack: an Echo server whose one handler inserts one row into a
// one-table database through GORM, on the same drivers with the same settings as store.Open (SQLite: WAL,
// BEGIN IMMEDIATE, a 10 s busy timeout, one writer connection, synchronous=FULL; PostgreSQL: a pool of 20).
// No authentication, validation, audit trail, due dates or e-mail: what Rightsdesk does on top of this is its cost.
//
//	go run ./bench/floor -addr 127.0.0.1:8090 -db /tmp/floor.db [-synchronous NORMAL]
//	go run ./bench/floor -addr 127.0.0.1:8090 -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=floor'
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// row is the floor's one table.
type row struct {
	ID        string `gorm:"primaryKey"`
	Body      string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (row) TableName() string { return "floor_rows" }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	dsn := fs.String("db", "floor.db", "SQLite file path or postgres:// URL")
	synchronous := fs.String("synchronous", "FULL", "SQLite synchronous setting: FULL (as Rightsdesk) or NORMAL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := open(*dsn, *synchronous)
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/healthz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.POST("/api/v1/requests", func(c echo.Context) error {
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
		if err != nil || !json.Valid(body) {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": "malformed JSON"})
		}
		r := row{ID: uuid.NewString(), Body: string(body), CreatedAt: time.Now().UTC()}
		if err := db.WithContext(c.Request().Context()).Create(&r).Error; err != nil {
			c.Logger().Error(err)
			return c.JSON(http.StatusInternalServerError, map[string]string{"error": "internal error"})
		}
		return c.JSON(http.StatusCreated, map[string]string{"id": r.ID})
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("floor listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// open connects as store.Open does and creates the table.
func open(dsn, synchronous string) (*gorm.DB, error) {
	cfg := &gorm.Config{TranslateError: true, Logger: logger.Discard, PrepareStmt: true,
		NowFunc: func() time.Time { return time.Now().UTC() }}
	ddl := "CREATE TABLE IF NOT EXISTS floor_rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at DATETIME NOT NULL)"
	var db *gorm.DB
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		ddl = strings.Replace(ddl, "DATETIME", "TIMESTAMPTZ", 1)
		if db, err = gorm.Open(postgres.Open(dsn), cfg); err != nil {
			return nil, err
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
	} else {
		if synchronous != "FULL" && synchronous != "NORMAL" {
			return nil, fmt.Errorf("-synchronous must be FULL or NORMAL")
		}
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_busy_timeout", "10000")
		q.Set("_foreign_keys", "1")
		q.Set("_synchronous", synchronous)
		q.Set("_txlock", "immediate")
		if db, err = gorm.Open(sqlite.Open("file:"+dsn+"?"+q.Encode()), cfg); err != nil {
			return nil, err
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
		sqlDB.SetConnMaxLifetime(0)
	}
	if err := db.Exec(ddl).Error; err != nil {
		return nil, fmt.Errorf("create floor_rows: %w", err)
	}
	return db, nil
}
