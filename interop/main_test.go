package interop

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
)

// matrix collects every case's result; TestMain prints it and, on a full
// run, writes MATRIX.md.
var matrix Matrix

func TestMain(m *testing.M) {
	flag.Parse()
	start := time.Now()
	code := m.Run()
	if matrix.Len() == 0 {
		os.Exit(code)
	}
	md := matrix.Markdown()
	fmt.Printf("\ninterop matrix (client → server):\n\n%s", md)
	if run := flag.Lookup("test.run").Value.String(); run == "" {
		header := "# quince interop matrix\n\n" +
			"Written by `go test` in interop/ (see interop/doc.go); each cell is\n" +
			"client → server over loopback UDP. The first table holds the QUIC cases\n" +
			"of the QUIC interop runner, over hq-interop (h3 with ngtcp2) through the\n" +
			"test relay; the HTTP/3 section says how its cases run.\n" +
			"quince is this repository; quic-go is github.com/quic-go/quic-go v0.65.0;\n" +
			"ngtcp2 is Debian's ngtcp2-client/ngtcp2-server 0.12 (gtlsclient, gtlsserver).\n\n"
		footer := fmt.Sprintf("\nSuite time: %s.\n", time.Since(start).Round(time.Second))
		if err := os.WriteFile("MATRIX.md", []byte(header+md+footer), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "writing MATRIX.md:", err)
			code = 1
		}
	}
	os.Exit(code)
}
