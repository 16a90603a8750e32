package api

import (
	"context"

	"github.com/rightsdesk/rightsdesk/service"
)

func toAPIUser(u *service.User) User {
	second := u.SecondFactor
	return User{Id: parseUUID(u.ID), Name: u.Name, Email: u.Email, Role: Role(u.Role), CreatedAt: u.CreatedAt,
		DeactivatedAt: u.DeactivatedAt, SecondFactor: &second}
}

// CreateUser adds a user.
func (s *Server) CreateUser(ctx context.Context, req CreateUserRequestObject) (CreateUserResponseObject, error) {
	u, err := s.svc.CreateUser(ctx, actorFrom(ctx), service.NewUser{Name: req.Body.Name, Email: str(req.Body.Email),
		Role: service.Role(req.Body.Role)})
	if err != nil {
		return nil, err
	}
	return CreateUser201JSONResponse(toAPIUser(u)), nil
}

// ListUsers answers every user.
func (s *Server) ListUsers(ctx context.Context, _ ListUsersRequestObject) (ListUsersResponseObject, error) {
	users, err := s.svc.Users(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListUsers200JSONResponse{Items: make([]User, 0, len(users))}
	for _, u := range users {
		out.Items = append(out.Items, toAPIUser(u))
	}
	return out, nil
}

// CreateUserToken issues a token.
func (s *Server) CreateUserToken(ctx context.Context, req CreateUserTokenRequestObject) (CreateUserTokenResponseObject, error) {
	t, err := s.svc.IssueToken(ctx, actorFrom(ctx), req.Id.String(), req.Body.Name)
	if err != nil {
		return nil, err
	}
	return CreateUserToken201JSONResponse{Id: parseUUID(t.Token.ID), Name: t.Token.Name,
		UserId: parseUUID(t.Token.UserID), Token: t.Secret, CreatedAt: t.Token.CreatedAt}, nil
}

// RevokeToken revokes a token.
func (s *Server) RevokeToken(ctx context.Context, req RevokeTokenRequestObject) (RevokeTokenResponseObject, error) {
	if err := s.svc.RevokeToken(ctx, actorFrom(ctx), req.Id.String()); err != nil {
		return nil, err
	}
	return RevokeToken204Response{}, nil
}

// CreateUserInvitation mails a user a link to choose her console password; the link is not in the answer.
func (s *Server) CreateUserInvitation(ctx context.Context, req CreateUserInvitationRequestObject) (CreateUserInvitationResponseObject, error) {
	inv, err := s.svc.InviteUser(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	i := inv.Invitation
	return CreateUserInvitation201JSONResponse{Id: parseUUID(i.ID), UserId: parseUUID(i.UserID),
		Purpose: InvitationPurpose(i.Purpose), CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}, nil
}

// DeactivateUser stops a user from signing in and from using her tokens.
func (s *Server) DeactivateUser(ctx context.Context, req DeactivateUserRequestObject) (DeactivateUserResponseObject, error) {
	u, err := s.svc.DeactivateUser(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	return DeactivateUser200JSONResponse(toAPIUser(u)), nil
}

// ReactivateUser lets a deactivated user sign in and use her tokens again.
func (s *Server) ReactivateUser(ctx context.Context, req ReactivateUserRequestObject) (ReactivateUserResponseObject, error) {
	u, err := s.svc.ReactivateUser(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	return ReactivateUser200JSONResponse(toAPIUser(u)), nil
}

// UpdateUser gives a person another role.
func (s *Server) UpdateUser(ctx context.Context, req UpdateUserRequestObject) (UpdateUserResponseObject, error) {
	u, err := s.svc.ChangeUserRole(ctx, actorFrom(ctx), req.Id.String(), service.Role(req.Body.Role))
	if err != nil {
		return nil, err
	}
	return UpdateUser200JSONResponse(toAPIUser(u)), nil
}
