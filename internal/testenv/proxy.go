package testenv

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Proxy forwards TCP connections to a server, and can cut them all and
// refuse new ones, as a network partition or a server restart would, or
// freeze them, as a server that hangs would: connections are accepted and
// bytes read, but nothing is passed on until Restore.
type Proxy struct {
	ln              net.Listener
	network, target string
	mu              sync.Mutex
	thaw            *sync.Cond // signalled when frozen or cut changes
	cut, frozen     bool
	conns           map[net.Conn]bool
	wg              sync.WaitGroup
}

// StartProxy starts a proxy on a free loopback port to target (an address
// of network "tcp" or "unix"), which it stops when t ends.
func StartProxy(t testing.TB, network, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, network: network, target: target, conns: map[net.Conn]bool{}}
	p.thaw = sync.NewCond(&p.mu)
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		_ = ln.Close() // the test is over
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// PostgresProxy starts a proxy to the PostgreSQL server of the URL rawURL
// and returns the URL through it, with everything else of rawURL kept.
func PostgresProxy(t testing.TB, rawURL string) (string, *Proxy) {
	t.Helper()
	cfg, err := pgconn.ParseConfig(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	network, target := "tcp", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	if strings.HasPrefix(cfg.Host, "/") { // a Unix socket directory
		network, target = "unix", fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	p := StartProxy(t, network, target)
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("host") // a socket directory given as a parameter
	q.Del("port")
	u.RawQuery = q.Encode()
	u.Host = p.Addr()
	return u.String(), p
}

// Addr returns the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port returns the proxy's port.
func (p *Proxy) Port() uint16 { return uint16(p.ln.Addr().(*net.TCPAddr).Port) } // #nosec G115 -- a TCP port fits

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.track(c) {
			_ = c.Close() // refused: the client sees the connection end at once
			continue
		}
		p.wg.Go(func() { p.pipe(c) })
	}
}

// track records c so that Cut can close it, unless the proxy is cut.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) pipe(client net.Conn) {
	defer client.Close()
	server, err := net.DialTimeout(p.network, p.target, 5*time.Second)
	if err != nil || !p.track(server) {
		return
	}
	defer server.Close()
	done := make(chan struct{})
	go func() {
		p.copy(server, client)
		_ = server.Close() // the pipe is over either way
		close(done)
	}()
	p.copy(client, server)
	_ = client.Close() // #nosec G104 -- the pipe is over either way
	<-done
}

// copy passes what src sends to dst, holding each chunk while the proxy is
// frozen, until either end closes or the proxy is cut.
func (p *Proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitThawed() {
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// waitThawed waits while the proxy is frozen; it reports false when the
// proxy is cut.
func (p *Proxy) waitThawed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.frozen && !p.cut {
		p.thaw.Wait()
	}
	return !p.cut
}

// Cut closes every connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close() // cut: nothing to do about an error
	}
	clear(p.conns)
	p.thaw.Broadcast()
}

// Freeze holds every byte in both directions until Restore: the server
// seems to hang. Connections are still accepted.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = true
}

// Restore lets connections and bytes through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.frozen = false, false
	p.thaw.Broadcast()
}
