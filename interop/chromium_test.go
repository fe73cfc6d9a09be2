package interop

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumBinary returns the path of Debian's chromium, or "".
func chromiumBinary() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// spkiHash returns the base64 SHA-256 of a certificate's
// SubjectPublicKeyInfo, the form of --ignore-certificate-errors-spki-list.
func spkiHash(der []byte) (string, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// runChromium has headless chromium fetch https://localhost:port+path over
// QUIC only and returns the DOM it dumped. Its processes run in a process
// group of their own, all killed at the end.
func runChromium(ctx context.Context, bin string, port int, path, spki, profile string) (dom, stderr string, err error) {
	origin := "localhost:" + strconv.Itoa(port)
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile,
		"--enable-quic", "--origin-to-force-quic-on="+origin,
		"--host-resolver-rules=MAP localhost 127.0.0.1",
		"--ignore-certificate-errors-spki-list="+spki,
		"--dump-dom", "https://"+origin+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Start()
	if err != nil {
		return "", "", err
	}
	err = cmd.Wait()
	// Helpers chromium left behind (zygote, utility processes).
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return out.String(), errOut.String(), err
}

// chromiumCases are the pages chromium fetches, by case name.
var chromiumCases = []struct{ name, path string }{
	{h3Browser, "/"},
	{h3BrowserLarge, "/page/2000000"},
}

func testH3Chromium(t *testing.T) {
	const client, server = "chromium", "quince"
	bin := chromiumBinary()
	version := ""
	if bin != "" {
		if b, err := exec.Command(bin, "--version").Output(); err == nil {
			version = strings.TrimSpace(string(b))
		}
	}
	for _, c := range chromiumCases {
		t.Run(c.name, func(t *testing.T) {
			if bin == "" {
				addH3Result(t, client, server, c.name, "", errNotApplicable("chromium not installed (apt-get install chromium)"))
			}
			detail, err := chromiumFetch(t, bin, c.path)
			if version != "" && err == nil {
				detail += "; " + version
			}
			addH3Result(t, client, server, c.name, detail, err)
		})
	}
}

// chromiumFetch has chromium fetch path from a fresh quince http3.Server
// and checks the DOM it dumps.
func chromiumFetch(t *testing.T, bin, path string) (string, error) {
	certs := testCerts(t, false)
	spki, err := spkiHash(certs.Cert.Certificate[0])
	if err != nil {
		return "", err
	}
	// quince's http3.Server is the only listener: a page that arrives
	// came over HTTP/3.
	srv, err := StartQuinceH3(certs.ServerTLS("h3"))
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	dom, stderr, err := runChromium(ctx, bin, srv.Addr.Port, path, spki, t.TempDir())
	if cerr := srv.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("quince server: %w", cerr)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("chromium did not exit in time: %w", err)
		}
		return "", fmt.Errorf("%w; chromium's stderr: %s", err, tail(stderr, 500))
	}
	agents := srv.Handler.PageAgents()
	if len(agents) == 0 {
		return "", fmt.Errorf("the quince server saw no request for the page; chromium's DOM: %q; stderr: %s", tail(dom, 200), tail(stderr, 500))
	}
	if !strings.Contains(dom, PageMarker) {
		return "", fmt.Errorf("chromium's DOM lacks the page's marker %q: %q; stderr: %s", PageMarker, tail(dom, 300), tail(stderr, 500))
	}
	for proto, n := range srv.Handler.Protos() {
		if proto != "HTTP/3.0" {
			return "", fmt.Errorf("server saw %d requests with protocol %q", n, proto)
		}
	}
	if !strings.Contains(agents[0], "Chrome") {
		return "", fmt.Errorf("the page's request came with User-Agent %q, not chromium's", agents[0])
	}
	return fmt.Sprintf("%d-byte DOM over HTTP/3, marker found", len(dom)), nil
}
