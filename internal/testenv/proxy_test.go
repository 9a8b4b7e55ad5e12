package testenv

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// echo starts a server that sends back each line it reads.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through c and reports whether it came back
// within wait.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, wait time.Duration) bool {
	t.Helper()
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := r.ReadString('\n')
	return err == nil && line == "ping\n"
}

// TestProxy: bytes pass; a frozen proxy holds them and passes them on
// once restored; a cut one closes its connections and refuses new ones
// until restored.
func TestProxy(t *testing.T) {
	p := StartProxy(t, "tcp", echo(t))
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if !roundTrip(t, c, r, 2*time.Second) {
		t.Fatal("no echo through the proxy")
	}

	p.Freeze()
	if roundTrip(t, c, r, 200*time.Millisecond) {
		t.Fatal("an echo through a frozen proxy")
	}
	p.Restore()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("after the thaw: %q, %v; want the held line", line, err)
	}

	p.Cut()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("a connection through a cut proxy still reads")
	}
	if c2, err := net.Dial("tcp", p.Addr()); err == nil {
		c2.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := c2.Read(make([]byte, 1)); err == nil {
			t.Error("a cut proxy let a new connection through")
		}
		c2.Close()
	}
	p.Restore()
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if !roundTrip(t, c3, bufio.NewReader(c3), 2*time.Second) {
		t.Fatal("no echo after the proxy was restored")
	}
}
