// Package seed writes large request tables straight through the store (store.WithTx + CreateRequest in large
// batches), for the measurements that need a million rows: an officer's queue listing and the escalation sweep.
// It never goes through HTTP or FileRequest: a million filings would take longer than the measurements.
package seed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// AdminToken is the admin secret of every seeded database (and of the load runs' servers).
const AdminToken = "rd_bench_admin_token_not_a_secret_0001"

// EncryptionKey is the master key (RIGHTSDESK_ENCRYPTION_KEY) of every seeded database: base64 of 32 bytes.
const EncryptionKey = "cmlnaHRzZGVzay1iZW5jaC1rZXktbm90LXNlY3JldCE="

// shanghai is the zone of the default policy, in which due dates are counted.
var shanghai = mustZone("Asia/Shanghai")

// Now is the benchmarks' fixed present: Monday 2 March 2026, 10:00 in Shanghai, inside a published year.
var Now = time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)

// Options shape a seeded table.
type Options struct {
	Rows  int // requests stored
	Due   int // of which open, running and due within the reminder window at Now (reminder or overdue level)
	Batch int // requests per transaction; default 5000
	// Writers is how many transactions write at once: 1 on SQLite (one writer), 2 suits PostgreSQL here.
	Writers int
	Seed    uint64
	// Progress, when set, receives a line per 100,000 rows.
	Progress io.Writer
}

// Fixture is what a load run or benchmark needs to know about a seeded database.
type Fixture struct {
	DSN          string   `json:"dsn"`
	Rows         int      `json:"rows"`
	Due          int      `json:"due"`
	AdminToken   string   `json:"admin_token"`
	OfficerID    string   `json:"officer_id"`
	OfficerToken string   `json:"officer_token"`
	OfficerQueue string   `json:"officer_queue"` // the queue of the officer whose listing is measured
	Queues       []string `json:"queues"`
	SeedSeconds  float64  `json:"seed_seconds"`
}

// Seed creates the admin, six queues (one per request type) with two officers each, and opt.Rows requests:
// every one open (unverified 10%, open 40%, in progress 40%, on hold 10% of which half with a paused clock), 70%
// assigned to an officer of their queue, exactly opt.Due running and due within 3 working days of Now or 1
// overdue, the rest due 4 to 120 working days after Now, in filing order. Due dates are spread, not derived
// from the receipt: the listing and the sweep read only status, queue, assignee, due time, pause and level.
func Seed(ctx context.Context, st service.Store, svc *service.Service, opt Options) (Fixture, error) {
	if opt.Batch <= 0 {
		opt.Batch = 5000
	}
	if opt.Writers <= 0 {
		opt.Writers = 1
	}
	if opt.Due > opt.Rows {
		return Fixture{}, fmt.Errorf("seed: %d due of %d rows", opt.Due, opt.Rows)
	}
	fx := Fixture{Rows: opt.Rows, Due: opt.Due, AdminToken: AdminToken}
	if _, err := svc.EnsureAdmin(ctx, AdminToken); err != nil {
		return fx, fmt.Errorf("seed admin: %w", err)
	}
	queues, officers, err := seedQueues(ctx, svc, &fx)
	if err != nil {
		return fx, err
	}
	g, err := newGenerator(opt, queues, officers)
	if err != nil {
		return fx, err
	}
	start := time.Now()
	if err := g.write(ctx, st); err != nil {
		return fx, err
	}
	fx.SeedSeconds = time.Since(start).Seconds()
	return fx, nil
}

// write generates the rows in batches, in order, and commits each batch in its own transaction on one of
// opt.Writers writers.
func (g *generator) write(ctx context.Context, st service.Store) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*service.Request, g.opt.Writers)
	go func() {
		defer close(batches)
		for done := 0; done < g.opt.Rows; done += g.opt.Batch {
			batch := make([]*service.Request, 0, g.opt.Batch)
			for i := done; i < min(done+g.opt.Batch, g.opt.Rows); i++ {
				batch = append(batch, g.request(i))
			}
			select {
			case batches <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		mu      sync.Mutex
		written int
		errs    []error
		wg      sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < g.opt.Writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range batches {
				err := st.WithTx(ctx, func(tx service.Store) error {
					for _, r := range batch {
						if err := tx.CreateRequest(ctx, r); err != nil {
							return fmt.Errorf("seed request %s: %w", r.Reference, err)
						}
					}
					return nil
				})
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					cancel()
				}
				before := written
				written += len(batch)
				if g.opt.Progress != nil && written/100_000 != before/100_000 {
					el := time.Since(start)
					fmt.Fprintf(g.opt.Progress, "seeded %d/%d requests in %s (%.0f rows/s)\n", written, g.opt.Rows,
						el.Round(time.Second), float64(written)/el.Seconds())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// seedQueues makes a queue per request type with two officers each; the first officer's token is kept.
func seedQueues(ctx context.Context, svc *service.Service, fx *Fixture) (map[service.RequestType]string, map[string][]string, error) {
	queues := map[service.RequestType]string{}
	officers := map[string][]string{}
	for i, t := range service.RequestTypes {
		var members []string
		for j := 0; j < 2; j++ {
			name := fmt.Sprintf("Officer %d-%d", i, j)
			p, err := svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: name,
				Email: fmt.Sprintf("officer%d-%d@staff.example", i, j), Role: service.RoleOfficer})
			if err != nil {
				return nil, nil, fmt.Errorf("seed officer: %w", err)
			}
			members = append(members, p.User.ID)
			if fx.OfficerToken == "" {
				fx.OfficerID, fx.OfficerToken = p.User.ID, p.Secret
			}
		}
		name, addr := "Queue "+string(t), string(t)+"-team@staff.example"
		routes := service.QueueRoutes{Types: []service.RequestType{t}}
		q, err := svc.CreateQueue(ctx, service.SystemActor, service.QueueInput{Name: &name, EscalationEmail: &addr,
			Members: &members, Routes: &routes})
		if err != nil {
			return nil, nil, fmt.Errorf("seed queue: %w", err)
		}
		queues[t] = q.ID
		officers[q.ID] = members
		fx.Queues = append(fx.Queues, q.ID)
		if fx.OfficerQueue == "" {
			fx.OfficerQueue = q.ID
		}
	}
	return queues, officers, nil
}

// generator makes the i-th request of a seeded table; the same options make the same table but for IDs.
type generator struct {
	opt       Options
	rng       *rand.Rand
	queues    map[service.RequestType]string
	officers  map[string][]string
	dueSoon   []calendar.Date // 1 working day overdue, then today and the next 3 working days
	notDue    []calendar.Date // working days 4 to 120 after today
	createdBy string
}

func newGenerator(opt Options, queues map[service.RequestType]string, officers map[string][]string) (*generator, error) {
	cn := calendar.NewCN(calendar.ShippedSchedules()...)
	today := calendar.DateOf(Now)
	g := &generator{opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, 0x5eed)), queues: queues, officers: officers,
		createdBy: "bench-seed"}
	prev := today.AddDays(-1)
	for ok, _ := cn.IsWorkingDay(prev); !ok; ok, _ = cn.IsWorkingDay(prev) {
		prev = prev.AddDays(-1)
	}
	g.dueSoon = append(g.dueSoon, prev, today)
	for k := 1; k <= 120; k++ {
		d, provisional := calendar.AddWorkingDays(cn, today, k)
		if provisional {
			return nil, fmt.Errorf("seed: %s is in an unpublished year", d)
		}
		if k <= service.ReminderWorkingDays {
			g.dueSoon = append(g.dueSoon, d)
		} else {
			g.notDue = append(g.notDue, d)
		}
	}
	return g, nil
}

// isDue spreads exactly opt.Due due rows evenly over the table.
func (g *generator) isDue(i int) bool {
	return g.opt.Due > 0 && (i+1)*g.opt.Due/g.opt.Rows != i*g.opt.Due/g.opt.Rows
}

func (g *generator) request(i int) *service.Request {
	rng := g.rng
	t := service.RequestTypes[rng.IntN(len(service.RequestTypes))]
	queue := g.queues[t]
	// Rows are written in the order they would have been filed: receipt times, IDs (time-ordered UUIDs) and
	// due dates grow with i, as they do in a live table, which keeps the seeding's index writes local.
	span := 20 * 24 * time.Hour
	received := Now.Add(-span + time.Duration(int64(span)*int64(i)/int64(g.opt.Rows))).UTC().Truncate(time.Microsecond)
	id, err := uuid.NewV7()
	if err != nil {
		panic(err) // only when the system's random source fails
	}
	r := &service.Request{
		ID: id.String(), Reference: fmt.Sprintf("DSR-2026-%07d", i+1), Type: t,
		Subject: service.Subject{Name: fmt.Sprintf("Subject %d", i), Email: fmt.Sprintf("subject%d@example.com", i)},
		Details: details(t), Channel: service.Channels[rng.IntN(len(service.Channels))],
		Policy: service.DefaultPolicy, ReceivedAt: received, QueueID: queue, Locale: "en",
		SubjectIndex: subjectIndex(i), CreatedBy: g.createdBy, CreatedAt: received, UpdatedAt: received,
	}
	r.Clock = service.Clock{Start: calendar.DateOf(received.In(shanghai)), Budget: 15}
	if rng.IntN(10) < 7 {
		r.AssigneeID = g.officers[queue][rng.IntN(len(g.officers[queue]))]
	}
	var due calendar.Date
	if g.isDue(i) {
		// Due rows run: open or in progress, never paused.
		r.Status = []service.Status{service.StatusOpen, service.StatusInProgress}[rng.IntN(2)]
		due = g.dueSoon[rng.IntN(len(g.dueSoon))]
	} else {
		switch p := rng.IntN(10); {
		case p == 0:
			r.Status = service.StatusUnverified
		case p < 5:
			r.Status = service.StatusOpen
		case p < 9:
			r.Status = service.StatusInProgress
		default:
			r.Status = service.StatusOnHold
			if rng.IntN(2) == 0 {
				paused := r.Clock.Start
				r.Clock.Paused = &paused
			}
		}
		due = g.notDue[i*len(g.notDue)/g.opt.Rows]
	}
	r.Due = service.Due{Date: due, At: due.EndOfDay(shanghai)}
	return r
}

func details(t service.RequestType) service.Details {
	switch t {
	case service.TypeAccess:
		return service.Details{Categories: []string{"chat_history"}}
	case service.TypeRectification:
		return service.Details{Corrections: []service.Correction{{Field: "phone", CorrectedValue: "+86 138 0000 0000"}}}
	case service.TypeDeletion:
		return service.Details{Ground: service.GroundNoLongerUsingService}
	case service.TypeConsentWithdrawal:
		return service.Details{Purposes: []string{"marketing"}}
	case service.TypeAccountCancellation:
		return service.Details{AccountID: "acct-bench"}
	default:
		return service.Details{Format: "json"}
	}
}

// subjectIndex stands in for the keyed hash of the subject's address: unique per subject, never searched here,
// and growing with i so that its index is written in order.
func subjectIndex(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprint("subject", i)))
	return fmt.Sprintf("%012d", i) + hex.EncodeToString(sum[:10])
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
