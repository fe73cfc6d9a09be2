package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	quic "github.com/quince-go/quic"
)

// Debian's ngtcp2 0.12 examples, built on GnuTLS. They speak HTTP/3 only.
const (
	gtlsClient = "/usr/bin/gtlsclient"
	gtlsServer = "/usr/sbin/gtlsserver"
)

// h3NoError is HTTP/3's H3_NO_ERROR (RFC 9114, Section 8.1), the
// application close code used with ngtcp2.
const h3NoError = 0x100

func ngtcp2Missing(bin string) string {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Sprintf("%s is not installed (apt-get install ngtcp2-client ngtcp2-server)", bin)
	}
	return ""
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// tail returns the last n bytes of s, for error messages.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// quinceToNgtcp2 dials gtlsserver through a relay with ALPN h3, waits for
// the server's HTTP/3 control stream (1-RTT data from the peer), and closes
// with H3_NO_ERROR. extraArgs go to gtlsserver.
func quinceToNgtcp2(t *testing.T, extraArgs ...string) (RelayStats, string, error) {
	c := testCerts(t, false)
	keyFile, certFile, err := c.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	port := freeUDPPort(t)
	args := append([]string{"-q", "--timeout=10s"}, extraArgs...)
	args = append(args, "127.0.0.1", strconv.Itoa(port), keyFile, certFile)
	var out syncBuffer
	cmd := exec.Command(gtlsServer, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return RelayStats{}, "", err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	relay, err := NewRelay("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}, RelayConfig{Seed: seedOf(t.Name())})
	if err != nil {
		return RelayStats{}, "", err
	}
	defer relay.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var s *quic.Session
	// gtlsserver binds its socket shortly after it starts; until then the
	// relay's datagrams are refused, and a later Initial gets through.
	for {
		d := &quic.Dialer{TLSConfig: c.ClientTLS("h3")}
		dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
		s, err = d.DialContext(dctx, "udp4", relay.Addr().String())
		dcancel()
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return relay.Stats(), out.String(), fmt.Errorf("quince dial: %w", err)
	}
	cs := s.ConnectionState()
	if cs.ALPN != "h3" {
		s.Close()
		return relay.Stats(), out.String(), fmt.Errorf("ALPN %q, want h3", cs.ALPN)
	}
	st, err := s.AcceptUniStream(ctx)
	if err != nil {
		return relay.Stats(), out.String(), fmt.Errorf("waiting for the server's control stream: %w", err)
	}
	var typ [1]byte
	if _, err := st.Read(typ[:]); err != nil || typ[0] != 0x00 {
		return relay.Stats(), out.String(), fmt.Errorf("server's first uni stream: type %#x, %v; want an HTTP/3 control stream (0x00)", typ[0], err)
	}
	if cause := context.Cause(s.Context()); cause != nil {
		return relay.Stats(), out.String(), fmt.Errorf("session ended before the close: %w", cause)
	}
	// The client's Handshake Finished may still be on its way through the
	// relay when the client's own handshake is complete.
	relay.Wait(ctx, func(st RelayStats) bool { return st.Up.Packets[PacketHandshake] > 0 })
	if err := s.CloseWithError(h3NoError, ""); err != nil {
		return relay.Stats(), out.String(), err
	}
	var ae *quic.ApplicationError
	if cause := context.Cause(s.Context()); !errors.As(cause, &ae) || ae.Remote || ae.Code != h3NoError {
		return relay.Stats(), out.String(), fmt.Errorf("session ended with %v; want the local H3_NO_ERROR close", cause)
	}
	return relay.Stats(), out.String(), nil
}

// ngtcp2ToQuince runs gtlsclient against a quince Listener (ALPN h3)
// through a relay. The server takes the client's request stream and closes
// with H3_NO_ERROR. It returns the session's state once the request
// stream came, and gtlsclient's output.
func ngtcp2ToQuince(t *testing.T, extraArgs ...string) (RelayStats, quic.ConnectionState, string, error) {
	c := testCerts(t, false)
	l, err := quic.Listen("udp4", "127.0.0.1:0", c.ServerTLS("h3"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	relay, err := NewRelay("udp4", l.Addr().(*net.UDPAddr), RelayConfig{Seed: seedOf(t.Name())})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	port := strconv.Itoa(relay.Addr().Port)
	args := append([]string{"--timeout=10s", "--exit-on-all-streams-close"}, extraArgs...)
	args = append(args, "127.0.0.1", port, "https://localhost:"+port+"/")
	var out syncBuffer
	cmd := exec.CommandContext(ctx, gtlsClient, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return RelayStats{}, quic.ConnectionState{}, "", err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	s, err := l.Accept(ctx)
	if err != nil {
		<-waited
		return relay.Stats(), quic.ConnectionState{}, out.String(), fmt.Errorf("quince accept: %w", err)
	}
	cs := s.ConnectionState()
	if cs.ALPN != "h3" {
		err = fmt.Errorf("ALPN %q, want h3", cs.ALPN)
	}
	if err == nil {
		if _, aerr := s.AcceptStream(ctx); aerr != nil {
			err = fmt.Errorf("waiting for the client's request stream: %w", aerr)
		}
		cs = s.ConnectionState()
	}
	if err == nil {
		if cause := context.Cause(s.Context()); cause != nil {
			err = fmt.Errorf("session ended before the close: %w", cause)
		}
	}
	s.CloseWithError(h3NoError, "")
	werr := <-waited
	text := out.String()
	if err != nil {
		return relay.Stats(), cs, text, err
	}
	if werr != nil && ctx.Err() != nil {
		return relay.Stats(), cs, text, fmt.Errorf("gtlsclient did not exit: %v", werr)
	}
	// gtlsclient's frame dump shows the close it received: an
	// application CONNECTION_CLOSE (type 0x1d) with H3_NO_ERROR, not a
	// transport one (0x1c).
	if strings.Contains(text, "CONNECTION_CLOSE(0x1c)") {
		return relay.Stats(), cs, text, fmt.Errorf("gtlsclient saw a transport CONNECTION_CLOSE")
	}
	if !strings.Contains(text, "CONNECTION_CLOSE(0x1d)") {
		return relay.Stats(), cs, text, fmt.Errorf("gtlsclient did not report an application CONNECTION_CLOSE")
	}
	return relay.Stats(), cs, text, nil
}

func TestNgtcp2(t *testing.T) {
	type ngCase struct {
		name           string
		client, server string
		missing        string
		run            func(t *testing.T) (string, error)
	}
	ngCases := []ngCase{
		{"handshake", "quince", "ngtcp2", ngtcp2Missing(gtlsServer), func(t *testing.T) (string, error) {
			r, out, err := quinceToNgtcp2(t)
			if err != nil {
				return "", fmt.Errorf("%w; gtlsserver: %s", err, tail(out, 300))
			}
			if r.Down.Packets[PacketHandshake] == 0 || r.Up.Packets[PacketHandshake] == 0 {
				return "", fmt.Errorf("relay saw no Handshake packets: %v %v", r.Up.Packets, r.Down.Packets)
			}
			return "h3 handshake, closed with H3_NO_ERROR", nil
		}},
		{"handshake", "ngtcp2", "quince", ngtcp2Missing(gtlsClient), func(t *testing.T) (string, error) {
			r, _, out, err := ngtcp2ToQuince(t)
			if err != nil {
				return "", fmt.Errorf("%w; gtlsclient: %s", err, tail(out, 300))
			}
			if r.Down.Packets[PacketHandshake] == 0 || r.Up.Packets[PacketHandshake] == 0 {
				return "", fmt.Errorf("relay saw no Handshake packets: %v %v", r.Up.Packets, r.Down.Packets)
			}
			return "h3 handshake, closed with H3_NO_ERROR", nil
		}},
		{"chacha20", "ngtcp2", "quince", ngtcp2Missing(gtlsClient), func(t *testing.T) (string, error) {
			_, cs, out, err := ngtcp2ToQuince(t, "--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305")
			if err != nil {
				return "", fmt.Errorf("%w; gtlsclient: %s", err, tail(out, 300))
			}
			suite := cs.TLS.CipherSuite
			if suite != tls.TLS_CHACHA20_POLY1305_SHA256 {
				return "", fmt.Errorf("cipher suite %s, want TLS_CHACHA20_POLY1305_SHA256", tls.CipherSuiteName(suite))
			}
			return "TLS_CHACHA20_POLY1305_SHA256", nil
		}},
		{"chacha20", "quince", "ngtcp2", ngtcp2Missing(gtlsServer), func(t *testing.T) (string, error) {
			return "", errNotApplicable("crypto/tls offers ChaCha20-Poly1305 only without AES hardware; gtlsserver --ciphers would only refuse quince")
		}},
		{"keyupdate", "ngtcp2", "quince", ngtcp2Missing(gtlsClient), func(t *testing.T) (string, error) {
			// gtlsclient updates its keys 100 ms after the handshake and
			// sends its request 300 ms after it, with the new keys.
			_, cs, out, err := ngtcp2ToQuince(t, "--key-update=100ms", "--delay-stream=300ms")
			if err != nil {
				return "", fmt.Errorf("%w; gtlsclient: %s", err, tail(out, 300))
			}
			if cs.KeyUpdates < 1 {
				return "", fmt.Errorf("quince server counted %d key updates; want gtlsclient's", cs.KeyUpdates)
			}
			return fmt.Sprintf("gtlsclient --key-update; quince server counted %d", cs.KeyUpdates), nil
		}},
		{"retry", "quince", "ngtcp2", ngtcp2Missing(gtlsServer), func(t *testing.T) (string, error) {
			r, out, err := quinceToNgtcp2(t, "--validate-addr")
			if err != nil {
				return "", fmt.Errorf("%w; gtlsserver: %s", err, tail(out, 300))
			}
			// One Retry per tokenless Initial datagram: crypto/tls's
			// ClientHello (with ML-KEM) fills two.
			if r.Down.Packets[PacketRetry] == 0 {
				return "", fmt.Errorf("relay saw no Retry packet")
			}
			if r.Up.Packets[PacketHandshake] == 0 {
				return "", fmt.Errorf("relay saw no Handshake packet from quince after the Retry: %v", r.Up.Packets)
			}
			return "Retry seen at the relay; h3 handshake completed after it", nil
		}},
	}
	for _, c := range ngCases {
		t.Run(c.name+"/"+c.client+"-"+c.server, func(t *testing.T) {
			res := Result{Client: c.client, Server: c.server, Case: c.name}
			if c.missing != "" {
				res.Status, res.Detail = NotApplicable, c.missing
				matrix.Add(res)
				t.Skip("not applicable: " + c.missing)
			}
			detail, err := c.run(t)
			var na errNotApplicable
			switch {
			case errors.As(err, &na):
				res.Status, res.Detail = NotApplicable, string(na)
				matrix.Add(res)
				t.Skip("not applicable: " + string(na))
			case err != nil:
				res.Status, res.Detail = Fail, err.Error()
				t.Error(err)
			default:
				res.Detail = detail
			}
			matrix.Add(res)
		})
	}
}

// errNotApplicable is a case that cannot run, for the reason it holds.
type errNotApplicable string

func (e errNotApplicable) Error() string { return "not applicable: " + string(e) }

// errPeerFault is a failure caused by the other stack (named), shown in the
// matrix as a failure of that pairing but not failing quince's suite.
type errPeerFault struct {
	peer string
	err  error
}

func (e errPeerFault) Error() string { return e.peer + " (not quince): " + e.err.Error() }
