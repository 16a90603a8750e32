package service_test

import (
	"context"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestTransitionAndAssignmentLeavePersonalDataAlone: moving a request along the state machine (holds that stop
// and resume the clock included) and assigning it write the columns they change, never the sealed subject,
// details or reply: the stored ciphertext is the very one filing wrote.
func TestTransitionAndAssignmentLeavePersonalDataAlone(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		officers := e.mustQueueOfficers(t, "Wang Fang")
		cmd := deletionCmd()
		cmd.Channel = service.ChannelEmail
		r := e.mustFile(t, admin, cmd)
		raw := storetest.Raw(t, e.db)
		sealed := func() [4]string {
			t.Helper()
			var out [4]string
			if err := raw.QueryRowContext(ctx, "SELECT subject, details, reply_message, external_id FROM requests WHERE id = '"+r.ID+"'").
				Scan(&out[0], &out[1], &out[2], &out[3]); err != nil {
				t.Fatal(err)
			}
			return out
		}
		before := sealed()
		steps := []service.TransitionCommand{
			{To: service.StatusInProgress},
			{To: service.StatusOnHold, Reason: service.PauseAwaitingSubjectInformation},
			{To: service.StatusInProgress},
		}
		e.mustAssign(t, r.ID, officers[0].UserID)
		for _, step := range steps {
			if _, err := e.svc.Transition(ctx, officers[0], r.ID, step); err != nil {
				t.Fatalf("Transition(%s): %v", step.To, err)
			}
		}
		e.mustAssign(t, r.ID, "")
		if after := sealed(); after != before {
			t.Errorf("the sealed columns were written again:\nbefore %.60q\nafter  %.60q", before, after)
		}
		got := e.mustRead(t, admin, r.ID)
		if got.Status != service.StatusInProgress || got.AssigneeID != "" || got.Clock.Paused != nil ||
			got.Subject.Email != cmd.Subject.Email || got.Details.Explanation != cmd.Details.Explanation {
			t.Errorf("read back: status %s, assignee %q, paused %v, subject %q, explanation %q", got.Status,
				got.AssigneeID, got.Clock.Paused, got.Subject.Email, got.Details.Explanation)
		}
	})
}
