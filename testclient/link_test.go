package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livenessd/livenessd/protocol"
)

// connectFake creates a session on the fake server and opens its WebSocket
// link as runSession does.
func connectFake(t *testing.T, f *fakeServer) link {
	t.Helper()
	ctx := context.Background()
	created, err := newAPIClient(f.URL, fakeToken, time.Second).createSession(ctx,
		sessionRequest{livenessFields: livenessFields{TrxID: "t", FaceParameters: []string{"front"}}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := connectWS(ctx, created)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.abort)
	return l
}

func TestWSLinkCarriesFramesAndMessages(t *testing.T) {
	f := newFakeServer(t)
	frames := make(chan []byte, 1)
	f.converse = func(p *peer) {
		p.expectHello()
		typ, data, err := p.next()
		if err != nil || typ != "" {
			t.Errorf("second message: type %q, err %v; want a frame", typ, err)
		}
		frames <- data
		p.prompt()
		p.send(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorExpired, Message: "the session expired"})
		p.conn.Close(protocol.CloseExpired, "expired")
	}
	l := connectFake(t, f)
	ctx := context.Background()
	if err := l.sendJSON(ctx, protocol.Hello{Type: protocol.TypeHello, Client: "testclient", Width: 4, Height: 2}); err != nil {
		t.Fatal(err)
	}
	frame := tinyJPEG(t, 1)
	onWire := 0
	if err := l.sendFrame(ctx, frame, func() { onWire++ }); err != nil {
		t.Fatal(err)
	}
	if onWire != 1 {
		t.Errorf("onWire called %d times, want once", onWire)
	}
	if got := <-frames; !bytes.Equal(got, frame) {
		t.Errorf("the server got %d bytes, want the JPEG's %d as sent", len(got), len(frame))
	}
	for _, want := range []string{protocol.TypePrompt, protocol.TypeError} {
		data, err := l.next(ctx)
		var env protocol.Envelope
		if err != nil || json.Unmarshal(data, &env) != nil || env.Type != want {
			t.Fatalf("next: %q, %v; want a %s message", data, err, want)
		}
	}
	_, err := l.next(ctx)
	code, why := l.closeStatus(err)
	if code != protocol.CloseExpired || why != "server closed the connection with 4001 (session expired): expired" {
		t.Errorf("closeStatus: %d, %q", code, why)
	}
	if _, _, hellos := f.received(); len(hellos) != 1 || hellos[0].Width != 4 {
		t.Errorf("hellos %+v", hellos)
	}
}

func TestWSLinkEnds(t *testing.T) {
	for name, tc := range map[string]struct {
		converse func(p *peer)
		end      func(l link) // what the client does, if anything, while next waits
		wantCode int
		wantWhy  string
	}{
		"binary from the server": {
			converse: func(p *peer) {
				p.conn.Write(p.ctx, websocket.MessageBinary, []byte{1})
				p.collect(nil)()
			},
			wantCode: -1, wantWhy: "the server sent a binary message",
		},
		"aborted by the client": {
			converse: func(p *peer) { p.collect(nil)() },
			end:      func(l link) { time.AfterFunc(50*time.Millisecond, l.abort) },
			wantCode: -1,
		},
		"message flood": {
			converse: func(p *peer) { p.conn.Close(websocket.StatusPolicyViolation, "too many messages") },
			wantCode: 1008, wantWhy: "server closed the connection with 1008 (message flood): too many messages",
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeServer(t)
			f.converse = tc.converse
			l := connectFake(t, f)
			if tc.end != nil {
				tc.end(l)
			}
			done := make(chan error, 1)
			go func() {
				_, err := l.next(context.Background())
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("next returned no error")
				}
				code, why := l.closeStatus(err)
				if code != tc.wantCode || (tc.wantWhy != "" && why != tc.wantWhy) || why == "" {
					t.Errorf("closeStatus: %d, %q; want %d, %q", code, why, tc.wantCode, tc.wantWhy)
				}
			case <-time.After(5 * time.Second):
				l.abort()
				<-done
				t.Fatal("next did not return")
			}
		})
	}
}

// After the result the server closes with 1000; finish completes that
// handshake at once, without waiting out the library's close timeout.
func TestWSLinkFinishAnswersTheServersClose(t *testing.T) {
	f := newFakeServer(t)
	f.converse = func(p *peer) { p.finish(true, 0) }
	l := connectFake(t, f)
	var last []byte
	for range 2 { // the step, then the result
		data, err := l.next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		last = data
	}
	if !strings.Contains(string(last), `"type":"result"`) {
		t.Fatalf("second message %s, want the result", last)
	}
	start := time.Now()
	l.finish()
	if d := time.Since(start); d > time.Second {
		t.Errorf("finish took %v", d)
	}
	l.abort() // harmless after finish
}
