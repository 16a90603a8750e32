package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestTwoReplicasServeTogether runs two API servers, each with its own store, on one database, files through
// both at once, and reads every request through the other: references stay unique and gapless.
func TestTwoReplicasServeTogether(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			clk := storetest.NewClock(shanghaiNoon())
			var clients []*apitest.Client
			var admin string
			for i := range 2 {
				st := storetest.MustOpen(t, db, clk.Now)
				svc, err := service.New(context.Background(), service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now, SubjectDailyCap: 1000})
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if admin, err = svc.EnsureAdmin(context.Background(), ""); err != nil {
						t.Fatal(err)
					}
				}
				e, err := api.New(api.Config{Service: svc, Logger: zerolog.Nop(), FilingsPerMinute: 1 << 20,
					FilingsPerMinutePerAddress: 1 << 20})
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(e)
				t.Cleanup(srv.Close)
				clients = append(clients, apitest.New(t, srv.URL))
			}
			const n = 20
			refs, ids := make([]string, n), make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := clients[i%2].Do(t, "POST", "/api/v1/requests", admin, deletion())
					if res.Status != 201 {
						t.Errorf("filing %d on replica %d: %d %s", i, i%2, res.Status, res.Body)
						return
					}
					m := res.Map(t)
					refs[i], ids[i] = m["reference"].(string), m["id"].(string)
				}()
			}
			wg.Wait()
			for i, id := range ids {
				if res := clients[(i+1)%2].Do(t, "GET", "/api/v1/requests/"+id, admin, nil); res.Status != 200 {
					t.Errorf("request %s read on the other replica: %d", id, res.Status)
				}
			}
			sort.Strings(refs)
			for i, ref := range refs {
				if want := fmt.Sprintf("DSR-2026-%06d", i+1); ref != want {
					t.Errorf("reference %d = %q, want %q", i, ref, want)
				}
			}
			if v := clients[1].Do(t, "GET", "/api/v1/audit/verify", admin, nil).Map(t); v["ok"] != true {
				t.Errorf("audit chain after two replicas: %v", v)
			}
		})
	}
}
