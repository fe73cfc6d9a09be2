package quic

import (
	"container/list"
	"sync"
)

// TokenStore keeps address validation tokens that servers sent a client in
// NEW_TOKEN frames (RFC 9000, Section 8.1.3), so that the client's next
// session to the same server presents one and skips the Retry. Keys name
// a server (its name, address and QUIC version). Implementations must be
// safe for concurrent use.
type TokenStore interface {
	// Put keeps token for key. The store owns token.
	Put(key string, token []byte)
	// Pop removes and returns a token for key, or nil if it has none. A
	// token is used once, so that sessions cannot be linked by it
	// (RFC 9000, Section 8.1.3).
	Pop(key string) []byte
}

// NewTokenStore returns a TokenStore that keeps at most perServer tokens
// (newest first) for each of the maxServers servers used most recently.
// Values below 1 count as 1.
func NewTokenStore(maxServers, perServer int) TokenStore {
	return &lruTokenStore{
		maxServers: max(maxServers, 1),
		perServer:  max(perServer, 1),
		byKey:      make(map[string]*list.Element),
	}
}

type lruTokenStore struct {
	maxServers, perServer int

	mu    sync.Mutex
	order list.List // of *tokenEntry, most recently used first
	byKey map[string]*list.Element
}

type tokenEntry struct {
	key    string
	tokens [][]byte // oldest first
}

func (s *lruTokenStore) Put(key string, token []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byKey[key]
	if !ok {
		el = s.order.PushFront(&tokenEntry{key: key})
		s.byKey[key] = el
		if s.order.Len() > s.maxServers {
			last := s.order.Back()
			s.order.Remove(last)
			delete(s.byKey, last.Value.(*tokenEntry).key)
		}
	}
	s.order.MoveToFront(el)
	e := el.Value.(*tokenEntry)
	if len(e.tokens) == s.perServer {
		e.tokens = append(e.tokens[:0], e.tokens[1:]...)
	}
	e.tokens = append(e.tokens, token)
}

func (s *lruTokenStore) Pop(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byKey[key]
	if !ok {
		return nil
	}
	e := el.Value.(*tokenEntry)
	tok := e.tokens[len(e.tokens)-1]
	e.tokens = e.tokens[:len(e.tokens)-1]
	if len(e.tokens) == 0 {
		s.order.Remove(el)
		delete(s.byKey, key)
	} else {
		s.order.MoveToFront(el)
	}
	return tok
}
