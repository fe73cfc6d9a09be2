package quic_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quince-go/quic"
)

// TestKeyLogDecryptsCapture checks tls.Config.KeyLogWriter end to end: a
// loopback session is captured with tshark, which decrypts it with the key
// log and must see the hq-interop request in the clear.
func TestKeyLogDecryptsCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("captures with tshark")
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed (Debian: apt-get install -y tshark)")
	}
	// A loopback capture records a GSO send as one datagram, which tshark
	// cannot dissect.
	t.Setenv("QUINCE_DISABLE_GSO", "1")
	dir := t.TempDir()
	keylogPath := filepath.Join(dir, "keys.log")
	pcapPath := filepath.Join(dir, "capture.pcapng")
	serverTLS, clientTLS := keylogTLS(t)
	keylog, err := os.Create(keylogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer keylog.Close()
	clientTLS.KeyLogWriter = keylog

	l, err := quic.Listen("udp", "127.0.0.1:0", serverTLS, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.UDPAddr).Port

	// Start the capture and wait until tshark says it is capturing.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	capture := exec.CommandContext(ctx, tshark, "-i", "lo", "-f", "udp port "+keylogItoa(port), "-w", pcapPath, "-P", "-l")
	stdout, err := capture.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := capture.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := capture.Start(); err != nil {
		t.Skipf("cannot start tshark: %v", err)
	}
	started := make(chan string, 1)
	go func() {
		var out strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			out.WriteString(line + "\n")
			if strings.Contains(line, "Capture started") {
				started <- ""
				io.Copy(io.Discard, stderr)
				return
			}
		}
		started <- out.String()
	}()
	select {
	case msg := <-started:
		if msg != "" {
			capture.Wait()
			t.Skipf("tshark cannot capture on lo (it needs CAP_NET_RAW and CAP_NET_ADMIN, or root): %s", msg)
		}
	case <-ctx.Done():
		t.Fatal("tshark did not start capturing")
	}

	// An hq-interop exchange: the client asks for /hello, the server
	// answers and both close.
	go func() {
		s, err := l.Accept(ctx)
		if err != nil {
			return
		}
		st, err := s.AcceptStream(ctx)
		if err != nil {
			return
		}
		req, _ := io.ReadAll(st)
		if string(req) == "GET /hello\r\n" {
			st.Write([]byte("hello, world\n"))
		}
		st.Close()
	}()
	s, err := quic.Dial(ctx, "udp", l.Addr().String(), clientTLS, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("GET /hello\r\n")); err != nil {
		t.Fatal(err)
	}
	st.CloseWrite()
	resp, err := io.ReadAll(st)
	if err != nil || string(resp) != "hello, world\n" {
		t.Fatalf("response %q, %v", resp, err)
	}
	s.Close()

	// The capture hands packets over in blocks: send a marker datagram of
	// a length nothing else has and stop once tshark has seen it, so that
	// everything before it is in the file.
	marker, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	if _, err := marker.Write([]byte("MARKER!")); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), "Len=7") {
	}
	go io.Copy(io.Discard, stdout)
	capture.Process.Signal(syscall.SIGINT)
	capture.Wait()

	out, err := exec.CommandContext(ctx, tshark, "-r", pcapPath, "-o", "tls.keylog_file:"+keylogPath,
		"-Y", "quic.stream_data", "-T", "fields", "-e", "quic.stream_data").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark -r: %v\n%s", err, out)
	}
	got := strings.NewReplacer(":", "", ",", "\n").Replace(string(out))
	want := hex.EncodeToString([]byte("GET /hello\r\n"))
	if !strings.Contains(got, want) {
		t.Errorf("decrypted stream data does not contain the request %q (hex %s):\n%s", "GET /hello\r\n", want, out)
	}
}

func keylogItoa(n int) string { return big.NewInt(int64(n)).String() }

// keylogTLS makes a server certificate for 127.0.0.1 and the matching
// configurations, with ALPN hq-interop.
func keylogTLS(t *testing.T) (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		NextProtos:   []string{"hq-interop"},
	}
	client = &tls.Config{RootCAs: roots, NextProtos: []string{"hq-interop"}}
	return server, client
}
