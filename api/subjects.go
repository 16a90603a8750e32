package api

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// VerifyRequest confirms a request through the subject's link (JSON, for web forms).
func (s *Server) VerifyRequest(ctx context.Context, req VerifyRequestRequestObject) (VerifyRequestResponseObject, error) {
	r, err := s.svc.VerifyBySubject(ctx, req.Body.Token)
	if err != nil {
		return nil, err
	}
	return VerifyRequest200JSONResponse{Reference: r.Reference, Status: Status(r.Status)}, nil
}

// WithdrawRequest withdraws a request through the subject's link (JSON, for web forms).
func (s *Server) WithdrawRequest(ctx context.Context, req WithdrawRequestRequestObject) (WithdrawRequestResponseObject, error) {
	r, err := s.svc.WithdrawBySubject(ctx, req.Body.Token)
	if err != nil {
		return nil, err
	}
	return WithdrawRequest200JSONResponse{Reference: r.Reference, Status: Status(r.Status)}, nil
}

// page is the one template of the subject's pages: a confirmation button, or the outcome. Bilingual, since the
// subject's language is not known before the token is checked.
var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
button{font-size:1rem;padding:.6rem 1.2rem}</style></head>
<body><h1>{{.Title}}</h1>
{{range .Lines}}<p>{{.}}</p>
{{end}}{{if .Token}}<form method="post" action="{{.Action}}"><input type="hidden" name="token" value="{{.Token}}">
<button type="submit">{{.Button}}</button></form>
{{end}}</body></html>
`))

type pageData struct {
	Title, Action, Token, Button string
	Lines                        []string
}

func render(d pageData) (*bytes.Buffer, int64) {
	var b bytes.Buffer
	if err := page.Execute(&b, d); err != nil {
		b.Reset()
		b.WriteString("internal error")
	}
	return &b, int64(b.Len())
}

// VerifyPage is where the verification link lands: a button, so that mail scanners that open links confirm
// nothing.
func (s *Server) VerifyPage(ctx context.Context, req VerifyPageRequestObject) (VerifyPageResponseObject, error) {
	if req.Params.Token == "" {
		b, n := invalidLinkPage()
		return VerifyPage422TexthtmlResponse{Body: b, ContentLength: n}, nil
	}
	b, n := render(pageData{Title: "Confirm your request · 确认您的申请", Action: "/verify", Token: req.Params.Token,
		Button: "Confirm · 确认", Lines: []string{
			"Please confirm that you made this personal information request.",
			"请确认此个人信息申请由您本人提出。"}})
	return VerifyPage200TexthtmlResponse{Body: b, ContentLength: n}, nil
}

// VerifyForm confirms the request and says so.
func (s *Server) VerifyForm(ctx context.Context, req VerifyFormRequestObject) (VerifyFormResponseObject, error) {
	r, err := s.svc.VerifyBySubject(ctx, req.Body.Token)
	b, n := outcomePage(r, err, "Your request is confirmed · 您的申请已确认",
		"We have started work on request %s. · 我们已开始处理申请 %s。")
	switch service.ErrorCode(err) {
	case "":
		return VerifyForm200TexthtmlResponse{Body: b, ContentLength: n}, nil
	case service.ENOTFOUND:
		return VerifyForm404TexthtmlResponse{Body: b, ContentLength: n}, nil
	case service.ECONFLICT:
		return VerifyForm409TexthtmlResponse{Body: b, ContentLength: n}, nil
	case service.EINVALID:
		return VerifyForm422TexthtmlResponse{Body: b, ContentLength: n}, nil
	}
	return nil, err
}

// WithdrawPage is where the withdrawal link lands.
func (s *Server) WithdrawPage(ctx context.Context, req WithdrawPageRequestObject) (WithdrawPageResponseObject, error) {
	if req.Params.Token == "" {
		b, n := invalidLinkPage()
		return WithdrawPage422TexthtmlResponse{Body: b, ContentLength: n}, nil
	}
	b, n := render(pageData{Title: "Withdraw your request · 撤回您的申请", Action: "/withdraw", Token: req.Params.Token,
		Button: "Withdraw · 撤回", Lines: []string{
			"Withdraw this personal information request? We will not act on it any further.",
			"确定撤回此个人信息申请吗？撤回后我们将不再处理。"}})
	return WithdrawPage200TexthtmlResponse{Body: b, ContentLength: n}, nil
}

// WithdrawForm withdraws the request and says so.
func (s *Server) WithdrawForm(ctx context.Context, req WithdrawFormRequestObject) (WithdrawFormResponseObject, error) {
	r, err := s.svc.WithdrawBySubject(ctx, req.Body.Token)
	b, n := outcomePage(r, err, "Your request is withdrawn · 您的申请已撤回",
		"Request %s is withdrawn. · 申请 %s 已撤回。")
	switch service.ErrorCode(err) {
	case "":
		return WithdrawForm200TexthtmlResponse{Body: b, ContentLength: n}, nil
	case service.ENOTFOUND:
		return WithdrawForm404TexthtmlResponse{Body: b, ContentLength: n}, nil
	case service.ECONFLICT:
		return WithdrawForm409TexthtmlResponse{Body: b, ContentLength: n}, nil
	case service.EINVALID:
		return WithdrawForm422TexthtmlResponse{Body: b, ContentLength: n}, nil
	}
	return nil, err
}

// outcomePage tells the subject what happened, in words that reveal nothing about other requests.
func outcomePage(r *service.Request, err error, title, done string) (*bytes.Buffer, int64) {
	switch service.ErrorCode(err) {
	case "":
		return render(pageData{Title: title, Lines: []string{fmtBoth(done, r.Reference)}})
	case service.ECONFLICT:
		return render(pageData{Title: "This link can no longer be used · 此链接已失效", Lines: []string{
			sentence(service.ErrorMessage(err)), "此链接已使用或已过期，或申请已关闭。"}})
	default:
		return invalidLinkPage()
	}
}

// invalidLinkPage answers a link whose token is unknown, missing or malformed: the same page whichever it is.
func invalidLinkPage() (*bytes.Buffer, int64) {
	return render(pageData{Title: "This link is not valid · 此链接无效", Lines: []string{
		"Please open the whole link from the e-mail. If your e-mail program split it over two lines, copy both parts into the address bar.",
		"请打开邮件中的完整链接。如链接被分成两行，请将两部分一起复制到浏览器地址栏。"}})
}

// writeLinkPage answers a request to a subject's page (/verify, /withdraw) that failed validation, a token
// missing or too long, a form posted empty, with the page of an invalid link (422) rather than a JSON problem:
// the subject has a browser, not an API client.
func writeLinkPage(c echo.Context) error {
	b, _ := invalidLinkPage()
	return c.HTMLBlob(http.StatusUnprocessableEntity, b.Bytes())
}

// isPage reports whether an operation answers a person's browser: its success is an HTML page.
func isPage(op *openapi3.Operation) bool {
	ok := op.Responses.Value("200")
	return ok != nil && ok.Value != nil && ok.Value.Content.Get("text/html") != nil
}

// sentence makes a service message (lower case, no full stop) a sentence a person reads.
func sentence(msg string) string {
	r, size := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[size:] + "."
}

func fmtBoth(format, ref string) string { return fmt.Sprintf(format, ref, ref) }
