// Command seeddb prepares a seeded database for the load runs (bench/scale.sh) and prints its fixture as one JSON
// line: the DSN, the admin and officer tokens, the officer's queue.
//
//	go run ./bench/seeddb -rows 1000000 -due 10000 -dir /tmp/rdbench            # SQLite, kept in -dir
//	go run ./bench/seeddb -pg postgres://postgres@127.0.0.1:5432/test?sslmode=disable -rows 1000000 -due 10000
//	go run ./bench/seeddb -copy ...                                             # a fresh copy of it instead
//	go run ./bench/seeddb -pg ... -drop-all                                     # drop every rdbench_* database
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/rightsdesk/rightsdesk/bench/seed"
	"github.com/rightsdesk/rightsdesk/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "seeddb:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	rows := flag.Int("rows", 1_000_000, "requests to store")
	due := flag.Int("due", 10_000, "of which due within the reminder window")
	dir := flag.String("dir", os.TempDir()+"/rdbench", "where seeded SQLite files are kept")
	pg := flag.String("pg", "", "a PostgreSQL server DSN: seed a database beside its own instead of a SQLite file")
	cp := flag.Bool("copy", false, "print the fixture of a fresh copy (in -dir, or a new database) rather than of the seed")
	dropAll := flag.Bool("drop-all", false, "drop every rdbench_* database on the -pg server, then exit")
	flag.Parse()
	tg := seed.Target{Dialect: store.SQLite, Dir: *dir}
	if *pg != "" {
		tg = seed.Target{Dialect: store.Postgres, PostgresDSN: *pg}
	}
	if *dropAll {
		if *pg == "" {
			return fmt.Errorf("-drop-all needs -pg")
		}
		names, err := seed.DropAll(ctx, *pg)
		fmt.Fprintf(os.Stderr, "dropped %d databases %v\n", len(names), names)
		return err
	}
	fx, err := seed.Prepare(ctx, tg, seed.Options{Rows: *rows, Due: *due, Seed: 1, Progress: os.Stderr})
	if err != nil {
		return err
	}
	if *cp {
		if fx, _, err = seed.Copy(ctx, tg, fx, *dir); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(fx)
}
