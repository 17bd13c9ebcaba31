package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livenessd/livenessd/protocol"
)

func dial(t *testing.T, c created) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, c.WSURL+"?session_token="+c.SessionToken, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

// drain reads until the server closes the connection.
func drain(t *testing.T, ws *websocket.Conn) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var o outcome
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			o.closeCode = websocket.CloseStatus(err)
			return o
		}
		var m map[string]any
		json.Unmarshal(data, &m)
		o.messages = append(o.messages, m)
		if m["type"] == protocol.TypeResult {
			var r protocol.Result
			json.Unmarshal(data, &r)
			o.result = &r
		}
	}
}

// dialStatus tries to open the socket and returns the HTTP refusal.
func dialStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, url, nil)
	if err == nil {
		ws.CloseNow()
		return 101, ""
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	msg, _ := body["status_message"].(string)
	return resp.StatusCode, msg
}

// TestSessionProtocolAbuse: every misuse gets its documented answer while a
// healthy session on the same server passes.
func TestSessionProtocolAbuse(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	mouth := clipFrames(t, "live_mouth_open_640x480_15fps.mjpeg")
	healthy := make(chan outcome, 1)
	go func() {
		c := ts.createSession(t, tokenA, sessionBody("healthy", "front", "mouth open"))
		healthy <- stream(t, c, mouth, 15, true)
	}()

	t.Run("garbage binary", func(t *testing.T) {
		c := ts.createSession(t, tokenA, sessionBody("garbage", "front"))
		ws := dial(t, c)
		ctx := context.Background()
		ws.Write(ctx, websocket.MessageBinary, []byte("definitely not a jpeg"))
		ws.Write(ctx, websocket.MessageBinary, append([]byte{0xFF, 0xD8, 0xFF}, bytes.Repeat([]byte{7}, 500)...)) // JPEG magic, garbage after
		for range maxBadFrames {
			ws.Write(ctx, websocket.MessageBinary, []byte{0x89, 'P', 'N', 'G'})
		}
		o := drain(t, ws)
		if o.closeCode != websocket.StatusUnsupportedData {
			t.Errorf("close %v, want 1003", o.closeCode)
		}
		codes := map[string]int{}
		for _, m := range o.messages {
			if m["type"] == protocol.TypeError {
				codes[m["code"].(string)]++
			}
		}
		if codes[protocol.ErrorBadFrame] < 2 {
			t.Errorf("error messages %v, want bad_frame for the non-JPEGs and the undecodable JPEG", codes)
		}
	})
	t.Run("20 MB message", func(t *testing.T) {
		ws := dial(t, ts.createSession(t, tokenA, sessionBody("huge", "front")))
		big := append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 20<<20)...)
		ws.Write(context.Background(), websocket.MessageBinary, big)
		if o := drain(t, ws); o.closeCode != websocket.StatusMessageTooBig {
			t.Errorf("close %v, want 1009", o.closeCode)
		}
	})
	t.Run("text flood", func(t *testing.T) {
		flood := ts.createSession(t, tokenA, sessionBody("flood", "front"))
		ws := dial(t, flood)
		defer waitState(t, ts, flood.SessionID, "cancelled", "flooded the connection")
		for range 200 {
			if ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"hello"}`)) != nil {
				break
			}
		}
		if o := drain(t, ws); o.closeCode != websocket.StatusPolicyViolation {
			t.Errorf("close %v, want 1008", o.closeCode)
		}
	})
	t.Run("plain request", func(t *testing.T) {
		c := ts.createSession(t, tokenA, sessionBody("plain", "front"))
		resp, err := client.Get("http" + strings.TrimPrefix(c.WSURL, "ws") + "?session_token=" + c.SessionToken)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired {
			t.Errorf("plain GET: %d, want 426", resp.StatusCode)
		}
		dial(t, c) // the session's one connection is still free
	})
	t.Run("unknown text", func(t *testing.T) {
		ws := dial(t, ts.createSession(t, tokenA, sessionBody("text", "front")))
		ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"teleport"}`))
		ws.Write(context.Background(), websocket.MessageText, []byte(`not json`))
		ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"cancel"}`))
		o := drain(t, ws)
		if o.closeCode != protocol.CloseCancelled || o.result == nil || o.result.State != "cancelled" {
			t.Errorf("close %v, result %+v", o.closeCode, o.result)
		}
		if n := o.count(protocol.TypeError); n < 3 { // two bad messages, then "cancelled"
			t.Errorf("%d error messages: %v", n, o.messages)
		}
	})
	t.Run("invalid UTF-8 text", func(t *testing.T) {
		ws := dial(t, ts.createSession(t, tokenA, sessionBody("utf8", "front")))
		ws.Write(context.Background(), websocket.MessageText, []byte("{\"type\":\"hello\",\"x\":\"\xff\xfe\"}"))
		if o := drain(t, ws); o.closeCode != websocket.StatusInvalidFramePayloadData {
			t.Errorf("close %v, want 1007", o.closeCode)
		}
	})
	t.Run("unmasked frame", func(t *testing.T) {
		c := ts.createSession(t, tokenA, sessionBody("unmasked", "front"))
		if code := unmaskedFrameClose(t, c); code != int(websocket.StatusProtocolError) {
			t.Errorf("close %d, want 1002", code)
		}
	})
	t.Run("second connection", func(t *testing.T) {
		c := ts.createSession(t, tokenA, sessionBody("twice", "front"))
		dial(t, c)
		if code, msg := dialStatus(t, c.WSURL+"?session_token="+c.SessionToken); code != http.StatusConflict || !strings.Contains(msg, "already has a live connection") {
			t.Errorf("second connection: %d %q", code, msg)
		}
	})
	t.Run("tokens", func(t *testing.T) {
		a := ts.createSession(t, tokenA, sessionBody("tok-a", "front"))
		b := ts.createSession(t, tokenA, sessionBody("tok-b", "front"))
		for name, url := range map[string]string{
			"no token":              a.WSURL,
			"wrong token":           a.WSURL + "?session_token=nope",
			"other session's token": a.WSURL + "?session_token=" + b.SessionToken,
			"client access token":   a.WSURL + "?session_token=" + tokenA,
		} {
			if code, _ := dialStatus(t, url); code != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", name, code)
			}
		}
		if code, _ := dialStatus(t, strings.Replace(a.WSURL, a.SessionID, "ses_nope", 1)+"?session_token="+a.SessionToken); code != http.StatusNotFound {
			t.Errorf("unknown session: %d, want 404", code)
		}
	})
	t.Run("after the end", func(t *testing.T) {
		c := ts.createSession(t, tokenA, sessionBody("over", "front"))
		ws := dial(t, c)
		ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"cancel"}`))
		drain(t, ws)
		if code, msg := dialStatus(t, c.WSURL+"?session_token="+c.SessionToken); code != http.StatusGone || !strings.Contains(msg, "cancelled") {
			t.Errorf("reconnect after cancel: %d %q", code, msg)
		}
	})

	o := <-healthy
	if o.result == nil || o.result.State != "passed" {
		t.Errorf("the healthy session beside the abuse: %+v", o.result)
	}
}

// TestSessionExpires: a session nobody connects to expires at its TTL; a
// connection after that is refused with 410.
func TestSessionExpires(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Sessions.TTL = 10 * time.Second // the shortest allowed
	ts := startServer(t, cfg)
	c := ts.createSession(t, tokenA, sessionBody("late", "front"))
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, st := ts.call(t, "GET", "/liveness-api/sessions/"+c.SessionID, tokenA, nil)
		if st["state"] == "expired" {
			if st["liveness"] != "failed" || !strings.Contains(st["reason"].(string), "expired") {
				t.Errorf("expired session: %v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not expired 20 s after creation with a 10 s TTL: %v", st)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if code, _ := dialStatus(t, c.WSURL+"?session_token="+c.SessionToken); code != http.StatusGone {
		t.Errorf("connect after expiry: %d, want 410", code)
	}
}

// TestSessionDisconnectAndShutdown: a client that vanishes cancels its
// session; a shutdown cancels live ones and tells their clients (1001).
func TestSessionDisconnectAndShutdown(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	gone := ts.createSession(t, tokenA, sessionBody("gone", "front"))
	dial(t, gone).CloseNow()
	waitState(t, ts, gone.SessionID, "cancelled", "disconnected")

	live := ts.createSession(t, tokenA, sessionBody("live", "front", "left"))
	ws := dial(t, live)
	var wg sync.WaitGroup
	var o outcome
	wg.Add(1)
	go func() { defer wg.Done(); o = drain(t, ws) }()
	time.Sleep(200 * time.Millisecond) // let the prompt arrive
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if o.closeCode != websocket.StatusGoingAway || o.result == nil || o.result.State != "cancelled" {
		t.Errorf("at shutdown: close %v, result %+v", o.closeCode, o.result)
	}
}

func waitState(t *testing.T, ts *testServer, id, state, reason string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, st := ts.call(t, "GET", "/liveness-api/sessions/"+id, tokenA, nil)
		if st["state"] == state {
			if r, _ := st["reason"].(string); !strings.Contains(r, reason) {
				t.Errorf("reason %q lacks %q", r, reason)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %v, want %s", st["state"], state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBadHandshakeLeavesTheSessionUsable: upgrades missing headers or
// speaking another WebSocket version are answered in JSON before they take
// the session's one connection; a correct upgrade then still works.
func TestBadHandshakeLeavesTheSessionUsable(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	c := ts.createSession(t, tokenA, sessionBody("handshake", "front"))
	url := strings.Replace(c.WSURL, "ws://", "http://", 1) + "?session_token=" + c.SessionToken
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		message string
	}{
		{"version 8", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "8",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, 426, "speaks 13"},
		{"no key", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}, 400, "Sec-WebSocket-Key"},
		{"no Connection", map[string]string{"Upgrade": "websocket", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, 400, "Connection header"},
	} {
		req, _ := http.NewRequest("GET", url, nil)
		for k, v := range tc.headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(fmt.Sprint(body["status_message"]), tc.message) {
			t.Errorf("%s: %d %v, want %d and %q in JSON", tc.name, resp.StatusCode, body, tc.status, tc.message)
		}
	}
	dial(t, c) // the session still takes its connection
}

// unmaskedFrameClose upgrades by hand, sends one text frame without the mask
// every client frame must carry, and returns the code of the server's close
// frame (0 if none came within 10 s).
func unmaskedFrameClose(t *testing.T, c created) int {
	t.Helper()
	u, err := url.Parse(c.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s?session_token=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", u.Path, c.SessionToken, u.Host)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", err, resp)
	}
	hello := []byte(`{"type":"hello"}`)
	conn.Write(append([]byte{0x81, byte(len(hello))}, hello...)) // FIN + text, mask bit clear
	for {
		var head [2]byte
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return 0
		}
		n := int(head[1] & 0x7f)
		switch n {
		case 126:
			var ext [2]byte
			io.ReadFull(br, ext[:])
			n = int(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			io.ReadFull(br, ext[:])
			n = int(binary.BigEndian.Uint64(ext[:]))
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return 0
		}
		if head[0]&0x0f == 0x8 && n >= 2 {
			return int(binary.BigEndian.Uint16(payload))
		}
	}
}
