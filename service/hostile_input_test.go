package service_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

// BUG (reported, not fixed): ListRequests passes a client's cursor and assignee to the database unchecked. On
// PostgreSQL a NUL or invalid UTF-8 byte, or a cursor time outside PostgreSQL's timestamp range, fails the query
// with an internal error (HTTP 500), where the contract says client input never causes a 5xx. SQLite answers.
// Both are reachable over HTTP: GET /api/v1/requests?assignee=%00 (a string of at most 36 characters), and
// ?cursor=<base64url of {"t":1,"i":"\u0000"}> (at most 200 characters).
// Whatever the service answers, it must be a page or EINVALID naming the parameter.
func TestListRequestsHostileInputIsNotInternal(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	nul, invalidUTF8 := "\x00", "\xff"
	tests := []struct {
		name  string
		q     service.ListRequestsQuery
		field string
	}{
		{"assignee with NUL", service.ListRequestsQuery{AssigneeID: &nul}, "assignee"},
		{"assignee with invalid UTF-8", service.ListRequestsQuery{AssigneeID: &invalidUTF8}, "assignee"},
		{"cursor ID with NUL", service.ListRequestsQuery{Cursor: b64(`{"t":1,"i":"\u0000"}`)}, "cursor"},
		// 4714 BC, before PostgreSQL's earliest timestamp.
		{"cursor time before 4713 BC", service.ListRequestsQuery{Cursor: b64(`{"t":-210866803200000001,"i":"x"}`)}, "cursor"},
		{"cursor time at the int64 minimum", service.ListRequestsQuery{Cursor: b64(`{"t":-9223372036854775808,"i":"x"}`)}, "cursor"},
		{"cursor time at the int64 maximum", service.ListRequestsQuery{Cursor: b64(`{"t":9223372036854775807,"i":"x"}`)}, "cursor"},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		e.mustFile(t, admin, deletionCmd())
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.ListRequests(context.Background(), admin, tt.q)
				switch service.ErrorCode(err) {
				case "":
				case service.EINVALID:
					wantError(t, err, service.EINVALID, tt.field)
				default:
					t.Errorf("ListRequests = %v; want a page or EINVALID naming %q", err, tt.field)
				}
			})
		}
	})
}
