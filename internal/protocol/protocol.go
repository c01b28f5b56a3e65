// Package protocol holds the wire messages of the live connection between a
// client and the WebSocket endpoint: what a client may send, how the server
// encodes what it sends back, and the codes of every error. docs/protocol.md
// describes the same messages for client authors.
//
// Every message is one JSON object in one text frame, with a "type" key. A
// message about a page names it by "page": the name the client gave the page
// when it joined it on this connection. The name is optional; the page joined
// without one (the page of the URL's token, or a PageHandler's page per connection) is
// the connection's default page, and messages about it carry no "page" key.
//
// A join or a ping may carry a "ref" of the client's choosing; the server's
// answers to it (joined, pong, error) carry it back ([WithRef]).
package protocol

import (
	"strconv"
	"unicode/utf8"
)

// Types of the messages a client sends.
const (
	TypeJoin  = "join"  // {"type":"join","page":"p1","token":"...","v":3,"ref":"j1"}
	TypeLeave = "leave" // {"type":"leave","page":"p1"}
	TypeEvent = "event" // {"type":"event","page":"p1","id":"t1-7","name":"save","data":{...}}
	TypePing  = "ping"  // {"type":"ping","ref":"p1"}
	// TypeUpload asks leave to upload files; the server answers with an
	// upload message of the same ref (see [Upload]) or an error.
	TypeUpload = "upload" // {"type":"upload","ref":"u1","name":"photos","files":[{"name":"cat.png","size":1234,"type":"image/png"}]}
)

// Types of the messages the server sends.
const (
	TypePageToken = "page_token" // {"type":"page_token","token":"..."}
	TypeRender    = "render"     // {"type":"render","v":3,"tree":{...}}
	TypeDiff      = "diff"       // {"type":"diff","v":4,"base":3,"d":{...}}
	TypeJoined    = "joined"     // {"type":"joined","v":4}
	TypeAck       = "ack"        // {"type":"ack","id":"t1-7","ok":true,"reply":{...}}
	TypePush      = "push"       // {"type":"push","name":"points","data":{...}}
	TypeError     = "error"      // {"type":"error","code":"page_expired","message":"..."}
	TypePong      = "pong"       // {"type":"pong"}
)

// Codes of the errors the server reports, in error messages and in failed
// acks. Each is documented in docs/protocol.md.
const (
	CodeBadMessage    = "bad_message"      // not a message of this protocol
	CodeInvalidToken  = "invalid_token"    // the token is malformed or not signed by the server
	CodePageNotFound  = "page_not_found"   // no such page (any more)
	CodePageExpired   = "page_expired"     // the page went unused past its time to live
	CodePageClosed    = "page_closed"      // the page was closed
	CodePageEvicted   = "page_evicted"     // the page limit evicted the page
	CodeNotJoined     = "not_joined"       // the message names a page this connection has not joined
	CodeAlreadyJoined = "already_joined"   // a join names a page name already in use on this connection
	CodeTooManyPages  = "too_many_pages"   // the connection's page limit is reached
	CodeUnknownEvent  = "unknown_event"    // the page's template has no handler for the event
	CodeHandlerError  = "handler_error"    // the event's handler returned an error
	CodeHandlerPanic  = "handler_panic"    // the event's handler panicked
	CodeRateLimited   = "rate_limited"     // too many messages: resend later
	CodeLimitReached  = "limit_reached"    // a change would pass a limit, such as the page size
	CodeUnavailable   = "unavailable"      // the server could not serve the request now: retry
	CodeServerClosing = "server_closing"   // the server is shutting down
	CodeForbidden     = "forbidden_origin" // the handshake's Origin is not allowed (HTTP 403, no socket)
	// CodeForbiddenHost: the handshake's Host is not among the allowed
	// hosts (HTTP 403, no socket).
	CodeForbiddenHost = "forbidden_host"
	// CodeTooManyConnections: the client's address holds as many
	// connections as it may (HTTP 429, no socket).
	CodeTooManyConnections = "too_many_connections"
	// CodeNotAllowed: the connection's identity may not join the page (the
	// application's join check refused it), may not do what the event asked,
	// or may not connect at all (HTTP 403, no socket).
	CodeNotAllowed = "not_allowed"
	// CodeUploadRefused: an upload asked for files that its declaration
	// does not take (size, count, type, unknown upload name); the message
	// is meant for the user.
	CodeUploadRefused = "upload_refused"
	// CodeUploadLimit: the browser or the application has as many uploads
	// (files or bytes) in flight as it may: ask again later.
	CodeUploadLimit = "upload_limit"
)

// Codes of event results that are successes, which AckError encodes as
// such: the handler sends the event's sender to the URL in the message.
const (
	CodeRedirect = "redirect" // load the document at the URL
	CodeNavigate = "navigate" // navigate live to the URL
)

// Close codes with which the server ends a connection, besides the standard
// 1000 (normal), 1001 (going away: the server shuts down) and 1009 (a
// message larger than the limit).
const (
	CloseHeartbeat       = 4000 // no pong to a ping within the heartbeat timeout
	CloseIdle            = 4001 // no page joined for the idle timeout
	CloseSlowClient      = 4008 // the client read too slowly: a write timed out, or its send queue filled
	CloseReplaced        = 4009 // a newer connection of the same browser id took over
	CloseReconnect       = 4010 // the identity of the connection changed: connect again with the browser's credentials of now
	CloseTooManyMessages = 4029 // the client went on sending far past its rate limits
)

// Limits on the strings of a message.
const (
	MaxPageName  = 64  // bytes of a page name
	MaxEventID   = 64  // bytes of an event id
	MaxEventName = 128 // bytes of an event name
	MaxToken     = 128 // bytes of a token (a valid one has 52)
	MaxRef       = 64  // bytes of a request's ref
)

// Error is an error with a protocol code.
type Error struct {
	Code    string
	Message string
	// RetryAfter is how long the client should wait before it sends the
	// refused message again, in milliseconds ("retry_after"); 0 says
	// nothing.
	RetryAfter uint64
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// appendString appends s as a JSON string. Only '"', '\\' and control
// characters need escaping in JSON; the server also escapes '<', '>' and
// '&' like encoding/json, so that no message can close a script element if a
// client ever inlines one. Invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, `\u00`...)
				b = append(b, hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

const hex = "0123456789abcdef"

// AppendPage appends msg, a message without a page, naming page: the page's
// key goes first. The default page ("") is not named.
func AppendPage(b []byte, page string, msg []byte) []byte {
	if page == "" || len(msg) < 2 {
		return append(b, msg...)
	}
	b = append(b, `{"page":`...)
	b = appendString(b, page)
	if len(msg) > 2 { // msg is not {}
		b = append(b, ',')
	}
	return append(b, msg[1:]...)
}

// PageToken encodes the message that gives a client its page's token.
func PageToken(token string) []byte {
	b := appendString([]byte(`{"type":"page_token","token":`), token)
	return append(b, '}')
}

// Joined encodes the message that ends a join: the client now holds version
// v and receives every later diff.
func Joined(v uint64) []byte {
	b := []byte(`{"type":"joined","v":`)
	b = strconv.AppendUint(b, v, 10)
	return append(b, '}')
}

// Ack encodes the acknowledgement of an applied event.
func Ack(id string) []byte {
	b := appendString([]byte(`{"type":"ack","id":`), id)
	return append(b, `,"ok":true}`...)
}

// AckReply encodes the acknowledgement of an applied event whose handler
// replied: reply is the reply's JSON, which the caller made (encoding/json's
// output, so safe to inline as it is). Without a reply it is [Ack]'s.
func AckReply(id string, reply []byte) []byte {
	if len(reply) == 0 {
		return Ack(id)
	}
	b := appendString([]byte(`{"type":"ack","id":`), id)
	b = append(b, `,"ok":true,"reply":`...)
	b = append(b, reply...)
	return append(b, '}')
}

// Push encodes a server push of name to a page's hooks: data is its JSON,
// which the caller made (encoding/json's output), or empty for none.
func Push(name string, data []byte) []byte {
	b := appendString([]byte(`{"type":"push","name":`), name)
	if len(data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, '}')
}

// AckError encodes the acknowledgement of an event whose result is e: a
// failure, or a redirect (CodeRedirect, CodeNavigate, with the URL as the
// message), which is a success:
// {"type":"ack","id":"t1-7","ok":true,"redirect":"/done"}.
func AckError(id string, e *Error) []byte {
	b := appendString([]byte(`{"type":"ack","id":`), id)
	if e.Code == CodeRedirect || e.Code == CodeNavigate {
		b = append(b, `,"ok":true,"`...)
		b = append(b, e.Code...)
		b = append(b, `":`...)
		return append(appendString(b, e.Message), '}')
	}
	b = append(b, `,"ok":false,"code":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"message":`...)
	b = appendString(b, e.Message)
	return appendRetryAfter(b, e.RetryAfter)
}

// ErrorMessage encodes an error that is not about an event.
func ErrorMessage(e *Error) []byte {
	b := appendString([]byte(`{"type":"error","code":`), e.Code)
	b = append(b, `,"message":`...)
	b = appendString(b, e.Message)
	return appendRetryAfter(b, e.RetryAfter)
}

// appendRetryAfter ends a message with "retry_after" when ms is not 0.
func appendRetryAfter(b []byte, ms uint64) []byte {
	if ms > 0 {
		b = append(b, `,"retry_after":`...)
		b = strconv.AppendUint(b, ms, 10)
	}
	return append(b, '}')
}

// Pong encodes the answer to a ping.
func Pong() []byte { return []byte(`{"type":"pong"}`) }

// WithRef returns msg, an answer to a client's message, with the "ref" the
// client gave that message, so that the client can tell which of its
// messages it answers. Without a ref, msg is returned as it is.
func WithRef(msg []byte, ref string) []byte {
	if ref == "" || len(msg) < 2 {
		return msg
	}
	b := make([]byte, 0, len(msg)+len(ref)+10)
	b = append(b, msg[:len(msg)-1]...)
	if len(msg) > 2 { // msg is not {}
		b = append(b, ',')
	}
	b = append(b, `"ref":`...)
	b = appendString(b, ref)
	return append(b, '}')
}
