package server

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// idleTimeout closes keep-alive connections that carry no request: idle
// clients must not hold file descriptors that live ones need.
const idleTimeout = 30 * time.Second

// overloaded is what a connection over limits.max_connections gets before
// it is closed: a well-formed 503 in the API's JSON shape, at once, rather
// than a hang in the accept backlog.
var overloaded = func() []byte {
	body := `{"status":"503","status_message":"the server has too many open connections; retry shortly"}` + "\n"
	return []byte(fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"+
		"Connection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
}()

// connLimit is a listener that keeps at most max connections open.
type connLimit struct {
	net.Listener
	max  int64
	open atomic.Int64
	log  *slog.Logger
	warn sync.Once
}

func newConnLimit(ln net.Listener, max int, log *slog.Logger) net.Listener {
	return &connLimit{Listener: ln, max: int64(max), log: log}
}

// Accept hands over connections under the limit and answers the others.
func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &countedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		l.warn.Do(func() {
			l.log.Warn("connection limit reached: refusing new connections with 503", "max_connections", l.max)
		})
		go func() {
			defer c.Close()
			// Take what the client sent first (its request head, as a rule):
			// an answer before the request confuses HTTP clients ("unsolicited
			// response"), and closing with unread bytes resets the connection,
			// which can destroy the answer before it is read.
			c.SetDeadline(time.Now().Add(time.Second))
			var head [4096]byte
			c.Read(head[:])
			c.Write(overloaded)
		}()
	}
}

// countedConn gives its slot back once, when closed.
type countedConn struct {
	net.Conn
	l    *connLimit
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}
