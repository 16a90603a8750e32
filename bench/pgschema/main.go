// Command pgschema creates or drops a throwaway schema for the load runs and prints the DSN that uses it.
//
//	go run ./bench/pgschema -dsn "$PG" create rdload_1234    # prints $PG&search_path=rdload_1234
//	go run ./bench/pgschema -dsn "$PG" drop rdload_1234
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
)

var schemaName = regexp.MustCompile(`^rd[a-z0-9_]{1,40}$`)

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "the PostgreSQL server and database")
	flag.Parse()
	if flag.NArg() != 2 || (flag.Arg(0) != "create" && flag.Arg(0) != "drop") || !schemaName.MatchString(flag.Arg(1)) {
		fmt.Fprintln(os.Stderr, "usage: pgschema -dsn DSN create|drop rdNAME")
		os.Exit(2)
	}
	if err := run(*dsn, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "pgschema:", err)
		os.Exit(1)
	}
}

func run(dsn, op, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if op == "drop" {
		_, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	fmt.Println(u.String())
	return nil
}
