package core

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// Version negotiation (RFC 9368) between QUIC versions 1 and 2 (RFC 9369).
//
// Compatible negotiation: the client sends its first flight in its first
// configured version and lists all its versions in version_information. A
// server that can read that flight picks the first version of its own list
// that the client offers, sets its Initial write keys to that version and
// answers in it; it still reads Initials of the original version until the
// client follows (RFC 9369, Section 4). The client switches when the first
// packet of another version it offered authenticates.
//
// Incompatible negotiation: a Version Negotiation packet that lists a
// version the client speaks, and not the one it tried, restarts the
// connection attempt in that version (RFC 9368, Section 2.1); the downgrade
// check of Section 4 then runs on the server's version_information.

// versionState is a connection's version negotiation state.
type versionState struct {
	// original is the version of the client's first Initial in this
	// connection attempt, the Chosen Version of its version_information.
	original uint32
	// learned: the client saw the server's version (a packet of another
	// version, or CRYPTO data in its own; RFC 9369, Section 4).
	learned bool
	// reacted: this client attempt follows a Version Negotiation packet.
	reacted bool
	// fixed: the server knows the version of the client's first flight.
	fixed bool
	// origRead are a server's Initial read keys for the original version
	// after it upgraded the connection; kept until the Initial space goes
	// (RFC 9369, Section 4).
	origRead *protect.Keys
}

func (v *versionState) initClient(version uint32) { v.original = version }

// initServer records the version of the client's first Initial; if it is
// not known yet, version is a guess the first Initial corrects.
func (v *versionState) initServer(version uint32, known bool) {
	v.original = version
	v.fixed = known
}

// checkVersions reports an error if a configured version is not one this
// package speaks.
func checkVersions(vs []uint32) error {
	for _, v := range vs {
		if !wire.IsSupportedVersion(v) {
			return fmt.Errorf("quic: unsupported QUIC version 0x%08x in Config.Versions", v)
		}
	}
	return nil
}

// compatible reports whether a first flight of version a converts to
// version b: versions 1 and 2 are compatible both ways (RFC 9369, Section 4).
func compatible(a, b uint32) bool {
	return wire.IsSupportedVersion(a) && wire.IsSupportedVersion(b)
}

// readKeysFor returns the keys that open the long-header packet h of space
// s, or nil if this endpoint drops packets of h's version now. A server
// learns the client's version from its first Initial here. For a client, an
// Initial of another version it offered may be the server's upgrade: the
// trial keys are returned with switchTo, and followVersion commits to the
// version once the packet authenticates.
func (c *Conn) readKeysFor(h *wire.LongHeader, s *space) (keys *protect.Keys, switchTo uint32) {
	if h.Version == c.version {
		return s.readKeys, 0
	}
	if h.Type != wire.PacketInitial || s.discarded {
		// RFC 9369, Section 4: Handshake and 1-RTT packets use the
		// negotiated version only.
		return nil, 0
	}
	switch {
	case !c.isClient && !c.vn.fixed && slices.Contains(c.cfg.Versions, h.Version):
		// The first Initial names the client's version.
		c.version, c.vn.original = h.Version, h.Version
		c.installInitialKeys(c.initialDstConnID)
		return s.readKeys, 0
	case !c.isClient && h.Version == c.vn.original:
		return c.vn.origRead, 0
	case c.isClient && !c.vn.learned && slices.Contains(c.cfg.Versions, h.Version) && compatible(c.version, h.Version):
		_, server := protect.InitialKeys(h.Version, c.initialDstConnID)
		return server, h.Version
	}
	return nil, 0
}

// followVersion switches a client to the version the server chose, once a
// packet of it authenticated.
func (c *Conn) followVersion(v uint32) {
	c.version = v
	c.vn.learned = true
	c.installInitialKeys(c.initialDstConnID)
}

// negotiateVersion checks the peer's version_information and, on a server,
// picks the connection's version (RFC 9368, Sections 2.3 and 4).
func (c *Conn) negotiateVersion(vi *wire.VersionInformation) error {
	if !c.isClient {
		if vi == nil {
			return nil // RFC 9368, Section 4: servers MAY go on without it
		}
		if vi.Chosen != c.vn.original {
			return wire.Errorf(wire.VersionNegotiationError, 0, "client's chosen version 0x%08x is not the version of its packets, 0x%08x", vi.Chosen, c.vn.original)
		}
		for _, v := range c.cfg.Versions {
			if slices.Contains(vi.Available, v) && compatible(vi.Chosen, v) {
				c.upgradeVersion(v)
				break
			}
		}
		return nil
	}
	if vi == nil {
		if !c.vn.reacted {
			return nil
		}
		if c.version != wire.Version1 {
			return wire.Errorf(wire.VersionNegotiationError, 0, "server sent no version_information after Version Negotiation")
		}
		// RFC 9368, Section 8: a version 1 server that does not know
		// version_information.
		vi = &wire.VersionInformation{Chosen: wire.Version1, Available: []uint32{wire.Version1}}
	}
	if vi.Chosen != c.version {
		return wire.Errorf(wire.VersionNegotiationError, 0, "server's chosen version 0x%08x is not the version of its packets, 0x%08x", vi.Chosen, c.version)
	}
	if !slices.Contains(c.cfg.Versions, vi.Chosen) {
		return wire.Errorf(wire.VersionNegotiationError, 0, "server chose version 0x%08x, which the client did not offer", vi.Chosen)
	}
	if c.vn.reacted {
		// RFC 9368, Section 4: the client would have picked the same
		// version from a Version Negotiation packet listing the server's
		// Available Versions and the negotiated one.
		if len(vi.Available) == 0 {
			return wire.Errorf(wire.VersionNegotiationError, 0, "server lists no available versions after Version Negotiation")
		}
		list := append(slices.Clone(vi.Available), vi.Chosen)
		if v, _ := c.pickVersion(list); v != c.vn.original {
			return wire.Errorf(wire.VersionNegotiationError, 0, "version downgrade: the client would have chosen 0x%08x, not 0x%08x", v, c.vn.original)
		}
	}
	return nil
}

// upgradeVersion makes a server answer in version v: its Initial write keys
// change now, and it keeps reading the original version's Initials
// (RFC 9369, Section 4).
func (c *Conn) upgradeVersion(v uint32) {
	if v == c.version {
		return
	}
	c.vn.origRead = c.spaces[spaceInitial].readKeys
	c.version = v
	c.installInitialKeys(c.initialDstConnID)
}

// pickVersion returns the first of this endpoint's versions in list.
func (c *Conn) pickVersion(list []uint32) (uint32, bool) {
	for _, v := range c.cfg.Versions {
		if slices.Contains(list, v) {
			return v, true
		}
	}
	return 0, false
}

// receiveVersionNegotiation handles a Version Negotiation packet
// (RFC 9000, Section 6.2; RFC 9368, Sections 2.1 and 4).
func (c *Conn) receiveVersionNegotiation(pkt []byte, now time.Time) {
	if !c.isClient || c.vn.reacted || c.vn.learned || c.retried || c.connIDs.peerChosen {
		// Only a client that has processed nothing from the server acts
		// on one, and only once.
		c.stats.PacketsDropped++
		return
	}
	dst, src, list, err := wire.ParseVersionNegotiation(pkt)
	if err != nil || !bytes.Equal(dst, c.connIDs.local[0].id) || !bytes.Equal(src, c.initialDstConnID) {
		// RFC 8999, Section 6: it must echo the client's connection IDs.
		c.stats.PacketsDropped++
		return
	}
	if wire.ContainsVersion(list, c.vn.original) {
		// RFC 9368, Section 4: one listing the Original Version is ignored.
		c.stats.PacketsDropped++
		return
	}
	var offered []uint32
	for v := range wire.EachVersion(list) {
		if len(offered) < 64 {
			offered = append(offered, v)
		}
	}
	v, ok := c.pickVersion(offered)
	if !ok {
		c.stopTLS()
		c.closing.state = stateClosed
		c.closing.err = &ConnError{
			Code:               uint64(wire.VersionNegotiationError),
			Remote:             true,
			VersionNegotiation: true,
			Versions:           offered,
			Reason:             fmt.Sprintf("the server speaks none of the client's versions; it offers %s", versionList(offered)),
		}
		c.events.push(Event{Kind: EventClosed})
		return
	}
	c.restart(v, now)
}

// restart begins a new connection attempt in version v after Version
// Negotiation: a new TLS handshake and first flight, the same connection
// IDs (RFC 9368, Section 2.4 lets one object carry both attempts).
func (c *Conn) restart(v uint32, now time.Time) {
	cfg, peer := c.cfg, c.peerAddr
	scid, dcid := c.connIDs.local[0].id, c.initialDstConnID
	stats, events := c.stats, c.events
	c.stopTLS()
	*c = Conn{}
	c.init(&cfg, true, peer, now)
	c.version = v
	c.stats, c.events = stats, events
	// A token belongs to one version (RFC 9369, Section 5); drop it.
	c.startClient(scid, dcid, nil)
	c.vn.reacted = true
	if err := c.startTLS(); err != nil {
		c.closeWithError(err, now)
	}
}

func versionList(vs []uint32) string {
	var b []byte
	for i, v := range vs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "0x%08x", v)
	}
	return string(b)
}
