package service_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// A batch of events appended under one lock of the head chains like events appended one by one: the chain and
// the keyed head verify, every event is stored in order with its data, and a forged head stops the batch.
func TestAppendEventsBatchVerifies(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		before := mustChain(t, e)
		var batch []service.NewEvent
		for i := range 150 {
			batch = append(batch, service.NewEvent{Actor: officer, Action: "request.escalated",
				RequestID: before[4+i%5].RequestID, Data: map[string]string{"level": strconv.Itoa(i), "empty": ""}})
		}
		if err := e.svc.AppendEventsOfTests(ctx, batch); err != nil {
			t.Fatalf("append a batch of %d: %v", len(batch), err)
		}
		want := service.AuditVerification{OK: true, Checked: chainLen + 150}
		if diff := cmp.Diff(want, mustVerify(t, e.svc, auditor)); diff != "" {
			t.Errorf("VerifyAudit after the batch (-want +got):\n%s", diff)
		}
		got, err := e.store.AuditEventsAfter(ctx, chainLen, 1000)
		if err != nil || len(got) != 150 {
			t.Fatalf("AuditEventsAfter = %d events, %v; want 150", len(got), err)
		}
		for i, ev := range got {
			wantData := map[string]string{"level": strconv.Itoa(i)}
			if ev.Seq != int64(chainLen+1+i) || ev.Action != "request.escalated" || ev.ActorID != officer.UserID ||
				ev.RequestID != batch[i].RequestID || !cmp.Equal(ev.Data, wantData) {
				t.Errorf("event %d = %+v; want seq %d of %s with %v", i, ev, chainLen+1+i, batch[i].RequestID, wantData)
			}
		}

		// A head rewritten by hand (its MAC no longer matches) takes no batch.
		mustExec(t, storetest.Raw(t, e.db), "UPDATE audit_head SET mac = 'forged' WHERE id = 1")
		if err := e.svc.AppendEventsOfTests(ctx, batch[:2]); err == nil {
			t.Errorf("a batch appended onto a forged head")
		}
		if head, err := e.store.AuditHeadNow(ctx); err != nil || head.Seq != chainLen+150 {
			t.Errorf("head after the refused batch = %+v, %v; want seq %d", head, err, chainLen+150)
		}
	})
}
