package main

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/net/ipv4"
)

// ceilingPacket is the datagram size the ceiling is measured with.
const ceilingPacket = 1200

// udpMode is how the ceiling's sender writes.
type udpMode int

const (
	udpPlain udpMode = iota // one write per datagram
	udpBatch                // sendmmsg, 64 datagrams a call
	udpGSO                  // UDP_SEGMENT, 48 datagrams a call
)

// Linux constants for UDP GSO (linux/udp.h); x/sys/unix has them too, but
// setsockopt on a raw fd needs only the numbers.
const (
	solUDP     = 17
	udpSegment = 103
)

// errNoGSO reports a kernel without UDP_SEGMENT.
var errNoGSO = errors.New("UDP GSO not supported")

// udpCeiling measures how many bytes per second of 1,200-byte datagrams
// loopback delivers to a receiver reading with recvmmsg, over d.
func udpCeiling(mode udpMode, d time.Duration) (mbps float64, err error) {
	rc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	rc.SetReadBuffer(8 << 20)
	sc, err := net.DialUDP("udp4", nil, rc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return 0, err
	}
	defer sc.Close()
	sc.SetWriteBuffer(8 << 20)
	if mode == udpGSO {
		if err := setGSO(sc, ceilingPacket); err != nil {
			return 0, err
		}
	}

	var received atomic.Int64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // receiver
		defer wg.Done()
		pc := ipv4.NewPacketConn(rc)
		msgs := make([]ipv4.Message, 64)
		for i := range msgs {
			msgs[i].Buffers = [][]byte{make([]byte, 2048)}
		}
		for {
			n, err := pc.ReadBatch(msgs, 0)
			if err != nil {
				return
			}
			var sum int
			for _, m := range msgs[:n] {
				sum += m.N
			}
			received.Add(int64(sum))
		}
	}()
	var stop atomic.Bool
	var sendErr error
	go func() { // sender
		defer wg.Done()
		sendErr = sendLoop(sc, mode, &stop)
	}()

	// Warm up, then count.
	time.Sleep(d / 10)
	c0, t0 := received.Load(), time.Now()
	time.Sleep(d)
	c1, t1 := received.Load(), time.Now()
	stop.Store(true)
	rc.Close()
	wg.Wait()
	if sendErr != nil {
		return 0, sendErr
	}
	return float64(c1-c0) * 8 / t1.Sub(t0).Seconds() / 1e6, nil
}

func sendLoop(sc *net.UDPConn, mode udpMode, stop *atomic.Bool) error {
	pkt := make([]byte, ceilingPacket)
	switch mode {
	case udpPlain:
		for !stop.Load() {
			if _, err := sc.Write(pkt); err != nil && !isTransient(err) {
				return err
			}
		}
	case udpBatch:
		pc := ipv4.NewPacketConn(sc)
		msgs := make([]ipv4.Message, 64)
		for i := range msgs {
			msgs[i].Buffers = [][]byte{pkt}
		}
		for !stop.Load() {
			if _, err := pc.WriteBatch(msgs, 0); err != nil && !isTransient(err) {
				return err
			}
		}
	case udpGSO:
		buf := make([]byte, 48*ceilingPacket)
		for !stop.Load() {
			if _, err := sc.Write(buf); err != nil && !isTransient(err) {
				return err
			}
		}
	}
	return nil
}

// isTransient reports a send error that a full loopback queue can cause.
func isTransient(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.EAGAIN)
}

func setGSO(c *net.UDPConn, size int) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), solUDP, udpSegment, size)
	}); err != nil {
		return err
	}
	if serr != nil {
		return errNoGSO
	}
	return nil
}

// sealCeiling measures AEAD seal speed of 1,200-byte packets on one core,
// in Mbit/s of plaintext: AES-128-GCM and ChaCha20-Poly1305, the QUIC
// suites.
func sealCeiling(chacha bool, d time.Duration) (float64, error) {
	key := make([]byte, 16)
	var aead cipher.AEAD
	var err error
	if chacha {
		aead, err = chacha20poly1305.New(make([]byte, chacha20poly1305.KeySize))
	} else {
		var block cipher.Block
		block, err = aes.NewCipher(key)
		if err == nil {
			aead, err = cipher.NewGCM(block)
		}
	}
	if err != nil {
		return 0, err
	}
	pt := make([]byte, ceilingPacket)
	ad := make([]byte, 20) // a short header's size
	nonce := make([]byte, aead.NonceSize())
	dst := make([]byte, 0, ceilingPacket+aead.Overhead())
	var n int64
	start := time.Now()
	deadline := start.Add(d)
	for {
		for range 1000 {
			nonce[len(nonce)-1]++
			dst = aead.Seal(dst[:0], nonce, pt, ad)
			n++
		}
		if time.Now().After(deadline) {
			break
		}
	}
	return float64(n*ceilingPacket) * 8 / time.Since(start).Seconds() / 1e6, nil
}
