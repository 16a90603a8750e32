package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Accounts is how people sign in to the console: invitations and password resets by e-mail, passwords, the
// second factor and its recovery codes, single sign-on, and deactivation. Sessions start once one of these has
// proven who a person is (Sessions).
type Accounts struct {
	*core
	db    accountsStore
	begin txRunner[accountsStore]
	// hashing bounds the argon2id hashes computed at once (64 MiB each), so that a flood of sign-ins from many
	// addresses queues instead of exhausting memory.
	hashing chan struct{}
}

// concurrentHashes is how many password hashes are computed at once.
const concurrentHashes = 4

// hashSlot waits for a turn to compute a password hash; release it with the function answered.
func (s *Accounts) hashSlot(ctx context.Context) (func(), error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, Errorf(EUNAVAILABLE, "too many sign-ins at once; try again")
	}
}

// checkPassword is checkPassword in turn.
func (s *Accounts) checkPassword(ctx context.Context, encoded, pw string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return checkPassword(encoded, pw), nil
}

// hashPassword is hashPassword in turn.
func (s *Accounts) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(pw), nil
}

// accountsStore is every store method Accounts calls.
type accountsStore interface {
	eventAppender
	mailEnqueuer
	AccountStore
	CreateUser(ctx context.Context, u *User) error
	FindUser(ctx context.Context, id string) (*User, error)
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)
	DeleteUserSessions(ctx context.Context, userID, exceptID string) (int, error)
}

func asAccountsStore(st Store) accountsStore { return st }

// InvitationLife is how long an invitation or reset link may be used.
const InvitationLife = 72 * time.Hour

// resetQuiet is how long after one reset link another is not sent: nobody can have the service mail a person
// again and again.
const resetQuiet = 5 * time.Minute

// IssuedInvitation is a new invitation link. The link is the secret: it goes by e-mail, and to the caller only
// where the caller is the operator (the command line, the first start).
type IssuedInvitation struct {
	Invitation *Invitation
	User       *User
	Link       string
}

// InviteUser sends a person of a console role a link to set her password (admin); a newer invitation or reset
// replaces the older ones. ECONFLICT for a user without an e-mail address, of a role that does not sign in, or
// deactivated.
func (s *Accounts) InviteUser(ctx context.Context, a Actor, userID string) (*IssuedInvitation, error) {
	if err := authorize(a, permManageUsers); err != nil {
		return nil, err
	}
	var out *IssuedInvitation
	err := s.begin(ctx, func(tx accountsStore) error {
		u, err := tx.FindUser(ctx, userID)
		if err != nil {
			return err
		}
		switch {
		case !slices.Contains(ConsoleRoles, u.Role):
			return Errorf(ECONFLICT, "role %s does not sign in to the console; it uses API tokens", u.Role)
		case u.Email == "":
			return Errorf(ECONFLICT, "user %s has no e-mail address to send the invitation to", u.ID)
		case u.DeactivatedAt != nil:
			return Errorf(ECONFLICT, "user %s is deactivated; reactivate the user first", u.ID)
		}
		out, err = s.issue(ctx, tx, a, u, InvitationPurposeInvite)
		return err
	})
	return out, err
}

// issue makes a link of a purpose for u, in place of her unused ones, and queues its mail.
func (s *Accounts) issue(ctx context.Context, tx accountsStore, a Actor, u *User, purpose string) (*IssuedInvitation, error) {
	token := NewTokenSecret()
	now := s.now()
	inv := &Invitation{ID: s.newID(), UserID: u.ID, TokenHash: HashTokenSecret(token), Purpose: purpose,
		CreatedAt: now, ExpiresAt: now.Add(InvitationLife)}
	if err := tx.DeleteUnusedInvitations(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("replace invitations: %w", err)
	}
	if err := tx.CreateInvitation(ctx, inv); err != nil {
		return nil, fmt.Errorf("create invitation: %w", err)
	}
	link := s.publicURL + "/console/invitations/" + token
	locale := u.Language
	if !slices.Contains(Locales, locale) {
		locale = Locales[0]
	}
	subject, text, err := renderMail(purpose, locale, map[string]any{"Name": u.Name, "Org": s.orgName, "Link": link,
		"Hours": int(InvitationLife.Hours()), "Email": u.Email})
	if err != nil {
		return nil, err
	}
	if _, err := tx.EnqueueMail(ctx, &Mail{ID: s.newID(), DedupeKey: purpose + ":" + inv.ID, Kind: purpose, To: u.Email,
		Subject: subject, Text: text, Status: MailPending, NextAttemptAt: now,
		CreatedAt: now}); err != nil {
		return nil, fmt.Errorf("queue %s mail: %w", purpose, err)
	}
	action := "user.invited"
	if purpose == InvitationPurposeReset {
		action = "user.password_reset_requested"
	}
	if err := s.appendEvent(ctx, tx, a, action, "", map[string]string{"user_id": u.ID, "invitation_id": inv.ID}); err != nil {
		return nil, err
	}
	return &IssuedInvitation{Invitation: inv, User: u, Link: link}, nil
}

// RequestPasswordReset mails a reset link to the person with this address, if there is one who may sign in;
// it answers the same whether or not there is, so that nobody can learn who has an account.
func (s *Accounts) RequestPasswordReset(ctx context.Context, address string) error {
	address = strings.TrimSpace(address)
	if address == "" || len(address) > 254 {
		return Invalid(FieldError{"email", "must be an e-mail address"})
	}
	return s.begin(ctx, func(tx accountsStore) error {
		u, err := tx.FindUserByEmail(ctx, address)
		switch ErrorCode(err) {
		case "":
		case ENOTFOUND:
			return nil
		default:
			return err
		}
		if !slices.Contains(ConsoleRoles, u.Role) || u.DeactivatedAt != nil {
			return nil
		}
		last, err := tx.LastInvitation(ctx, u.ID, InvitationPurposeReset)
		if ErrorCode(err) != ENOTFOUND {
			if err != nil {
				return err
			}
			if last.UsedAt == nil && s.now().Sub(last.CreatedAt) < resetQuiet {
				return nil
			}
		}
		_, err = s.issue(ctx, tx, actorOf(u), u, InvitationPurposeReset)
		return err
	})
}

// InvitationView is what the page of an invitation link shows.
type InvitationView struct {
	Purpose   string
	Name      string
	Email     string
	ExpiresAt time.Time
}

// OpenInvitation answers what a link is for. ENOTFOUND when it is unknown, used, expired or its user deactivated:
// the same answer for each, so that the page tells nothing more.
func (s *Accounts) OpenInvitation(ctx context.Context, token string) (*InvitationView, error) {
	inv, u, err := s.usableInvitation(ctx, s.db, token)
	if err != nil {
		return nil, err
	}
	return &InvitationView{Purpose: inv.Purpose, Name: u.Name, Email: u.Email, ExpiresAt: inv.ExpiresAt}, nil
}

func (s *Accounts) usableInvitation(ctx context.Context, tx accountsStore, token string) (*Invitation, *User, error) {
	gone := Errorf(ENOTFOUND, "this link is unknown, used or expired")
	if token == "" || len(token) > 200 {
		return nil, nil, gone
	}
	inv, err := tx.FindInvitation(ctx, HashTokenSecret(token))
	switch ErrorCode(err) {
	case "":
	case ENOTFOUND:
		return nil, nil, gone
	default:
		return nil, nil, err
	}
	if inv.UsedAt != nil || !s.now().Before(inv.ExpiresAt) {
		return nil, nil, gone
	}
	u, err := tx.FindUser(ctx, inv.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.DeactivatedAt != nil {
		return nil, nil, gone
	}
	return inv, u, nil
}

// AcceptInvitation sets the password of the link's user, uses the link up, and ends every session she had.
// EINVALID naming "password" for a password too short, too long or too common; ENOTFOUND for a link that can
// no longer be used.
func (s *Accounts) AcceptInvitation(ctx context.Context, token, password string) (*User, error) {
	if p := passwordProblem(password); p != "" {
		return nil, Invalid(FieldError{"password", p})
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	var user *User
	err = s.begin(ctx, func(tx accountsStore) error {
		inv, u, err := s.usableInvitation(ctx, tx, token)
		if err != nil {
			return err
		}
		if ok, err := tx.UseInvitation(ctx, inv.ID, s.now()); err != nil || !ok {
			if err == nil {
				err = Errorf(ENOTFOUND, "this link is unknown, used or expired")
			}
			return err
		}
		if err := tx.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := tx.DeleteUnusedInvitations(ctx, u.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.ID, ""); err != nil {
			return err
		}
		user = u
		return s.appendEvent(ctx, tx, actorOf(u), "user.password_set", "", map[string]string{"user_id": u.ID,
			"purpose": inv.Purpose})
	})
	return user, err
}

// PasswordSignIn is a password that was right: the person may have a session now, unless she has a second
// factor to give first.
type PasswordSignIn struct {
	User *User
	// SecondFactor: she must give a TOTP or recovery code before a session starts (VerifySecondFactor).
	SecondFactor bool
}

// anonymous is the actor of failed sign-ins by an address no user has.
var anonymous = Actor{UserID: "anonymous", Name: "anonymous"}

// CheckPassword checks a person's address and password. EUNAUTHORIZED, with the same words, for an unknown
// address, a wrong password, no password yet, a deactivated user or a role that does not sign in; each failure
// is audited (auth.failed, with the user when known and the reason; never the address or the password).
func (s *Accounts) CheckPassword(ctx context.Context, address, password string) (*PasswordSignIn, error) {
	refused := Errorf(EUNAUTHORIZED, "the e-mail address or the password is wrong")
	if address == "" || len(address) > 254 || password == "" || len(password) > maxPasswordLen {
		return nil, refused
	}
	u, err := s.db.FindUserByEmail(ctx, strings.TrimSpace(address))
	switch ErrorCode(err) {
	case "":
	case ENOTFOUND:
		if _, err := s.checkPassword(ctx, dummyHash(), password); err != nil {
			return nil, err
		}
		return nil, s.failed(ctx, anonymous, "", "unknown_account", refused)
	default:
		return nil, err
	}
	cred, err := s.db.FindCredentials(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	stored := cred.PasswordHash
	if stored == "" {
		stored = dummyHash()
	}
	right, err := s.checkPassword(ctx, stored, password)
	if err != nil {
		return nil, err
	}
	reason := ""
	switch {
	case cred.PasswordHash == "":
		reason = "no_password"
	case !right:
		reason = "wrong_password"
	case u.DeactivatedAt != nil:
		reason = "deactivated"
	case !slices.Contains(ConsoleRoles, u.Role):
		reason = "role"
	}
	if reason != "" {
		return nil, s.failed(ctx, actorOf(u), u.ID, reason, refused)
	}
	return &PasswordSignIn{User: u, SecondFactor: cred.TOTPEnabledAt != nil}, nil
}

// failed audits a failed sign-in and answers err.
func (s *Accounts) failed(ctx context.Context, a Actor, userID, reason string, err error) error {
	if aerr := s.begin(ctx, func(tx accountsStore) error {
		return s.appendEvent(ctx, tx, a, "auth.failed", "", map[string]string{"user_id": userID, "reason": reason})
	}); aerr != nil {
		return aerr
	}
	return err
}

// ChangePassword sets a signed-in person's password, given her current one, and ends her other sessions.
// EINVALID naming "current_password" when it is wrong, "password" when the new one is not good enough.
func (s *Accounts) ChangePassword(ctx context.Context, a Actor, current, next string) error {
	cred, err := s.db.FindCredentials(ctx, a.UserID)
	if err != nil {
		return err
	}
	if cred.PasswordHash != "" {
		right, err := s.checkPassword(ctx, cred.PasswordHash, current)
		if err != nil {
			return err
		}
		if !right {
			return s.failed(ctx, a, a.UserID, "wrong_password", Invalid(FieldError{"current_password", "is not your password"}))
		}
	}
	if p := passwordProblem(next); p != "" {
		return Invalid(FieldError{"password", p})
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	return s.begin(ctx, func(tx accountsStore) error {
		if err := tx.SetPasswordHash(ctx, a.UserID, hash); err != nil {
			return err
		}
		if err := tx.DeleteUnusedInvitations(ctx, a.UserID); err != nil {
			return err
		}
		n, err := tx.DeleteUserSessions(ctx, a.UserID, a.SessionID)
		if err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "user.password_changed", "", map[string]string{"user_id": a.UserID,
			"sessions_ended": fmt.Sprint(n)})
	})
}

// DeactivateUser stops a user from signing in and from using her tokens, and ends her sessions (admin). An
// admin cannot deactivate herself.
func (s *Accounts) DeactivateUser(ctx context.Context, a Actor, userID string) (*User, error) {
	return s.setDeactivated(ctx, a, userID, true)
}

// ReactivateUser lets a deactivated user sign in and use her tokens again (admin).
func (s *Accounts) ReactivateUser(ctx context.Context, a Actor, userID string) (*User, error) {
	return s.setDeactivated(ctx, a, userID, false)
}

func (s *Accounts) setDeactivated(ctx context.Context, a Actor, userID string, off bool) (*User, error) {
	if err := authorize(a, permManageUsers); err != nil {
		return nil, err
	}
	if off && userID == a.UserID {
		return nil, Errorf(ECONFLICT, "you cannot deactivate yourself")
	}
	defer s.tokens.forget()
	var out *User
	err := s.begin(ctx, func(tx accountsStore) error {
		u, err := tx.FindUser(ctx, userID)
		if err != nil {
			return err
		}
		if (u.DeactivatedAt != nil) == off {
			out = u
			return nil
		}
		var at *time.Time
		action := "user.reactivated"
		if off {
			now := s.now()
			at, action = &now, "user.deactivated"
			if _, err := tx.DeleteUserSessions(ctx, u.ID, ""); err != nil {
				return err
			}
			if err := tx.DeleteUnusedInvitations(ctx, u.ID); err != nil {
				return err
			}
		}
		if err := tx.SetUserDeactivated(ctx, u.ID, at); err != nil {
			return err
		}
		u.DeactivatedAt = at
		out = u
		return s.appendEvent(ctx, tx, a, action, "", map[string]string{"user_id": u.ID})
	})
	return out, err
}

// recoveryHash is the keyed hash a recovery code is stored as.
func (s *Accounts) recoveryHash(code string) string {
	m := hmac.New(sha256.New, derive(s.keys.index, "rightsdesk recovery codes v1"))
	m.Write([]byte(normalRecoveryCode(code)))
	return hex.EncodeToString(m.Sum(nil))
}

// normalRecoveryCode is a code as typed, without spaces, dashes or case.
func normalRecoveryCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
}

// newRecoveryCode is 10 random characters of base32 (50 bits), shown as xxxxx-xxxxx.
func newRecoveryCode() string {
	b := make([]byte, 7)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	c := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:10]
	return c[:5] + "-" + c[5:]
}

// UserForSSO answers the user an OpenID Connect provider vouched for, matched by her e-mail address, which the
// provider must say it verified. With createRole (RIGHTSDESK_OIDC_CREATE_USERS), a person no user matches is
// created with that role; without, she is refused. EUNAUTHORIZED, audited, for every refusal.
func (s *Accounts) UserForSSO(ctx context.Context, address string, verified bool, name string, createRole Role) (*User, error) {
	refused := Errorf(EUNAUTHORIZED, "the identity provider's account matches no user who may sign in")
	if !verified || address == "" || len(address) > 254 {
		return nil, s.failed(ctx, anonymous, "", "sso_unverified_email", refused)
	}
	u, err := s.db.FindUserByEmail(ctx, address)
	switch ErrorCode(err) {
	case "":
	case ENOTFOUND:
		if createRole == "" {
			return nil, s.failed(ctx, anonymous, "", "sso_unknown_account", refused)
		}
		return s.createSSOUser(ctx, address, name, createRole)
	default:
		return nil, err
	}
	switch {
	case u.DeactivatedAt != nil:
		return nil, s.failed(ctx, actorOf(u), u.ID, "deactivated", refused)
	case !slices.Contains(ConsoleRoles, u.Role):
		return nil, s.failed(ctx, actorOf(u), u.ID, "role", refused)
	}
	return u, nil
}

func (s *Accounts) createSSOUser(ctx context.Context, address, name string, role Role) (*User, error) {
	if !slices.Contains(ConsoleRoles, role) {
		return nil, fmt.Errorf("RIGHTSDESK_OIDC_CREATE_USERS: %s is not a console role", role)
	}
	var f fieldErrors
	email(&f, "email", address)
	if f.err() != nil {
		return nil, s.failed(ctx, anonymous, "", "sso_bad_email", Errorf(EUNAUTHORIZED, "the identity provider's e-mail address is not one Rightsdesk can use"))
	}
	if name = strings.TrimSpace(name); name == "" || len([]rune(name)) > 100 || hasControl(name, false) {
		name, _, _ = strings.Cut(address, "@")
	}
	u := &User{ID: s.newID(), Name: name, Email: address, Role: role, CreatedAt: s.now()}
	err := s.begin(ctx, func(tx accountsStore) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, SystemActor, "user.created", "", map[string]string{"user_id": u.ID,
			"role": string(u.Role), "via": "oidc"})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// AdminCanSignIn reports whether some active admin has a password to sign in to the console with.
func (s *Accounts) AdminCanSignIn(ctx context.Context) (bool, error) {
	return adminCanSignIn(ctx, s.db)
}

func adminCanSignIn(ctx context.Context, db accountsStore) (bool, error) {
	users, err := db.ListUsers(ctx)
	if err != nil {
		return false, err
	}
	for _, u := range users {
		if u.Role != RoleAdmin || u.DeactivatedAt != nil {
			continue
		}
		cred, err := db.FindCredentials(ctx, u.ID)
		if err != nil {
			return false, err
		}
		if cred.PasswordHash != "" {
			return true, nil
		}
	}
	return false, nil
}

// InviteFirstAdmin invites the first admin at the first start (RIGHTSDESK_ADMIN_EMAIL), when no admin can sign
// in yet: the admin with that address, created if nobody has it. It answers nil when an admin can sign in, or
// when the address's last invitation can still be used (the link was shown when it was made; it is not made
// again at every start). ECONFLICT when the address belongs to a user who is not an admin.
func (s *Accounts) InviteFirstAdmin(ctx context.Context, address string) (*IssuedInvitation, error) {
	if ok, err := s.AdminCanSignIn(ctx); err != nil || ok {
		return nil, err
	}
	var f fieldErrors
	email(&f, "RIGHTSDESK_ADMIN_EMAIL", address)
	if err := f.err(); err != nil {
		return nil, err
	}
	var out *IssuedInvitation
	err := s.begin(ctx, func(tx accountsStore) error {
		u, err := tx.FindUserByEmail(ctx, address)
		switch ErrorCode(err) {
		case "":
			if u.Role != RoleAdmin {
				return Errorf(ECONFLICT, "RIGHTSDESK_ADMIN_EMAIL: user %s has this address, with role %s, not admin", u.ID, u.Role)
			}
			last, err := tx.LastInvitation(ctx, u.ID, InvitationPurposeInvite)
			if err == nil && last.UsedAt == nil && s.now().Before(last.ExpiresAt) {
				return nil
			}
			if err != nil && ErrorCode(err) != ENOTFOUND {
				return err
			}
		case ENOTFOUND:
			name, _, _ := strings.Cut(address, "@")
			u = &User{ID: s.newID(), Name: name, Email: address, Role: RoleAdmin, CreatedAt: s.now()}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := s.appendEvent(ctx, tx, SystemActor, "user.created", "", map[string]string{"user_id": u.ID,
				"role": string(RoleAdmin)}); err != nil {
				return err
			}
		default:
			return err
		}
		out, err = s.issue(ctx, tx, SystemActor, u, InvitationPurposeInvite)
		return err
	})
	return out, err
}

// InvitePerson invites a person to the console by her address (admin; `rightsdesk users invite`): the user who
// has the address, who must have role, or a new user with name and role. ECONFLICT when the address is another
// role's.
func (s *Accounts) InvitePerson(ctx context.Context, a Actor, in NewUser) (*IssuedInvitation, error) {
	if err := authorize(a, permManageUsers); err != nil {
		return nil, err
	}
	var f fieldErrors
	validName(&f, "name", in.Name)
	if !slices.Contains(ConsoleRoles, in.Role) {
		f.add("role", "must be one of admin, officer, auditor (the roles that sign in to the console)")
	}
	if strings.TrimSpace(in.Email) == "" {
		f.add("email", "is required: the invitation is sent there")
	} else {
		email(&f, "email", in.Email)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var out *IssuedInvitation
	err := s.begin(ctx, func(tx accountsStore) error {
		u, err := tx.FindUserByEmail(ctx, in.Email)
		switch ErrorCode(err) {
		case "":
			if u.Role != in.Role {
				return Errorf(ECONFLICT, "user %s has this e-mail address already, with role %s, not %s", u.ID, u.Role, in.Role)
			}
			if u.DeactivatedAt != nil {
				return Errorf(ECONFLICT, "user %s is deactivated; reactivate the user first", u.ID)
			}
		case ENOTFOUND:
			u = &User{ID: s.newID(), Name: in.Name, Email: in.Email, Role: in.Role, CreatedAt: s.now()}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := s.appendEvent(ctx, tx, a, "user.created", "", map[string]string{"user_id": u.ID,
				"role": string(u.Role)}); err != nil {
				return err
			}
		default:
			return err
		}
		out, err = s.issue(ctx, tx, a, u, InvitationPurposeInvite)
		return err
	})
	return out, err
}

// IssuedSetupLink is a new setup link. The link is the secret: it goes only to the operator, at the first start.
type IssuedSetupLink struct {
	SetupLink *SetupLink
	Link      string
}

// IssueSetupLink makes the first start's setup link, when no admin can sign in. It answers nil when an admin
// can sign in, or when the last setup link can still be used (it was shown when it was made; it is not made
// again at every start).
func (s *Accounts) IssueSetupLink(ctx context.Context) (*IssuedSetupLink, error) {
	var out *IssuedSetupLink
	err := s.begin(ctx, func(tx accountsStore) error {
		if ok, err := adminCanSignIn(ctx, tx); err != nil || ok {
			return err
		}
		last, err := tx.LastSetupLink(ctx)
		switch ErrorCode(err) {
		case "":
			if last.UsedAt == nil && s.now().Before(last.ExpiresAt) {
				return nil
			}
		case ENOTFOUND:
		default:
			return err
		}
		token := NewTokenSecret()
		now := s.now()
		l := &SetupLink{ID: s.newID(), TokenHash: HashTokenSecret(token), CreatedAt: now, ExpiresAt: now.Add(InvitationLife)}
		if err := tx.CreateSetupLink(ctx, l); err != nil {
			return fmt.Errorf("create setup link: %w", err)
		}
		out = &IssuedSetupLink{SetupLink: l, Link: s.publicURL + "/console/setup/" + token}
		return s.appendEvent(ctx, tx, SystemActor, "setup.link_issued", "", map[string]string{"setup_link_id": l.ID})
	})
	return out, err
}

// SetupLinkView is what the page of a setup link shows.
type SetupLinkView struct {
	ExpiresAt time.Time
}

// OpenSetupLink answers whether a setup link can be used. ENOTFOUND when it is unknown, used or expired, or an
// admin can sign in already: the same answer for each.
func (s *Accounts) OpenSetupLink(ctx context.Context, token string) (*SetupLinkView, error) {
	l, err := s.usableSetupLink(ctx, s.db, token)
	if err != nil {
		return nil, err
	}
	return &SetupLinkView{ExpiresAt: l.ExpiresAt}, nil
}

func (s *Accounts) usableSetupLink(ctx context.Context, tx accountsStore, token string) (*SetupLink, error) {
	gone := Errorf(ENOTFOUND, "this link is unknown, used or expired")
	if token == "" || len(token) > 200 {
		return nil, gone
	}
	l, err := tx.FindSetupLink(ctx, HashTokenSecret(token))
	switch ErrorCode(err) {
	case "":
	case ENOTFOUND:
		return nil, gone
	default:
		return nil, err
	}
	if l.UsedAt != nil || !s.now().Before(l.ExpiresAt) {
		return nil, gone
	}
	if ok, err := adminCanSignIn(ctx, tx); err != nil || ok {
		if err == nil {
			err = gone
		}
		return nil, err
	}
	return l, nil
}

// FirstAdmin is what the first admin gives on the setup link's page.
type FirstAdmin struct {
	Name     string
	Email    string
	Password string
}

// CompleteSetup makes the first admin with a setup link: a new admin with her name, e-mail address and password,
// the link used up. EINVALID naming "name", "email" or "password" (a password too short, too long or too
// common); ECONFLICT when another user has the address; ENOTFOUND for a link that can no longer be used,
// including once an admin can sign in.
func (s *Accounts) CompleteSetup(ctx context.Context, token string, in FirstAdmin) (*User, error) {
	in.Name, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	var f fieldErrors
	validName(&f, "name", in.Name)
	if in.Email == "" {
		f.add("email", "is required")
	} else {
		email(&f, "email", in.Email)
	}
	if p := passwordProblem(in.Password); p != "" {
		f.add("password", "%s", p)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	var user *User
	err = s.begin(ctx, func(tx accountsStore) error {
		l, err := s.usableSetupLink(ctx, tx, token)
		if err != nil {
			return err
		}
		switch _, err := tx.FindUserByEmail(ctx, in.Email); ErrorCode(err) {
		case "":
			return Errorf(ECONFLICT, "another user has this e-mail address")
		case ENOTFOUND:
		default:
			return err
		}
		if ok, err := tx.UseSetupLink(ctx, l.ID, s.now()); err != nil || !ok {
			if err == nil {
				err = Errorf(ENOTFOUND, "this link is unknown, used or expired")
			}
			return err
		}
		u := &User{ID: s.newID(), Name: in.Name, Email: in.Email, Role: RoleAdmin, CreatedAt: s.now()}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tx, actorOf(u), "user.created", "", map[string]string{"user_id": u.ID,
			"role": string(RoleAdmin), "via": "setup"}); err != nil {
			return err
		}
		user = u
		return s.appendEvent(ctx, tx, actorOf(u), "user.password_set", "", map[string]string{"user_id": u.ID,
			"purpose": "setup", "setup_link_id": l.ID})
	})
	return user, err
}
