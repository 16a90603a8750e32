package collect_test

// BenchmarkCollect collects one subject through the datasys connector from the example shop seeded with
// 1,000,000 customers (the identity column indexed, as the example schema has it), 1,000,000 orders and 2,000,000
// order items. It skips unless RIGHTSDESK_BENCH_COLLECT is set:
//
//	RIGHTSDESK_BENCH_COLLECT       the number of customers to seed, e.g. 1000000
//	RIGHTSDESK_TEST_POSTGRES_DSN   a PostgreSQL server (a schema shop_* is made and dropped)
//	RIGHTSDESK_TEST_MYSQL_DSN      a MySQL or MariaDB server (a database shop_* is made and dropped)
//
//	RIGHTSDESK_BENCH_COLLECT=1000000 go test ./bench/collect -run '^$' -bench BenchmarkCollect -benchtime 200x
//
// The target is under 1 s per collection; the figure is a metric of the benchmark, not an assertion.

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/datasys"
	"github.com/rightsdesk/rightsdesk/datasys/datasystest"
	"github.com/rightsdesk/rightsdesk/service"
)

func BenchmarkCollect(b *testing.B) {
	n, err := strconv.Atoi(os.Getenv("RIGHTSDESK_BENCH_COLLECT"))
	if err != nil || n < 1000 {
		b.Skip("RIGHTSDESK_BENCH_COLLECT is not set to a number of customers (at least 1000)")
	}
	for _, kind := range []service.DataSystemKind{service.KindPostgres, service.KindMySQL} {
		env := datasystest.PostgresDSNEnv
		if kind == service.KindMySQL {
			env = datasystest.MySQLDSNEnv
		}
		if os.Getenv(env) == "" {
			continue
		}
		b.Run(string(kind), func(b *testing.B) {
			db := datasystest.Empty(b, kind)
			schema := "shop-postgres.sql"
			if kind == service.KindMySQL {
				schema = "shop-mysql.sql"
			}
			db.Exec(b, datasystest.Example(b, schema))
			start := time.Now()
			seed(b, db, n)
			b.Logf("seeded %d customers, %d orders, %d order items in %v", n, n, 2*n, time.Since(start).Round(time.Second))
			m, err := service.ParseDatasetMapYAML("map_yaml", []byte(datasystest.Example(b, "shop-map.yaml")))
			if err != nil {
				b.Fatal(err)
			}
			sys := &service.DataSystem{ID: "bench", Name: "shop", Kind: kind, DSN: db.DSN, Map: *m, RowCap: 1000,
				StatementTimeout: 5 * time.Second}
			c := datasys.New(zerolog.Nop())
			ctx := context.Background()
			i := 0
			b.ResetTimer()
			for b.Loop() {
				job := service.SubjectJob{Email: fmt.Sprintf("c%d@example.com", 1+(i*7919)%n)}
				got, err := c.Collect(ctx, sys, job)
				if err != nil {
					b.Fatal(err)
				}
				if len(got.Tables["customers"]) != 1 || len(got.Tables["order_items"]) != 2 {
					b.Fatalf("collected %d customers, %d order items; want 1 and 2", len(got.Tables["customers"]),
						len(got.Tables["order_items"]))
				}
				i++
			}
		})
	}
}

// seed fills the shop with n customers (c1@example.com ...), one order each and two items per order, in SQL
// that both servers run: a cross join of a ten-row table of digits.
func seed(b testing.TB, db datasystest.DB, n int) {
	b.Helper()
	db.Exec(b, "CREATE TABLE digits (d INTEGER NOT NULL);\nINSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);")
	numbers := "SELECT d0.d + 10*d1.d + 100*d2.d + 1000*d3.d + 10000*d4.d + 100000*d5.d + 1 AS id " +
		"FROM digits d0, digits d1, digits d2, digits d3, digits d4, digits d5"
	if n > 1000000 {
		b.Fatalf("at most 1000000 customers")
	}
	db.Exec(b, fmt.Sprintf(`INSERT INTO customers (id, email, phone_number, full_name, created_at)
		SELECT id, CONCAT('c', id, '@example.com'), CONCAT('+86 ', id), CONCAT('Customer ', id), '2024-01-01 00:00:00'
		FROM (%s) n WHERE id <= %d;`, numbers, n))
	db.Exec(b, `INSERT INTO orders (id, customer_id, shipping_address, total_cents, placed_at)
		SELECT id, id, CONCAT(id, ' Nanjing Road'), 100, '2025-01-01 00:00:00' FROM customers;`)
	db.Exec(b, `INSERT INTO order_items (id, order_id, sku, quantity) SELECT 2*id, id, 'TEA-001', 1 FROM orders;`)
	db.Exec(b, `INSERT INTO order_items (id, order_id, sku, quantity) SELECT 2*id+1, id, 'CUP-002', 1 FROM orders;`)
	if db.Kind == service.KindPostgres {
		db.Exec(b, "ANALYZE;")
	}
}
