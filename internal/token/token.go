// Package token makes and checks QUIC address validation tokens
// (RFC 9000, Section 8.1): the tokens a server puts in Retry packets and
// NEW_TOKEN frames and later receives back in a client's Initial packets.
//
// A token is sealed with AES-256-GCM under a key only the server knows, so
// a client can neither read nor forge one (RFC 9000, Section 8.1.4). Its
// first byte, which is in the clear but authenticated, tells the two kinds
// apart (RFC 9000, Section 8.1.3 allows that to be visible):
//
//	Kind (8) || Nonce (96) || Sealed(Version (32), Expiry (64), ODCID...)
//
// The client's address is bound as additional data rather than stored: a
// Retry token to the client's IP address and port, a NEW_TOKEN token to its
// IP address only, since a client's port rarely survives from one connection
// to the next (RFC 9000, Section 8.1.3). A Retry token also binds the
// connection ID the client's next Initial is sent to, and carries the
// original destination connection ID the server needs for its transport
// parameters. Both carry the QUIC version, because tokens must not cross
// versions (RFC 9369, Section 5).
package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/netip"
	"time"
)

// Kind tells a Retry token from a NEW_TOKEN token.
type Kind uint8

const (
	// KindRetry is a token sent in a Retry packet (RFC 9000, Section 8.1.2).
	KindRetry Kind = 0x52
	// KindNewToken is a token sent in a NEW_TOKEN frame
	// (RFC 9000, Section 8.1.3).
	KindNewToken Kind = 0x4e
)

// Lifetimes of the tokens a Protector makes. A Retry token is used within a
// round trip; a NEW_TOKEN token may be kept for a later connection.
const (
	RetryLifetime    = 10 * time.Second
	NewTokenLifetime = 24 * time.Hour
)

// Errors from the Open methods. A token that is not authentic, was made for
// another address, connection ID or version, or is of the other kind is
// ErrInvalid; an authentic token past its lifetime is ErrExpired.
var (
	ErrInvalid = errors.New("quic: invalid address validation token")
	ErrExpired = errors.New("quic: expired address validation token")
)

const (
	nonceLen = 12
	// plainFixed is the version and the expiry.
	plainFixed = 4 + 8
	// maxConnIDLen is the longest connection ID of QUIC versions 1 and 2.
	maxConnIDLen = 20
	// MaxLen is the longest token a Protector makes.
	MaxLen = 1 + nonceLen + plainFixed + 1 + maxConnIDLen + 16
)

// Protector seals and opens tokens under one key. Servers that share a key
// accept each other's tokens. It is safe for concurrent use.
type Protector struct {
	aead cipher.AEAD
}

// New returns a Protector for key.
func New(key *[32]byte) *Protector {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Protector{aead: aead}
}

// KindOf returns the kind byte of tok without authenticating it, so that a
// server can decide which rules apply (RFC 9000, Section 8.1.3: an invalid
// Retry token closes the connection, an invalid NEW_TOKEN token is ignored).
// ok is false if tok is not shaped like any token a Protector makes.
func KindOf(tok []byte) (k Kind, ok bool) {
	if len(tok) < 1+nonceLen+plainFixed+16 {
		return 0, false
	}
	switch k := Kind(tok[0]); k {
	case KindRetry, KindNewToken:
		return k, true
	}
	return 0, false
}

// NewRetryToken returns a token for a Retry packet sent to client, whose
// first Initial used version and was sent to origDstConnID; the Retry tells
// the client to send its next Initial to retrySrcConnID. Connection IDs are
// at most 20 bytes.
func (p *Protector) NewRetryToken(client netip.AddrPort, version uint32, origDstConnID, retrySrcConnID []byte, now time.Time) []byte {
	if len(origDstConnID) > maxConnIDLen || len(retrySrcConnID) > maxConnIDLen {
		panic("token: connection ID longer than 20 bytes")
	}
	plain := make([]byte, 0, plainFixed+1+maxConnIDLen)
	plain = appendFixed(plain, version, now.Add(RetryLifetime))
	plain = append(plain, byte(len(origDstConnID)))
	plain = append(plain, origDstConnID...)
	return p.seal(KindRetry, plain, retryAD(client, retrySrcConnID))
}

// OpenRetryToken checks a Retry token received in an Initial of version
// from client, sent to dstConnID, and returns the original destination
// connection ID it carries.
func (p *Protector) OpenRetryToken(tok []byte, client netip.AddrPort, version uint32, dstConnID []byte, now time.Time) (origDstConnID []byte, err error) {
	plain, err := p.open(KindRetry, tok, retryAD(client, dstConnID), version, now)
	if err != nil {
		return nil, err
	}
	if len(plain) < 1 || int(plain[0]) != len(plain)-1 || len(plain)-1 > maxConnIDLen {
		return nil, ErrInvalid
	}
	return plain[1:], nil
}

// NewToken returns a token for a NEW_TOKEN frame sent to a client at
// address client on a connection of version.
func (p *Protector) NewToken(client netip.Addr, version uint32, now time.Time) []byte {
	plain := appendFixed(make([]byte, 0, plainFixed), version, now.Add(NewTokenLifetime))
	return p.seal(KindNewToken, plain, addrAD(nil, KindNewToken, client))
}

// OpenToken checks a NEW_TOKEN token received in an Initial of version from
// a client at address client.
func (p *Protector) OpenToken(tok []byte, client netip.Addr, version uint32, now time.Time) error {
	plain, err := p.open(KindNewToken, tok, addrAD(nil, KindNewToken, client), version, now)
	if err != nil {
		return err
	}
	if len(plain) != 0 {
		return ErrInvalid
	}
	return nil
}

func appendFixed(b []byte, version uint32, expiry time.Time) []byte {
	b = binary.BigEndian.AppendUint32(b, version)
	return binary.BigEndian.AppendUint64(b, uint64(expiry.UnixMilli()))
}

// addrAD is the additional data that binds a token to an address: the kind
// byte and the 16-byte form of the IP address, IPv4-mapped addresses
// unmapped first so that a dual-stack socket does not change the binding.
func addrAD(b []byte, k Kind, a netip.Addr) []byte {
	ip := a.Unmap().As16()
	b = append(b, byte(k))
	return append(b, ip[:]...)
}

func retryAD(client netip.AddrPort, dstConnID []byte) []byte {
	b := make([]byte, 0, 1+16+2+1+maxConnIDLen)
	b = addrAD(b, KindRetry, client.Addr())
	b = binary.BigEndian.AppendUint16(b, client.Port())
	b = append(b, byte(len(dstConnID)))
	return append(b, dstConnID...)
}

func (p *Protector) seal(k Kind, plain, ad []byte) []byte {
	out := make([]byte, 1+nonceLen, 1+nonceLen+len(plain)+p.aead.Overhead())
	out[0] = byte(k)
	rand.Read(out[1 : 1+nonceLen])
	return p.aead.Seal(out, out[1:1+nonceLen], plain, ad)
}

// open authenticates tok as a token of kind k, checks its version and
// expiry, and returns what follows them.
func (p *Protector) open(k Kind, tok, ad []byte, version uint32, now time.Time) ([]byte, error) {
	if len(tok) > MaxLen {
		return nil, ErrInvalid
	}
	if got, ok := KindOf(tok); !ok || got != k {
		return nil, ErrInvalid
	}
	plain, err := p.aead.Open(nil, tok[1:1+nonceLen], tok[1+nonceLen:], ad)
	if err != nil || len(plain) < plainFixed {
		return nil, ErrInvalid
	}
	if binary.BigEndian.Uint32(plain) != version {
		return nil, ErrInvalid
	}
	expiry := time.UnixMilli(int64(binary.BigEndian.Uint64(plain[4:])))
	if !now.Before(expiry) {
		return nil, ErrExpired
	}
	return plain[plainFixed:], nil
}
