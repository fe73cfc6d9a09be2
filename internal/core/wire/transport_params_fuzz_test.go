package wire

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzTransportParameters checks that parsing never panics, that every
// failure is a TRANSPORT_PARAMETER_ERROR, and that whatever parses is valid
// and survives re-encoding: it parses back to the same parameters, whose
// encoding is the same again.
func FuzzTransportParameters(f *testing.F) {
	client, server := clientTestParams(), serverTestParams()
	f.Add(client.Append(nil), false)
	f.Add(server.Append(nil), true)
	f.Add(AppendReservedTransportParameter(server.Append(nil), 7), true)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, b []byte, sentByServer bool) {
		p, err := ParseTransportParameters(b, sentByServer)
		if err != nil {
			checkTPError(t, err)
			return
		}
		if err := p.Validate(sentByServer); err != nil {
			t.Fatalf("parsed parameters fail Validate: %v\n%+v", err, p)
		}
		enc := p.Append(nil)
		q, err := ParseTransportParameters(enc, sentByServer)
		if err != nil {
			t.Fatalf("re-encoding %x does not parse: %v", enc, err)
		}
		if diff := cmp.Diff(p, q, tpCmpOpts); diff != "" {
			t.Fatalf("re-encoding changed the parameters (-first +second):\n%s", diff)
		}
		if again := q.Append(nil); !bytes.Equal(again, enc) {
			t.Fatalf("encoding not stable:\n%x\n%x", enc, again)
		}
	})
}
