package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

func TestAllowedHosts(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if got, err := st.ListAllowedHosts(ctx); err != nil || len(got) != 0 {
				t.Fatalf("ListAllowedHosts on an empty database = %v, %v", got, err)
			}
			hosts := []*service.AllowedHost{
				{Host: "hr.internal", Source: service.AllowedByAPI, Note: "HR 系统", CreatedBy: "u-admin",
					CreatedAt: time.Date(2026, 1, 5, 9, 0, 0, 1000, cst)},
				{Host: "10.0.0.7", Source: service.AllowedByAPI, CreatedBy: "u-admin", CreatedAt: testNow},
			}
			for _, h := range hosts {
				if created, err := st.CreateAllowedHost(ctx, h); err != nil || !created {
					t.Fatalf("CreateAllowedHost(%s) = %t, %v; want created", h.Host, created, err)
				}
			}
			// A second insert of a stored host leaves the first as it was.
			if created, err := st.CreateAllowedHost(ctx, &service.AllowedHost{Host: "hr.internal", Note: "other",
				CreatedBy: "u-other", CreatedAt: testNow}); err != nil || created {
				t.Errorf("CreateAllowedHost of a stored host = %t, %v; want not created", created, err)
			}
			want := []*service.AllowedHost{hosts[1], hosts[0]}
			want[1].CreatedAt = want[1].CreatedAt.UTC()
			got, err := st.ListAllowedHosts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ListAllowedHosts (-want +got):\n%s", diff)
			}
			found, err := st.FindAllowedHost(ctx, "hr.internal")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want[1], found); diff != "" {
				t.Errorf("FindAllowedHost (-want +got):\n%s", diff)
			}
			_, err = st.FindAllowedHost(ctx, "gone.internal")
			wantCode(t, "FindAllowedHost(gone.internal)", err, service.ENOTFOUND)

			if err := st.DeleteAllowedHost(ctx, "hr.internal"); err != nil {
				t.Fatalf("DeleteAllowedHost: %v", err)
			}
			wantCode(t, "DeleteAllowedHost again", st.DeleteAllowedHost(ctx, "hr.internal"), service.ENOTFOUND)
			if got, err := st.ListAllowedHosts(ctx); err != nil || len(got) != 1 || got[0].Host != "10.0.0.7" {
				t.Errorf("ListAllowedHosts after delete = %v, %v; want 10.0.0.7 only", got, err)
			}
		})
	}
}
