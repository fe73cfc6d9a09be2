package token

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	key1    = &[32]byte{1}
	key2    = &[32]byte{2}
	client  = netip.MustParseAddrPort("192.0.2.1:4433")
	mapped  = netip.MustParseAddrPort("[::ffff:192.0.2.1]:4433")
	other   = netip.MustParseAddrPort("192.0.2.9:4433")
	newPort = netip.MustParseAddrPort("192.0.2.1:5555")
	odcid   = []byte{1, 2, 3, 4, 5, 6, 7, 8}
	rscid   = []byte{9, 9, 9, 9, 9, 9, 9, 9}
	start   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func TestRetryToken(t *testing.T) {
	p := New(key1)
	tok := p.NewRetryToken(client, 1, odcid, rscid, start)
	if k, ok := KindOf(tok); !ok || k != KindRetry {
		t.Fatalf("KindOf = %v, %v; want KindRetry", k, ok)
	}
	if len(tok) > MaxLen {
		t.Errorf("token of %d bytes, longer than MaxLen %d", len(tok), MaxLen)
	}
	tests := []struct {
		name    string
		p       *Protector
		tok     []byte
		client  netip.AddrPort
		version uint32
		dcid    []byte
		now     time.Time
		want    error
	}{
		{"valid", p, tok, client, 1, rscid, start.Add(time.Second), nil},
		{"valid, IPv4-mapped", p, tok, mapped, 1, rscid, start, nil},
		{"expired", p, tok, client, 1, rscid, start.Add(RetryLifetime), ErrExpired},
		{"other address", p, tok, other, 1, rscid, start, ErrInvalid},
		{"other port", p, tok, newPort, 1, rscid, start, ErrInvalid},
		{"other version", p, tok, client, 0x6b3343cf, rscid, start, ErrInvalid},
		{"other connection ID", p, tok, client, 1, odcid, start, ErrInvalid},
		{"other key", New(key2), tok, client, 1, rscid, start, ErrInvalid},
		{"truncated", p, tok[:len(tok)-1], client, 1, rscid, start, ErrInvalid},
		{"flipped", p, flip(tok, 20), client, 1, rscid, start, ErrInvalid},
		{"kind changed", p, retype(tok, KindNewToken), client, 1, rscid, start, ErrInvalid},
		{"empty", p, nil, client, 1, rscid, start, ErrInvalid},
		{"too long", p, make([]byte, MaxLen+1), client, 1, rscid, start, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.OpenRetryToken(tt.tok, tt.client, tt.version, tt.dcid, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("OpenRetryToken error = %v; want %v", err, tt.want)
			}
			if err == nil {
				if diff := cmp.Diff(odcid, got); diff != "" {
					t.Errorf("original destination connection ID (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	p := New(key1)
	tok := p.NewToken(client.Addr(), 1, start)
	if k, ok := KindOf(tok); !ok || k != KindNewToken {
		t.Fatalf("KindOf = %v, %v; want KindNewToken", k, ok)
	}
	tests := []struct {
		name    string
		tok     []byte
		addr    netip.Addr
		version uint32
		now     time.Time
		want    error
	}{
		{"valid", tok, client.Addr(), 1, start.Add(time.Hour), nil},
		{"valid, other port", tok, newPort.Addr(), 1, start, nil},
		{"valid, IPv4-mapped", tok, mapped.Addr(), 1, start, nil},
		{"expired", tok, client.Addr(), 1, start.Add(NewTokenLifetime), ErrExpired},
		{"other address", tok, other.Addr(), 1, start, ErrInvalid},
		{"other version", tok, client.Addr(), 2, start, ErrInvalid},
		{"flipped", flip(tok, 14), client.Addr(), 1, start, ErrInvalid},
		{"kind changed", retype(tok, KindRetry), client.Addr(), 1, start, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := p.OpenToken(tt.tok, tt.addr, tt.version, tt.now); !errors.Is(err, tt.want) {
				t.Fatalf("OpenToken error = %v; want %v", err, tt.want)
			}
		})
	}
	// A Retry token is not a NEW_TOKEN token, and the reverse.
	if err := p.OpenToken(p.NewRetryToken(client, 1, odcid, rscid, start), client.Addr(), 1, start); !errors.Is(err, ErrInvalid) {
		t.Errorf("OpenToken(Retry token) = %v; want ErrInvalid", err)
	}
	if _, err := p.OpenRetryToken(tok, client, 1, rscid, start); !errors.Is(err, ErrInvalid) {
		t.Errorf("OpenRetryToken(NEW_TOKEN token) = %v; want ErrInvalid", err)
	}
}

// TestTokensUnique checks RFC 9000, Section 8.1.3: every NEW_TOKEN token is
// different, even for one client at one instant.
func TestTokensUnique(t *testing.T) {
	p := New(key1)
	seen := map[string]bool{}
	for range 100 {
		tok := string(p.NewToken(client.Addr(), 1, start))
		if seen[tok] {
			t.Fatal("NewToken repeated a token")
		}
		seen[tok] = true
	}
}

func TestKindOf(t *testing.T) {
	for _, tok := range [][]byte{nil, {byte(KindRetry)}, make([]byte, 100)} {
		if k, ok := KindOf(tok); ok {
			t.Errorf("KindOf(%x) = %v, true; want false", tok, k)
		}
	}
}

func FuzzOpen(f *testing.F) {
	p := New(key1)
	f.Add(p.NewRetryToken(client, 1, odcid, rscid, start))
	f.Add(p.NewToken(client.Addr(), 1, start))
	f.Fuzz(func(t *testing.T, tok []byte) {
		p.OpenRetryToken(tok, client, 1, rscid, start)
		p.OpenToken(tok, client.Addr(), 1, start)
	})
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

func retype(b []byte, k Kind) []byte {
	c := append([]byte(nil), b...)
	c[0] = byte(k)
	return c
}
