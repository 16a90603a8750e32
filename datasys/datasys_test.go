package datasys_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/datasys"
	"github.com/rightsdesk/rightsdesk/datasys/datasystest"
	"github.com/rightsdesk/rightsdesk/service"
)

// shopSystem is the example shop with its example map.
func shopSystem(t *testing.T, db datasystest.DB) *service.DataSystem {
	t.Helper()
	m, err := service.ParseDatasetMapYAML("map_yaml", []byte(datasystest.Example(t, "shop-map.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	return &service.DataSystem{ID: "sys-1", Name: "shop", Kind: db.Kind, DSN: db.DSN, Map: *m, RowCap: 1000,
		StatementTimeout: 5 * time.Second}
}

var liWei = service.SubjectJob{Email: "li.wei@example.com", HashKey: []byte("test hash key")}

// snapshot reads every row of the tables that hold Li Wen's data, in order, to prove that nothing of hers changes.
func snapshot(t *testing.T, db datasystest.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT id, email, phone_number, full_name, birth_date FROM customers WHERE id = 2",
		"SELECT id, line1, city, postcode FROM addresses WHERE customer_id = 2 ORDER BY id",
		"SELECT id, shipping_address, total_cents FROM orders WHERE customer_id = 2 ORDER BY id",
		"SELECT id, sku, gift_message FROM order_items WHERE order_id = 102 ORDER BY id",
		"SELECT id, subject, body FROM support_tickets WHERE customer_id = 2 ORDER BY id",
		"SELECT id, email, channel FROM marketing_consents WHERE email = 'li.wen@example.com' ORDER BY id",
	} {
		rows, err := db.SQL.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals)
		}
		rows.Close()
	}
	if b.Len() == 0 {
		t.Fatal("Li Wen has no data")
	}
	return b.String()
}

func TestCollectFollowsReferences(t *testing.T) {
	for _, db := range datasystest.Shops(t) {
		t.Run(string(db.Kind), func(t *testing.T) {
			var logs strings.Builder
			c := datasys.New(zerolog.New(&logs))
			got, err := c.Collect(context.Background(), shopSystem(t, db), liWei)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for table, rows := range got.Tables {
				counts[table] = len(rows)
			}
			want := map[string]int{"customers": 1, "addresses": 2, "orders": 2, "order_items": 3, "support_tickets": 1,
				"marketing_consents": 1}
			if diff := cmp.Diff(want, counts); diff != "" {
				t.Errorf("rows per table (-want +got):\n%s", diff)
			}
			if c := got.Tables["customers"][0]; c["full_name"] != "Li Wei" || c["phone_number"] != "+86 138 0000 0000" {
				t.Errorf("customer row = %v", c)
			}
			all := fmt.Sprint(got.Tables)
			for _, other := range []string{"Li Wen", "li.wen", "2 Nanjing Road", "order 102"} {
				if strings.Contains(all, other) {
					t.Errorf("the collection holds %q, the other customer's", other)
				}
			}
			if strings.Contains(logs.String(), "li.wei") || strings.Contains(logs.String(), "Li Wei") {
				t.Errorf("the log holds the subject's data: %s", logs.String())
			}
		})
	}
}

func TestErasePreviewThenEraseThenNothingLeft(t *testing.T) {
	for _, db := range datasystest.Shops(t) {
		t.Run(string(db.Kind), func(t *testing.T) {
			ctx := context.Background()
			var logs strings.Builder
			c := datasys.New(zerolog.New(&logs))
			sys := shopSystem(t, db)
			before := snapshot(t, db)
			want := map[string]service.TableCounts{
				"customers":          {Rows: 1, Updated: 1},
				"addresses":          {Rows: 2, Deleted: 2},
				"orders":             {Rows: 2, Updated: 2, Retained: 2},
				"order_items":        {Rows: 3, Updated: 1, Retained: 3},
				"support_tickets":    {Rows: 1, Deleted: 1},
				"marketing_consents": {Rows: 1, Deleted: 1},
			}
			preview, err := c.Erase(ctx, sys, liWei, true)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, preview); diff != "" {
				t.Errorf("preview (-want +got):\n%s", diff)
			}
			if n := db.Count(t, "addresses", "customer_id = 1"); n != 2 {
				t.Fatalf("the preview changed data: %d addresses left, want 2", n)
			}
			got, err := c.Erase(ctx, sys, liWei, false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("erasure (-want +got):\n%s", diff)
			}
			for table, cond := range map[string]string{"addresses": "customer_id = 1", "support_tickets": "customer_id = 1",
				"marketing_consents": "email = 'li.wei@example.com'", "customers": "email = 'li.wei@example.com' OR phone_number IS NOT NULL AND id = 1",
				"orders": "customer_id = 1 AND shipping_address IS NOT NULL", "order_items": "order_id = 100 AND gift_message IS NOT NULL"} {
				if n := db.Count(t, table, cond); n != 0 {
					t.Errorf("%s: %d rows still match %s", table, n, cond)
				}
			}
			var email, name string
			if err := db.SQL.QueryRow("SELECT email, full_name FROM customers WHERE id = 1").Scan(&email, &name); err != nil {
				t.Fatal(err)
			}
			if email != service.MaskHash(liWei.HashKey, "li.wei@example.com") || name != "[erased]" {
				t.Errorf("customer 1 = %q %q, want the keyed hash and [erased]", email, name)
			}
			if n := db.Count(t, "orders", "customer_id = 1"); n != 2 {
				t.Errorf("retained orders: %d, want 2", n)
			}
			if after := snapshot(t, db); after != before {
				t.Errorf("the other customer's data changed:\nbefore %s\nafter  %s", before, after)
			}
			again, err := c.Erase(ctx, sys, liWei, false)
			if err != nil {
				t.Fatal(err)
			}
			for table, tc := range again {
				if tc.Deleted != 0 || tc.Updated != 0 {
					t.Errorf("second run on %s: %+v, want nothing left to do", table, tc)
				}
			}
			if strings.Contains(logs.String(), "li.wei") {
				t.Errorf("the log holds the subject's data: %s", logs.String())
			}
		})
	}
}

func TestMapNamingWhatTheSchemaLacksIsRefused(t *testing.T) {
	for _, db := range datasystest.Shops(t) {
		t.Run(string(db.Kind), func(t *testing.T) {
			sys := shopSystem(t, db)
			sys.Map.Tables[1].Columns["emial"] = service.MapColumn{Category: "contact"}
			sys.Map.Tables[2].References = map[string]string{"customer_id": "customers.uid"}
			sys.Map.Tables = append(sys.Map.Tables, service.MapTable{Name: "loyalty_cards",
				Identity: map[string]string{"email": "email"}, Erase: service.EraseDelete})
			err := datasys.New(zerolog.Nop()).CheckMap(context.Background(), sys)
			var got []string
			for _, f := range service.ErrorFields(err) {
				got = append(got, f.Field)
			}
			want := []string{"map.tables[1].columns.emial", "map.tables[2].references.customer_id", "map.tables[6].name"}
			if service.ErrorCode(err) != service.EINVALID || !cmp.Equal(want, got) {
				t.Errorf("CheckMap = %v, fields %v; want invalid naming %v", err, got, want)
			}
			if err := datasys.New(zerolog.Nop()).CheckMap(context.Background(), shopSystem(t, db)); err != nil {
				t.Errorf("the example map: %v", err)
			}
		})
	}
}

func TestRowCapFailsRatherThanTruncates(t *testing.T) {
	for _, db := range datasystest.Shops(t) {
		t.Run(string(db.Kind), func(t *testing.T) {
			sys := shopSystem(t, db)
			sys.RowCap = 2 // Li Wei has 3 order items
			c := datasys.New(zerolog.Nop())
			_, err := c.Collect(context.Background(), sys, liWei)
			if err == nil || !strings.Contains(service.ErrorMessage(err), "order_items") || !strings.Contains(service.ErrorMessage(err), "row cap") {
				t.Errorf("collect = %v, want the row cap named on order_items", err)
			}
			_, err = c.Erase(context.Background(), sys, liWei, false)
			if err == nil {
				t.Fatal("erase over the row cap succeeded")
			}
			if n := db.Count(t, "addresses", "customer_id = 1"); n != 2 {
				t.Errorf("a failed erasure changed data: %d addresses, want 2", n)
			}
		})
	}
}

func TestStatementTimeout(t *testing.T) {
	for _, db := range datasystest.Shops(t) {
		t.Run(string(db.Kind)+"/slow view", func(t *testing.T) {
			slow := "CREATE VIEW slow_customers AS SELECT c.* FROM customers c WHERE (SELECT true FROM pg_sleep(0.5))"
			if db.Kind == service.KindMySQL {
				slow = "CREATE VIEW slow_customers AS SELECT c.* FROM customers c WHERE SLEEP(0.5) = 0"
			}
			db.Exec(t, slow)
			sys := shopSystem(t, db)
			sys.StatementTimeout = 50 * time.Millisecond
			sys.Map = service.DatasetMap{Tables: []service.MapTable{{Name: "slow_customers",
				Identity: map[string]string{"email": "email"}, Erase: service.EraseRetain, Reason: "a test"}}}
			start := time.Now()
			_, err := datasys.New(zerolog.Nop()).Collect(context.Background(), sys, liWei)
			if err == nil || !strings.Contains(service.ErrorMessage(err), "statement timeout (50 ms)") {
				t.Errorf("collect = %v, want the statement timeout", err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("the timeout took %v", took)
			}
		})
		t.Run(string(db.Kind)+"/locked row", func(t *testing.T) {
			holder, err := db.SQL.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Rollback()
			if _, err := holder.Exec("UPDATE customers SET full_name = full_name WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			sys := shopSystem(t, db)
			sys.StatementTimeout = 200 * time.Millisecond
			_, err = datasys.New(zerolog.Nop()).Erase(context.Background(), sys, liWei, false)
			if err == nil || !strings.Contains(service.ErrorMessage(err), "statement timeout (200 ms)") {
				t.Errorf("erase = %v, want the statement timeout", err)
			}
			holder.Rollback()
			if n := db.Count(t, "addresses", "customer_id = 1"); n != 2 {
				t.Errorf("a timed-out erasure changed data: %d addresses, want 2", n)
			}
		})
	}
}

func TestUnreachableDatabaseSaysSoWithoutThePassword(t *testing.T) {
	for _, kind := range []service.DataSystemKind{service.KindPostgres, service.KindMySQL} {
		dsn := "postgres://eraser:s3cret-pass@127.0.0.1:1/shop?connect_timeout=2"
		if kind == service.KindMySQL {
			dsn = "eraser:s3cret-pass@tcp(127.0.0.1:1)/shop?timeout=2s"
		}
		sys := &service.DataSystem{ID: "x", Name: "x", Kind: kind, DSN: dsn, RowCap: 10, StatementTimeout: time.Second,
			Map: service.DatasetMap{Tables: []service.MapTable{{Name: "customers", Identity: map[string]string{"email": "email"}, Erase: service.EraseDelete}}}}
		err := datasys.New(zerolog.Nop()).CheckMap(context.Background(), sys)
		if service.ErrorCode(err) != service.EUNAVAILABLE || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: CheckMap = %v, want unavailable without the password", kind, err)
		}
	}
}

// The README's roles: the read-only collector collects and may not erase; the eraser erases.
func TestReadmeRolesSuffice(t *testing.T) {
	for _, db := range datasystest.Shops(t) {
		t.Run(string(db.Kind), func(t *testing.T) {
			ctx := context.Background()
			collector, eraser := db.Roles(t)
			c := datasys.New(zerolog.Nop())
			sys := shopSystem(t, db)
			sys.DSN, sys.EraseDSN = collector, eraser
			if err := c.CheckMap(ctx, sys); err != nil {
				t.Fatalf("CheckMap with the two roles: %v", err)
			}
			if got, err := c.Collect(ctx, sys, liWei); err != nil || len(got.Tables["order_items"]) != 3 {
				t.Fatalf("collect as the collector: %v", err)
			}
			readOnly := *sys
			readOnly.EraseDSN = collector
			_, err := c.Erase(ctx, &readOnly, liWei, false)
			if f := service.ErrorFields(err); len(f) == 0 || !strings.Contains(f[0].Message, "that this role can see") {
				t.Errorf("erase as the collector: %v, want a refusal naming the role", err)
			}
			if got, err := c.Erase(ctx, sys, liWei, false); err != nil || got["addresses"].Deleted != 2 {
				t.Errorf("erase as the eraser: %v, %v", got, err)
			}
		})
	}
}

// The attack: an officer reads a run's failure (GET /requests/{id}/runs), or anyone reads the logs, to learn the
// company database behind a data system: the drivers' messages name the DSN's host, role and database, and a DSN
// that does not parse is quoted whole (a password with a space in it too). A failure to connect is worded by its
// cause only, a DSN that does not parse is refused naming its field, and nothing of either reaches the log.
func TestConnectionFailuresNameNoPartOfTheDSN(t *testing.T) {
	m := service.DatasetMap{Tables: []service.MapTable{{Name: "customers", Identity: map[string]string{"email": "email"}, Erase: service.EraseDelete}}}
	for _, tc := range []struct {
		name       string
		kind       service.DataSystemKind
		dsn, erase string
		code       string
		field      string
	}{
		{"postgres refused", service.KindPostgres, "postgres://canaryrole:s3cret-pass@127.0.0.1:1/canarydb?connect_timeout=2", "", service.EUNAVAILABLE, ""},
		{"postgres key=value refused", service.KindPostgres, "host=127.0.0.1 port=1 user=canaryrole password=s3cret-pass dbname=canarydb connect_timeout=2", "", service.EUNAVAILABLE, ""},
		{"postgres URL that does not parse", service.KindPostgres, "postgres://canaryrole:s3cret pass@127.0.0.1:1/canarydb", "", service.EINVALID, "dsn"},
		{"postgres port that does not parse", service.KindPostgres, "host=127.0.0.1 port=canaryport user=canaryrole password=s3cret-pass", "", service.EINVALID, "dsn"},
		{"postgres eraser's DSN that does not parse", service.KindPostgres, "postgres://canaryrole:s3cret-pass@127.0.0.1:1/canarydb?connect_timeout=2",
			"postgres://canaryrole:s3cret pass@127.0.0.1:1/canarydb", service.EINVALID, "erase_dsn"},
		{"mysql refused", service.KindMySQL, "canaryrole:s3cret-pass@tcp(127.0.0.1:1)/canarydb?timeout=2s", "", service.EUNAVAILABLE, ""},
		{"mysql DSN that does not parse", service.KindMySQL, "canaryrole:s3cret-pass@tcp(127.0.0.1:1/canarydb", "", service.EINVALID, "dsn"},
		{"mysql parameter that does not parse", service.KindMySQL, "canaryrole:s3cret-pass@tcp(127.0.0.1:1)/canarydb?timeout=canary", "", service.EINVALID, "dsn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			sys := &service.DataSystem{ID: "x", Name: "x", Kind: tc.kind, DSN: tc.dsn, EraseDSN: tc.erase, RowCap: 10,
				StatementTimeout: time.Second, Map: m}
			c := datasys.New(zerolog.New(&logs))
			errs := []error{c.CheckMap(context.Background(), sys)}
			_, err := c.Collect(context.Background(), sys, liWei)
			errs = append(errs, err)
			for i, err := range errs {
				if i == 1 && tc.erase != "" { // collection connects with dsn only
					tc.code, tc.field = service.EUNAVAILABLE, ""
				}
				if service.ErrorCode(err) != tc.code {
					t.Errorf("call %d: %v (code %s), want %s", i, err, service.ErrorCode(err), tc.code)
				}
				said := fmt.Sprint(err, service.ErrorMessage(err), service.ErrorFields(err))
				for _, part := range []string{"canary", "s3cret", "127.0.0.1"} {
					if strings.Contains(said, part) {
						t.Errorf("call %d answers %q, naming %s of the DSN", i, said, part)
					}
				}
				if f := service.ErrorFields(err); tc.field != "" && (len(f) != 1 || f[0].Field != tc.field) {
					t.Errorf("call %d: fields %v, want one naming %s", i, f, tc.field)
				}
			}
			if _, err := c.Erase(context.Background(), sys, liWei, true); tc.erase != "" {
				if f := service.ErrorFields(err); len(f) != 1 || f[0].Field != "erase_dsn" {
					t.Errorf("erase: %v, want a refusal naming erase_dsn", err)
				}
			}
			for _, part := range []string{"canary", "s3cret", "127.0.0.1"} {
				if strings.Contains(logs.String(), part) {
					t.Errorf("the log names %s of the DSN: %s", part, logs.String())
				}
			}
		})
	}
}

// The attack: an admin token registers a MySQL data system whose DSN sets allowAllFiles=true and points at a
// server the attacker runs. That server answers any statement with a LOCAL INFILE request, and the driver sends it
// any file Rightsdesk may read: the development key file, the database. Such a DSN is refused, naming its field,
// before any connection is made.
func TestMySQLDSNMayNotLetTheServerReadFiles(t *testing.T) {
	m := service.DatasetMap{Tables: []service.MapTable{{Name: "customers", Identity: map[string]string{"email": "email"}, Erase: service.EraseDelete}}}
	for _, tc := range []struct{ dsn, erase, field string }{
		{"shop:pw@tcp(127.0.0.1:1)/shop?allowAllFiles=true&timeout=2s", "", "dsn"},
		{"shop:pw@tcp(127.0.0.1:1)/shop?timeout=2s", "eraser:pw@tcp(127.0.0.1:1)/shop?timeout=2s&allowAllFiles=1", "erase_dsn"},
	} {
		sys := &service.DataSystem{ID: "x", Name: "x", Kind: service.KindMySQL, DSN: tc.dsn, EraseDSN: tc.erase, RowCap: 10,
			StatementTimeout: time.Second, Map: m}
		err := datasys.New(zerolog.Nop()).CheckMap(context.Background(), sys)
		if f := service.ErrorFields(err); len(f) != 1 || f[0].Field != tc.field || !strings.Contains(f[0].Message, "allowAllFiles") {
			t.Errorf("CheckMap(%s, %s) = %v %v, want a refusal naming %s and allowAllFiles", tc.dsn, tc.erase, err, f, tc.field)
		}
	}
}
