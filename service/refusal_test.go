package service_test

import (
	"context"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestRefusalsAreAudited: every operation that names a request outside the officer's queues writes one
// access.denied event by the officer on that request, whatever error it answers: a 404 for the request worked
// on, a 422 naming `into` for a merge target. Nothing else changes.
func TestRefusalsAreAudited(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		outside := e.mustFile(t, admin, deletionCmd()) // filed before any queue: in none of olivia's
		olivia := e.mustQueueOfficers(t, "olivia")[0]
		mine := e.mustFile(t, admin, deletionCmd())
		if _, err := e.svc.Transition(ctx, olivia, mine.ID, service.TransitionCommand{To: service.StatusInProgress}); err != nil {
			t.Fatal(err)
		}
		for _, sc := range []struct {
			name    string
			call    func(id string) error
			code    string
			fields  []string
			refused string // the request the refusal is audited on
			worked  string // the request the call works on, which must not change
		}{
			{name: "merge into another queue's request", code: service.EINVALID, fields: []string{"into"},
				refused: outside.ID, worked: mine.ID, call: func(string) error {
					_, err := e.svc.Merge(ctx, olivia, mine.ID, outside.ID)
					return err
				}},
			{name: "merge another queue's request", code: service.ENOTFOUND, refused: outside.ID, worked: mine.ID,
				call: func(string) error { _, err := e.svc.Merge(ctx, olivia, outside.ID, mine.ID); return err }},
			{name: "assign", code: service.ENOTFOUND, refused: outside.ID, call: func(id string) error {
				_, err := e.svc.Assign(ctx, olivia, id, service.AssignCommand{AssigneeID: olivia.UserID})
				return err
			}},
			{name: "add a note", code: service.ENOTFOUND, refused: outside.ID, call: func(id string) error {
				_, err := e.svc.AddNote(ctx, olivia, id, "Called the subject.")
				return err
			}},
			{name: "read notes", code: service.ENOTFOUND, refused: outside.ID, call: func(id string) error {
				_, err := e.svc.Notes(ctx, olivia, id)
				return err
			}},
			{name: "extend", code: service.ENOTFOUND, refused: outside.ID, call: func(id string) error {
				_, err := e.svc.Extend(ctx, olivia, id, service.ExtendCommand{Reason: "Complex.", Count: 1})
				return err
			}},
			{name: "reply", code: service.ENOTFOUND, refused: outside.ID, call: func(id string) error {
				_, err := e.svc.Reply(ctx, olivia, id, service.ReplyCommand{Outcome: service.StatusFulfilled})
				return err
			}},
		} {
			t.Run(sc.name, func(t *testing.T) {
				before := e.mustState(t, sc.refused)
				var worked workflowState
				if sc.worked != "" {
					worked = e.mustState(t, sc.worked)
				}
				err := sc.call(sc.refused)
				wantError(t, err, sc.code, sc.fields...)
				after := e.mustState(t, sc.refused)
				added := after.Events[len(before.Events):]
				if len(added) != 1 || added[0].Action != "access.denied" || added[0].ActorID != olivia.UserID {
					t.Errorf("events appended on the refused request %v, want one access.denied by olivia", actions(added))
				}
				if after.Request.Status != before.Request.Status || after.Request.AssigneeID != before.Request.AssigneeID {
					t.Errorf("the refused request changed: %s -> %s", before.Request.Status, after.Request.Status)
				}
				if sc.worked != "" {
					now := e.mustState(t, sc.worked)
					if len(now.Events) != len(worked.Events) || now.Request.Status != worked.Request.Status {
						t.Errorf("the request worked on changed: events %v", actions(now.Events[len(worked.Events):]))
					}
				}
			})
		}
	})
}
