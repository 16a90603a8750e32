package service

import (
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// RequestType is the right a subject exercises.
type RequestType string

// The rights the privacy policy promises.
const (
	TypeAccess              RequestType = "access"
	TypeRectification       RequestType = "rectification"
	TypeDeletion            RequestType = "deletion"
	TypeConsentWithdrawal   RequestType = "consent_withdrawal"
	TypeAccountCancellation RequestType = "account_cancellation"
	TypePortability         RequestType = "portability"
)

// RequestTypes lists every type.
var RequestTypes = []RequestType{TypeAccess, TypeRectification, TypeDeletion, TypeConsentWithdrawal,
	TypeAccountCancellation, TypePortability}

// Status is where a request stands in its life.
type Status string

// The statuses of the contract's state machine.
const (
	StatusUnverified Status = "unverified"
	StatusOpen       Status = "open"
	StatusInProgress Status = "in_progress"
	StatusOnHold     Status = "on_hold"
	StatusFulfilled  Status = "fulfilled"
	StatusDenied     Status = "denied"
	StatusWithdrawn  Status = "withdrawn"
	StatusExpired    Status = "expired"
	// StatusDuplicate closes a request merged into another of the same subject and type.
	StatusDuplicate Status = "duplicate"
)

// Statuses lists every status.
var Statuses = []Status{StatusUnverified, StatusOpen, StatusInProgress, StatusOnHold, StatusFulfilled,
	StatusDenied, StatusWithdrawn, StatusExpired, StatusDuplicate}

// Terminal reports whether no further change of status is possible.
func (s Status) Terminal() bool {
	switch s {
	case StatusFulfilled, StatusDenied, StatusWithdrawn, StatusExpired, StatusDuplicate:
		return true
	}
	return false
}

// Channel is how a request reached the company.
type Channel string

// The channels of the contract.
const (
	ChannelWebForm  Channel = "web_form"
	ChannelEmail    Channel = "email"
	ChannelPhone    Channel = "phone"
	ChannelLetter   Channel = "letter"
	ChannelInPerson Channel = "in_person"
)

// Channels lists every channel.
var Channels = []Channel{ChannelWebForm, ChannelEmail, ChannelPhone, ChannelLetter, ChannelInPerson}

// DeletionGround is one of the five grounds on which the privacy policy promises deletion.
type DeletionGround string

// The five grounds.
const (
	GroundCollectedWithoutConsent DeletionGround = "collected_without_consent"
	GroundUnlawfulProcessing      DeletionGround = "unlawful_processing"
	GroundBreachOfAgreement       DeletionGround = "breach_of_agreement"
	GroundNoLongerUsingService    DeletionGround = "no_longer_using_service"
	GroundServiceDiscontinued     DeletionGround = "service_discontinued"
)

// DeletionGrounds lists the five grounds.
var DeletionGrounds = []DeletionGround{GroundCollectedWithoutConsent, GroundUnlawfulProcessing,
	GroundBreachOfAgreement, GroundNoLongerUsingService, GroundServiceDiscontinued}

// DenialReason is the coded ground of a denial; every denial also explains itself in its message.
type DenialReason string

// The denial reasons of the contract.
const (
	DenialInsufficientVerification DenialReason = "insufficient_verification"
	DenialNoMatch                  DenialReason = "no_match"
	DenialNotCovered               DenialReason = "not_covered"
	DenialLegalObligation          DenialReason = "legal_obligation"
	DenialManifestlyUnfounded      DenialReason = "manifestly_unfounded"
	DenialOther                    DenialReason = "other"
)

// DenialReasons lists every denial reason.
var DenialReasons = []DenialReason{DenialInsufficientVerification, DenialNoMatch, DenialNotCovered,
	DenialLegalObligation, DenialManifestlyUnfounded, DenialOther}

// Subject is the person whose data the request concerns. It is personal data: stored apart from the rest of the
// request, read only through audited paths, never logged.
type Subject struct {
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	AccountID string    `json:"account_id,omitempty"`
	IsMinor   bool      `json:"is_minor,omitempty"`
	Guardian  *Guardian `json:"guardian,omitempty"`
}

// Guardian acts for a subject under 14.
type Guardian struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Relationship string `json:"relationship"`
}

// Details holds what each type of request asks for; only the fields of the request's type are set.
// It may hold personal data (corrections, explanations) and is stored and audited like Subject.
type Details struct {
	Categories  []string       `json:"categories,omitempty"`
	Corrections []Correction   `json:"corrections,omitempty"`
	Ground      DeletionGround `json:"ground,omitempty"`
	Explanation string         `json:"explanation,omitempty"`
	Purposes    []string       `json:"purposes,omitempty"`
	AccountID   string         `json:"account_id,omitempty"`
	Format      string         `json:"format,omitempty"`
	Recipient   *Recipient     `json:"recipient,omitempty"`
}

// Correction is one rectification the subject asks for.
type Correction struct {
	Field          string `json:"field"`
	CurrentValue   string `json:"current_value,omitempty"`
	CorrectedValue string `json:"corrected_value"`
}

// Recipient is a third party a portability copy is sent to directly.
type Recipient struct {
	Name     string `json:"name,omitempty"`
	Endpoint string `json:"endpoint"`
}

// Request is a data subject rights request.
type Request struct {
	ID         string
	Reference  string // DSR-2026-000042: receipt year, then a sequence unique per year
	Type       RequestType
	Status     Status
	Subject    Subject
	Details    Details
	Channel    Channel
	Policy     string
	ExternalID string
	ReceivedAt time.Time
	Due        Due
	Clock      Clock
	QueueID    string // "" until routed
	AssigneeID string // "" when unassigned
	// EscalationLevel is the highest escalation sent: "", "reminder", "overdue" or "dpo".
	EscalationLevel string
	RepliedAt       *time.Time
	// ClosedAt is when the request reached a terminal status (replied, withdrawn, expired, merged).
	ClosedAt     *time.Time
	Outcome      Status       // StatusFulfilled or StatusDenied once replied; "" before
	DenialReason DenialReason // the coded reason of a denial
	ReplyMessage string       // what the subject was told (personal data: stored like Subject)
	// DuplicateOf is the request this one was closed into as a duplicate.
	DuplicateOf string
	// PossibleDuplicateOf is an open request of the same type and subject, found at filing.
	PossibleDuplicateOf string
	// SubjectIndex is the keyed hash of the subject's e-mail address (or phone), to find duplicates without
	// storing a searchable address.
	SubjectIndex string
	// PhoneIndex is the keyed hash of the subject's phone number ("" without one), written at filing: a search by
	// phone uses it, since SubjectIndex holds the e-mail's hash when there is an e-mail.
	PhoneIndex string
	VerifiedAt *time.Time
	Locale     string // the language of e-mails to the subject: "en" or "zh-CN"
	// LinkedRequestID links an account cancellation and the deletion it led to, both ways.
	LinkedRequestID string
	// CorrectionOutcomes records, for a rectification, what became of each correction.
	CorrectionOutcomes []CorrectionOutcome
	// RedactedAt is when retention removed the subject's personal data.
	RedactedAt *time.Time
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// setStatus moves r to status at now, closing it when the status is terminal. Callers check the move.
func (r *Request) setStatus(to Status, now time.Time) {
	r.Status, r.UpdatedAt = to, now
	if to.Terminal() && r.ClosedAt == nil {
		r.ClosedAt = &now
	}
}

// Due is the legal deadline of a request, derived from its policy and clock.
type Due struct {
	Date        calendar.Date // the last day to reply, in the policy's time zone
	At          time.Time     // 23:59:59 of Date in the policy's time zone
	Provisional bool          // the count reaches into a year whose schedule is unpublished
}

// Clock is the state of a request's deadline count, in the days of its policy's counting calendar.
// Days are counted after Start; Used days were counted before Start in earlier segments (a hold splits the count).
type Clock struct {
	Start  calendar.Date  // the count resumes after this date (the receipt date, later a resume date)
	Used   int            // days used before Start
	Budget int            // days the policy allows, extensions included
	Paused *calendar.Date // the day a clock-stopping hold began; nil while running
}

// RequestFilter selects requests for a listing. Nil fields do not filter.
type RequestFilter struct {
	Status    *Status
	NotClosed bool    // only requests not closed (any status but the terminal ones)
	Reference *string // the one request with this reference
	// SubjectIndex selects a subject's requests by the keyed hash of their e-mail (or phone); "" does not filter.
	SubjectIndex string
	// PhoneIndex selects a subject's requests by the keyed hash of their phone; "" does not filter.
	PhoneIndex string
	Type       *RequestType
	QueueID    *string
	AssigneeID *string
	Unassigned bool           // only requests assigned to no one
	OverdueAt  *time.Time     // only open requests (not closed) whose due time is before this instant
	DueBefore  *calendar.Date // only requests whose due date is before this date
	VisibleTo  *string        // restrict to the requests this officer may see
	Limit      int
	After      *RequestCursor // keyset position: the last item of the previous page
}

// RequestCursor is a position in the due-date ordering of requests.
type RequestCursor struct {
	DueAt time.Time
	ID    string
}
