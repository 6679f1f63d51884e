// Package stamp is the wire format of STAMP, the Simple Two-way Active
// Measurement Protocol (RFC 8762), in its unauthenticated mode: the
// Session-Sender's test packet, the Session-Reflector's answer, NTP
// timestamps and the error estimate (RFC 4656 §4.1.2). The packets are
// those of TWAMP-Light (RFC 5357 appendix I), so either end may be a TWAMP
// light implementation. Both the SLA probe adapter and the twin's
// reflector use it; standard library only.
package stamp

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Port is the UDP port a Session-Reflector listens on unless told
// otherwise (RFC 8762 §4: 862).
const Port = 862

// PacketSize is the size of an unauthenticated test packet, the sender's
// and the reflector's alike (RFC 8762 §4.2.1, §4.3.1): 44 octets.
const PacketSize = 44

// Timestamp is an NTP timestamp (RFC 5905 §6): seconds since 1900 in the
// high 32 bits, the fraction of a second in the low 32. Zero means "not
// known".
type Timestamp uint64

// ntpEpoch is 1900-01-01 in Unix seconds.
const ntpEpoch = -2208988800

// NTP is t as an NTP timestamp, rounded to the nearest fraction.
func NTP(t time.Time) Timestamp {
	secs := uint64(t.Unix() - ntpEpoch)
	frac := (uint64(t.Nanosecond())<<32 + 5e8) / 1e9
	return Timestamp(secs<<32 + frac)
}

// Time is ts as a time.
func (ts Timestamp) Time() time.Time {
	secs := int64(ts>>32) + ntpEpoch
	nanos := (uint64(ts&0xffffffff)*1e9 + 1<<31) >> 32
	return time.Unix(secs, int64(nanos))
}

// Add is ts moved by d (d may be negative).
func (ts Timestamp) Add(d time.Duration) Timestamp {
	return ts + Timestamp(Units(d))
}

// Sub is ts - earlier as a duration, rounded to the nanosecond.
func (ts Timestamp) Sub(earlier Timestamp) time.Duration {
	diff := int64(ts - earlier) // modular: correct across the 2036 era wrap
	neg := diff < 0
	if neg {
		diff = -diff
	}
	secs, frac := diff>>32, diff&0xffffffff
	d := time.Duration(secs)*time.Second + time.Duration((uint64(frac)*1e9+1<<31)>>32)
	if neg {
		return -d
	}
	return d
}

// Units is d in NTP units (2^-32 s), rounded.
func Units(d time.Duration) int64 {
	neg := d < 0
	if neg {
		d = -d
	}
	secs, nanos := int64(d/time.Second), int64(d%time.Second)
	u := secs<<32 + (nanos<<32+5e8)/1e9
	if neg {
		return -u
	}
	return u
}

// ErrorEstimate is the error estimate field of a test packet (RFC 4656
// §4.1.2, RFC 8762 §4.2.1): S, set when the clock is synchronised to UTC;
// Z, set when the timestamp is PTP rather than NTP (always clear here);
// Scale and Multiplier, the error being Multiplier × 2^(Scale-32) seconds.
type ErrorEstimate uint16

// Estimate builds an error estimate for an error of at most d: the
// smallest scale at which the multiplier fits (a multiplier is at least
// 1: zero is invalid).
func Estimate(synced bool, d time.Duration) ErrorEstimate {
	u := max(Units(d), 1)
	scale := 0
	for u > 255 && scale < 63 {
		u = (u + 1) >> 1
		scale++
	}
	e := ErrorEstimate(scale)<<8 | ErrorEstimate(min(u, 255))
	if synced {
		e |= 1 << 15
	}
	return e
}

// Synced tells whether the clock that stamped the packet is synchronised
// to UTC (the S bit).
func (e ErrorEstimate) Synced() bool { return e&(1<<15) != 0 }

// PTP tells whether the timestamps are in PTP format (the Z bit).
func (e ErrorEstimate) PTP() bool { return e&(1<<14) != 0 }

// Scale is the estimate's scale.
func (e ErrorEstimate) Scale() int { return int(e>>8) & 0x3f }

// Multiplier is the estimate's multiplier.
func (e ErrorEstimate) Multiplier() int { return int(e & 0xff) }

// Valid tells whether the estimate means anything: its multiplier must not
// be zero (RFC 4656 §4.1.2). Packets with an invalid estimate are still
// measured; their estimate is not used.
func (e ErrorEstimate) Valid() bool { return e.Multiplier() != 0 }

// Error is the estimated error of the timestamps.
func (e ErrorEstimate) Error() time.Duration {
	secs := float64(e.Multiplier()) * float64(uint64(1)<<e.Scale()) / (1 << 32)
	return time.Duration(secs * float64(time.Second))
}

func (e ErrorEstimate) String() string {
	return fmt.Sprintf("±%v (synced %t)", e.Error(), e.Synced())
}

// Test is a Session-Sender's test packet (RFC 8762 §4.2.1): sequence
// number, transmit timestamp (T1) and error estimate, then 30 octets that
// must be zero.
type Test struct {
	Seq       uint32
	Timestamp Timestamp
	Error     ErrorEstimate
}

// Append appends the packet's 44 octets to b.
func (p Test) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Timestamp))
	b = binary.BigEndian.AppendUint16(b, uint16(p.Error))
	return append(b, make([]byte, PacketSize-14)...)
}

// ParseTest reads a sender's test packet. A packet longer than 44 octets
// carries padding, which is ignored, as are the must-be-zero octets (RFC
// 8762 §4.2.1).
func ParseTest(b []byte) (Test, error) {
	if len(b) < PacketSize {
		return Test{}, fmt.Errorf("STAMP test packet of %d octets: at least %d needed", len(b), PacketSize)
	}
	return Test{Seq: binary.BigEndian.Uint32(b), Timestamp: Timestamp(binary.BigEndian.Uint64(b[4:])),
		Error: ErrorEstimate(binary.BigEndian.Uint16(b[12:]))}, nil
}

// Reflected is a Session-Reflector's test packet (RFC 8762 §4.3.1): its
// own sequence number, transmit timestamp (T3) and error estimate, the
// time it received the sender's packet (T2), and the sender's sequence
// number, timestamp (T1), error estimate and the TTL (hop limit) the
// sender's packet arrived with.
type Reflected struct {
	Seq         uint32
	Timestamp   Timestamp
	Error       ErrorEstimate
	Receive     Timestamp
	SenderSeq   uint32
	SenderTime  Timestamp
	SenderError ErrorEstimate
	SenderTTL   uint8
}

// Append appends the packet's 44 octets to b.
func (p Reflected) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Timestamp))
	b = binary.BigEndian.AppendUint16(b, uint16(p.Error))
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Receive))
	b = binary.BigEndian.AppendUint32(b, p.SenderSeq)
	b = binary.BigEndian.AppendUint64(b, uint64(p.SenderTime))
	b = binary.BigEndian.AppendUint16(b, uint16(p.SenderError))
	b = append(b, 0, 0, p.SenderTTL)
	return append(b, 0, 0, 0)
}

// ParseReflected reads a reflector's test packet; padding and the
// must-be-zero octets are ignored.
func ParseReflected(b []byte) (Reflected, error) {
	if len(b) < PacketSize {
		return Reflected{}, fmt.Errorf("STAMP reflected packet of %d octets: at least %d needed", len(b), PacketSize)
	}
	be := binary.BigEndian
	return Reflected{Seq: be.Uint32(b), Timestamp: Timestamp(be.Uint64(b[4:])), Error: ErrorEstimate(be.Uint16(b[12:])),
		Receive: Timestamp(be.Uint64(b[16:])), SenderSeq: be.Uint32(b[24:]), SenderTime: Timestamp(be.Uint64(b[28:])),
		SenderError: ErrorEstimate(be.Uint16(b[36:])), SenderTTL: b[40]}, nil
}
