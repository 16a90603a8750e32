package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/datasys"
	"github.com/rightsdesk/rightsdesk/datasys/datasystest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// shopMap is the example map as the API takes it.
func shopMap(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(datasystest.Example(t, "shop-map.json")), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// companyHarness is a server with the datasys connector and the two example shops, PostgreSQL and MariaDB.
type companyHarness struct {
	*harness
	pg, my datasystest.DB
}

// forEachDBWithShops runs fn on every Rightsdesk database, each time with two fresh example shops.
func forEachDBWithShops(t *testing.T, cfg service.Config, fn func(t *testing.T, h *companyHarness)) {
	t.Helper()
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			pg, my := datasystest.Shop(t, service.KindPostgres), datasystest.Shop(t, service.KindMySQL)
			cfg.Connector = datasys.New(zerolog.Nop())
			fn(t, &companyHarness{harness: newHarnessWith(t, db, cfg), pg: pg, my: my})
		})
	}
}

// register registers the two shops: PostgreSQL with the map as JSON, MariaDB with the map as YAML text.
func (h *companyHarness) register(t *testing.T, pgExtra map[string]any) {
	t.Helper()
	pgBody := map[string]any{"name": "shop-pg", "kind": "postgres", "dsn": h.pg.DSN, "map": shopMap(t)}
	for k, v := range pgExtra {
		pgBody[k] = v
	}
	for _, body := range []map[string]any{pgBody,
		{"name": "shop-my", "kind": "mysql", "dsn": h.my.DSN, "map_yaml": datasystest.Example(t, "shop-map.yaml")}} {
		res := h.Do(t, "POST", "/api/v1/data-systems", h.admin, body)
		if res.Status != 201 {
			t.Fatalf("register %s: %d %s", body["name"], res.Status, res.Body)
		}
		if strings.Contains(string(res.Body), "dsn\"") && strings.Contains(string(res.Body), body["dsn"].(string)) {
			t.Errorf("the DSN was answered: %s", res.Body)
		}
	}
}

// inProgress files a request of type typ for Li Wei and starts work on it.
func (h *companyHarness) inProgress(t *testing.T, typ string) string {
	t.Helper()
	body := deletion(func(b map[string]any) {
		b["subject"].(map[string]any)["email"] = "li.wei@example.com"
		if typ != "deletion" {
			b["type"], b["details"] = typ, map[string]any{}
		}
	})
	id := h.Do(t, "POST", "/api/v1/requests", h.admin, body).Map(t)["id"].(string)
	if res := h.Do(t, "POST", "/api/v1/requests/"+id+"/transitions", h.admin, map[string]any{"to": "in_progress"}); res.Status != 200 {
		t.Fatalf("start work: %d %s", res.Status, res.Body)
	}
	return id
}

// runOf decodes a run and indexes its systems by name.
func runOf(t *testing.T, res *apitest.Response) (map[string]any, map[string]map[string]any) {
	t.Helper()
	run := res.Map(t)
	systems := map[string]map[string]any{}
	for _, s := range run["systems"].([]any) {
		systems[s.(map[string]any)["name"].(string)] = s.(map[string]any)
	}
	return run, systems
}

// counts renders a system's table counts as "table rows/deleted/updated/retained", sorted.
func counts(system map[string]any) string {
	var out []string
	for table, c := range system["tables"].(map[string]any) {
		m := c.(map[string]any)
		out = append(out, fmt.Sprintf("%s %v/%v/%v/%v", table, m["rows"], m["deleted"], m["updated"], m["retained"]))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

const (
	erasedCounts  = "addresses 2/2/0/0, customers 1/0/1/0, marketing_consents 1/1/0/0, order_items 3/0/1/3, orders 2/0/2/2, support_tickets 1/1/0/0"
	nothingCounts = "addresses 0/0/0/0, customers 0/0/0/0, marketing_consents 0/0/0/0, order_items 0/0/0/0, orders 0/0/0/0, support_tickets 0/0/0/0"
)

// TestFulfilmentFromCompanyDatabases registers the two example databases, collects an access request's data
// into export files, previews a deletion, erases, sees the erasure recorded with its backup purges started, and
// runs again to find nothing left to do; the other customer stays untouched throughout.
func TestFulfilmentFromCompanyDatabases(t *testing.T) {
	forEachDBWithShops(t, service.Config{}, func(t *testing.T, h *companyHarness) {
		h.Do(t, "POST", "/api/v1/backup-systems", h.admin, map[string]any{"name": "tape", "owner_email": "ops@staff.example",
			"refresh_schedule": "0 3 * * 0", "generations": 1})
		h.register(t, nil)
		list := h.Do(t, "GET", "/api/v1/data-systems", h.admin, nil)
		if n := len(list.Map(t)["items"].([]any)); list.Status != 200 || n != 2 || strings.Contains(string(list.Body), h.pg.DSN) {
			t.Errorf("list: %d, %d systems: %s", list.Status, n, list.Body)
		}

		access := h.inProgress(t, "access")
		res := h.Do(t, "POST", "/api/v1/requests/"+access+"/collections", h.admin, nil)
		run, systems := runOf(t, res)
		if res.Status != 201 || run["status"] != "done" || run["kind"] != "collect" {
			t.Fatalf("collect: %d %s", res.Status, res.Body)
		}
		for _, name := range []string{"shop-pg", "shop-my"} {
			if got, want := counts(systems[name]), "addresses 2/0/0/0, customers 1/0/0/0, marketing_consents 1/0/0/0, order_items 3/0/0/0, orders 2/0/0/0, support_tickets 1/0/0/0"; got != want {
				t.Errorf("%s collected %s, want %s", name, got, want)
			}
		}
		exports, err := h.store.RequestExports(context.Background(), access, true)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range exports {
			if strings.HasSuffix(e.Name, ".csv") { // the same rows, a file per table
				if e.Name == "shop-pg.customers.csv" && (!strings.HasPrefix(string(e.Content), "birth_date,created_at,email,full_name,id,phone_number\n") ||
					!strings.Contains(string(e.Content), "Li Wei") || strings.Contains(string(e.Content), "Li Wen")) {
					t.Errorf("%s:\n%s", e.Name, e.Content)
				}
				continue
			}
			names = append(names, e.Name)
			var file struct {
				Tables map[string][]map[string]any `json:"tables"`
			}
			if err := json.Unmarshal(e.Content, &file); err != nil {
				t.Fatal(err)
			}
			if c := file.Tables["customers"]; len(c) != 1 || c[0]["full_name"] != "Li Wei" || strings.Contains(string(e.Content), "Li Wen") {
				t.Errorf("%s: customers %v", e.Name, c)
			}
		}
		if !slices.Equal(names, []string{"shop-my.json", "shop-pg.json"}) {
			t.Errorf("exports %v", names)
		}
		for _, want := range []string{"shop-pg.customers.csv", "shop-my.customers.csv", "shop-pg.order_items.csv"} {
			if !slices.ContainsFunc(exports, func(e *service.Export) bool { return e.Name == want }) {
				t.Errorf("no %s among the exports", want)
			}
		}

		del := h.inProgress(t, "deletion")
		path := "/api/v1/requests/" + del
		if res := h.Do(t, "POST", path+"/collections", h.admin, nil); res.Status != 409 {
			t.Errorf("collection on a deletion: %d", res.Status)
		}
		res = h.Do(t, "POST", path+"/erasure-runs", h.admin, map[string]any{"preview": true})
		run, systems = runOf(t, res)
		if res.Status != 201 || run["status"] != "done" || run["preview"] != true {
			t.Fatalf("preview: %d %s", res.Status, res.Body)
		}
		for _, name := range []string{"shop-pg", "shop-my"} {
			if got := counts(systems[name]); got != erasedCounts {
				t.Errorf("%s preview %s, want %s", name, got, erasedCounts)
			}
		}
		for _, db := range []datasystest.DB{h.pg, h.my} {
			if n := db.Count(t, "addresses", "customer_id = 1"); n != 2 {
				t.Errorf("%s: the preview deleted addresses", db.Kind)
			}
		}
		if e, _ := h.svc.RequestErasure(context.Background(), del); e != nil {
			t.Errorf("a preview recorded an erasure: %+v", e)
		}

		h.clock.Set(h.clock.Now().Add(time.Minute))
		res = h.Do(t, "POST", path+"/erasure-runs", h.admin, map[string]any{"preview": false})
		run, systems = runOf(t, res)
		if res.Status != 201 || run["status"] != "done" {
			t.Fatalf("erase: %d %s", res.Status, res.Body)
		}
		for _, name := range []string{"shop-pg", "shop-my"} {
			if got := counts(systems[name]); got != erasedCounts {
				t.Errorf("%s erased %s, want %s", name, got, erasedCounts)
			}
			if r := systems[name]["retained"].(map[string]any); r["orders"] != "Invoices are kept 10 years under tax law." {
				t.Errorf("%s retained %v", name, r)
			}
		}
		for _, db := range []datasystest.DB{h.pg, h.my} {
			if n := db.Count(t, "addresses", "customer_id = 1"); n != 0 {
				t.Errorf("%s: %d of Li Wei's addresses left", db.Kind, n)
			}
			if n := db.Count(t, "addresses", "customer_id = 2"); n != 1 {
				t.Errorf("%s: Li Wen's address touched", db.Kind)
			}
			if n := db.Count(t, "customers", "full_name = 'Li Wen' AND email = 'li.wen@example.com'"); n != 1 {
				t.Errorf("%s: Li Wen's customer row touched", db.Kind)
			}
		}
		e, err := h.svc.RequestErasure(context.Background(), del)
		if err != nil || e == nil {
			t.Fatalf("no erasure recorded: %v", err)
		}
		if slices.Sort(e.Systems); !slices.Equal(e.Systems, []string{"shop-my", "shop-pg"}) || len(e.Purges) != 1 || e.State != service.ErasurePending {
			t.Errorf("erasure %+v, want both systems and the tape's purge pending", e)
		}

		h.clock.Set(h.clock.Now().Add(time.Minute))
		res = h.Do(t, "POST", path+"/erasure-runs", h.admin, map[string]any{"preview": false})
		_, systems = runOf(t, res)
		for _, name := range []string{"shop-pg", "shop-my"} {
			if got := counts(systems[name]); res.Status != 201 || got != nothingCounts {
				t.Errorf("%s second run %d %s, want nothing left to do", name, res.Status, got)
			}
		}
		if again, _ := h.svc.RequestErasure(context.Background(), del); again == nil || !again.ExecutedAt.Equal(e.ExecutedAt) {
			t.Errorf("a run with nothing left to do re-recorded the erasure (restarting its purges): %+v", again)
		}
		runs := h.Do(t, "GET", path+"/runs", h.admin, nil)
		items := runs.Map(t)["items"].([]any)
		if runs.Status != 200 || len(items) != 3 {
			t.Fatalf("runs: %d %s", runs.Status, runs.Body)
		}
		first := items[2].(map[string]any)
		if got := h.Do(t, "GET", path+"/runs/"+first["id"].(string), h.admin, nil); got.Status != 200 || got.Map(t)["preview"] != true {
			t.Errorf("the first run: %d %s", got.Status, got.Body)
		}
		if got := h.Do(t, "GET", "/api/v1/requests/"+access+"/runs/"+first["id"].(string), h.admin, nil); got.Status != 404 {
			t.Errorf("a run through another request: %d", got.Status)
		}
		events, err := h.store.RequestEvents(context.Background(), del)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range events {
			actions = append(actions, ev.Action)
			if strings.Contains(fmt.Sprint(ev.Data), "li.wei") || strings.Contains(fmt.Sprint(ev.Data), "Nanjing") {
				t.Errorf("audit event %s holds personal data: %v", ev.Action, ev.Data)
			}
		}
		if !slices.Contains(actions, "run.finished") || !slices.Contains(actions, "erasure.recorded") {
			t.Errorf("audit actions %v", actions)
		}
		if strings.Contains(h.logs.String(), "li.wei") || strings.Contains(h.logs.String(), "Nanjing") {
			t.Errorf("the log holds personal data")
		}
	})
}

// TestDataSystemMapRefusedWithItsPath registers maps the database contradicts, as JSON and as YAML.
func TestDataSystemMapRefusedWithItsPath(t *testing.T) {
	forEachDBWithShops(t, service.Config{}, func(t *testing.T, h *companyHarness) {
		m := shopMap(t)
		m["tables"].([]any)[1].(map[string]any)["columns"].(map[string]any)["emial"] = map[string]any{"category": "contact"}
		res := h.Do(t, "POST", "/api/v1/data-systems", h.admin, map[string]any{"name": "shop", "kind": "postgres", "dsn": h.pg.DSN, "map": m})
		if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"map.tables[1].columns.emial"`) {
			t.Errorf("unknown column: %d %s", res.Status, res.Body)
		}
		yaml := strings.Replace(datasystest.Example(t, "shop-map.yaml"), "erase: delete", "erase: shred", 1)
		res = h.Do(t, "POST", "/api/v1/data-systems", h.admin, map[string]any{"name": "shop", "kind": "mysql", "dsn": h.my.DSN, "map_yaml": yaml})
		if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"map_yaml.tables[1].erase"`) || !strings.Contains(string(res.Body), "line 15") {
			t.Errorf("bad erase in YAML: %d %s", res.Status, res.Body)
		}
		res = h.Do(t, "POST", "/api/v1/data-systems", h.admin, map[string]any{"name": "shop", "kind": "mysql",
			"dsn": strings.Replace(h.my.DSN, "tcp(127.0.0.1:3306)", "tcp(127.0.0.1:1)", 1), "map": shopMap(t)})
		if res.Status != 503 {
			t.Errorf("unreachable database: %d %s", res.Status, res.Body)
		}
		if list := h.Do(t, "GET", "/api/v1/data-systems", h.admin, nil); len(list.Map(t)["items"].([]any)) != 0 {
			t.Errorf("a refused system was saved: %s", list.Body)
		}
	})
}

// TestErasureFailingHalfwayIsReportedExactly erases on two systems while the second's rows are locked past its
// statement timeout: the first erases, the second changes nothing and says why, no erasure is recorded; once
// the lock is gone, running again finishes the second and records the erasure.
func TestErasureFailingHalfwayIsReportedExactly(t *testing.T) {
	forEachDBWithShops(t, service.Config{}, func(t *testing.T, h *companyHarness) {
		h.register(t, map[string]any{"statement_timeout_ms": 300})
		del := h.inProgress(t, "deletion")
		holder, err := h.pg.SQL.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		if _, err := holder.Exec("UPDATE customers SET full_name = full_name WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		res := h.Do(t, "POST", "/api/v1/requests/"+del+"/erasure-runs", h.admin, map[string]any{"preview": false})
		run, systems := runOf(t, res)
		if res.Status != 201 || run["status"] != "failed" {
			t.Fatalf("erase: %d %s", res.Status, res.Body)
		}
		if my := systems["shop-my"]; my["status"] != "done" || counts(my) != erasedCounts {
			t.Errorf("shop-my: %v", my)
		}
		if pg := systems["shop-pg"]; pg["status"] != "failed" || !strings.Contains(pg["error"].(string), "statement timeout (300 ms)") {
			t.Errorf("shop-pg: %v", pg)
		}
		if n := h.pg.Count(t, "addresses", "customer_id = 1"); n != 2 {
			t.Errorf("the failed system changed data: %d addresses left", n)
		}
		if e, _ := h.svc.RequestErasure(context.Background(), del); e != nil {
			t.Errorf("a failed run recorded an erasure: %+v", e)
		}
		holder.Rollback()
		res = h.Do(t, "POST", "/api/v1/requests/"+del+"/erasure-runs", h.admin, map[string]any{"preview": false})
		run, systems = runOf(t, res)
		if res.Status != 201 || run["status"] != "done" || counts(systems["shop-my"]) != nothingCounts || counts(systems["shop-pg"]) != erasedCounts {
			t.Errorf("second run: %d %s", res.Status, res.Body)
		}
		if e, _ := h.svc.RequestErasure(context.Background(), del); e == nil {
			t.Error("the finished run recorded no erasure")
		}
	})
}

// TestRunsAreTheRequestOfficersOnly lets an officer outside the request's queue neither run nor read runs.
func TestRunsAreTheRequestOfficersOnly(t *testing.T) {
	forEachDBWithShops(t, service.Config{}, func(t *testing.T, h *companyHarness) {
		h.register(t, nil)
		member, memberToken := h.officer(t, "member")
		outsider, outsiderToken := h.officer(t, "outsider")
		h.queue(t, map[string]any{"name": "Deletions", "members": []string{member}, "routes": map[string]any{"types": []string{"deletion"}}})
		h.queue(t, map[string]any{"name": "Elsewhere", "members": []string{outsider}, "default": true})
		del := h.inProgress(t, "deletion")
		path := "/api/v1/requests/" + del
		if res := h.Do(t, "POST", path+"/erasure-runs", outsiderToken, map[string]any{"preview": false}); res.Status != 404 {
			t.Errorf("outsider erase: %d", res.Status)
		}
		if n := h.pg.Count(t, "addresses", "customer_id = 1"); n != 2 {
			t.Errorf("the outsider's run changed data")
		}
		if res := h.Do(t, "POST", "/api/v1/data-systems", memberToken, map[string]any{"name": "x", "kind": "postgres", "dsn": h.pg.DSN, "map": shopMap(t)}); res.Status != 403 {
			t.Errorf("officer registers a system: %d", res.Status)
		}
		if res := h.Do(t, "POST", path+"/erasure-runs", memberToken, map[string]any{"preview": true}); res.Status != 201 {
			t.Errorf("member preview: %d %s", res.Status, res.Body)
		}
		if res := h.Do(t, "GET", path+"/runs", outsiderToken, nil); res.Status != 404 {
			t.Errorf("outsider reads runs: %d", res.Status)
		}
	})
}
