package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Message is one mail as the server received it, decoded far enough that a test can compare it with what it
// sent: envelope, headers, and the text and HTML bodies.
type Message struct {
	From    string   // envelope sender (MAIL FROM)
	To      []string // envelope recipients (RCPT TO)
	Data    []byte   // the message as transmitted, CRLF line ends
	Header  mail.Header
	Subject string // RFC 2047-decoded
	Text    string // the text/plain body, transfer-decoded, line ends normalised to \n
	HTML    string // the text/html alternative, if any, decoded likewise
	TLS     bool   // whether the message came over a TLS connection (after STARTTLS)
}

// ParseMessage decodes a raw message into the fields of Message (envelope fields stay empty). It understands
// single-part text, multipart/alternative and multipart/mixed nesting, quoted-printable and base64; bodies in a
// charset other than UTF-8 are returned undecoded. cmd/mailsink uses it too, to print what it receives.
func ParseMessage(data []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Message{}, fmt.Errorf("read message header: %w", err)
	}
	m := Message{Data: data, Header: msg.Header}
	var dec mime.WordDecoder
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Message{}, fmt.Errorf("decode Subject: %w", err)
	}
	if err := m.readPart(msg.Header, msg.Body); err != nil {
		return Message{}, err
	}
	return m, nil
}

// readPart fills Text and HTML from one part, descending into multipart containers. The first text/plain and
// the first text/html that are not attachments win. header is a mail.Header or a part's textproto.MIMEHeader.
func (m *Message) readPart(header map[string][]string, body io.Reader) error {
	get := func(key string) string {
		if v := header[key]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	mediaType, params := "text/plain", map[string]string{"charset": "us-ascii"}
	if ct := get("Content-Type"); ct != "" {
		var err error
		if mediaType, params, err = mime.ParseMediaType(ct); err != nil {
			return fmt.Errorf("parse Content-Type %q: %w", ct, err)
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return fmt.Errorf("%s without boundary", mediaType)
		}
		r := multipart.NewReader(body, boundary)
		for {
			// NextRawPart: NextPart would decode quoted-printable itself and hide the header that says so.
			p, err := r.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s part: %w", mediaType, err)
			}
			if err := m.readPart(p.Header, p); err != nil {
				return err
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil
	}
	if disposition, _, _ := mime.ParseMediaType(get("Content-Disposition")); disposition == "attachment" {
		return nil
	}
	if (mediaType == "text/plain" && m.Text != "") || (mediaType == "text/html" && m.HTML != "") {
		return nil
	}
	content, err := decodeTransfer(get("Content-Transfer-Encoding"), body)
	if err != nil {
		return fmt.Errorf("decode %s part: %w", mediaType, err)
	}
	text := strings.ReplaceAll(string(content), "\r\n", "\n")
	if mediaType == "text/plain" {
		m.Text = text
	} else {
		m.HTML = text
	}
	return nil
}

func decodeTransfer(encoding string, body io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // skips the line breaks
	case "", "7bit", "8bit", "binary":
	default:
		return nil, fmt.Errorf("unknown Content-Transfer-Encoding %q", encoding)
	}
	return io.ReadAll(body)
}
