// Package apitest is an HTTP client for tests that checks every response against openapi.yaml: its status,
// headers and body must be ones the document declares for the operation.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/rightsdesk/rightsdesk/api"
)

// Client calls a running Rightsdesk over real HTTP.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	doc     *openapi3.T
	router  routers.Router
}

// New returns a client of the server at baseURL.
func New(tb testing.TB, baseURL string) *Client {
	tb.Helper()
	doc, err := api.LoadSpec()
	if err != nil {
		tb.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return &Client{BaseURL: baseURL, HTTP: &http.Client{}, doc: doc, router: router}
}

// Response is a checked response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it cannot.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// Do sends a request with a bearer token (if any) and a body (a string or bytes sent as is, anything else
// encoded as JSON), and checks the response against the spec.
func (c *Client) Do(tb testing.TB, method, path, token string, body any, headers ...string) *Response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, c.BaseURL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	out, err := c.Send(tb, req)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// Send sends req as it is (its body streamed, say) and checks the response against the spec. It answers a
// transport error rather than failing the test, so that it may run in a goroutine of the test.
func (c *Client) Send(tb testing.TB, req *http.Request) (*Response, error) {
	tb.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the body: %w", req.Method, req.URL.Path, err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	c.check(tb, req, out)
	return out, nil
}

// Check checks a response to req that the test read itself (from a connection of its own, say) against the spec.
func (c *Client) Check(tb testing.TB, req *http.Request, resp *Response) {
	tb.Helper()
	c.check(tb, req, resp)
}

// check validates a response against the operation the request matches. A response to a path the spec does not
// have must be a problem.
func (c *Client) check(tb testing.TB, req *http.Request, resp *Response) {
	tb.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			tb.Errorf("%s %s: off-spec path answered %d with %q, not a problem", req.Method, req.URL.Path, resp.Status, ct)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.Status,
		Header:                 resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			SchemaValidationOptions: c.doc.GetSchemaValidationOptions()},
	}
	in.SetBodyBytes(resp.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("%s %s answered %d, which openapi.yaml does not allow: %v\nbody: %s", req.Method,
			req.URL.Path, resp.Status, err, resp.Body)
	}
}
