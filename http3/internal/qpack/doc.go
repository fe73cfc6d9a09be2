// Package qpack implements QPACK, the field compression format of HTTP/3
// (RFC 9204), with the static table, Huffman-coded string literals and the
// dynamic table on both the encoding and the decoding side.
//
// One connection uses one Encoder (for the field sections it sends, writing
// its instructions on the encoder stream) and one Decoder (for the field
// sections it receives, writing acknowledgments on the decoder stream).
// Neither does I/O: callers feed bytes received on the peer's encoder and
// decoder streams to HandleEncoderStream and HandleDecoderStream, and write
// what EncoderStream and DecoderStream return on their own unidirectional
// streams. Neither type is safe for concurrent use.
//
// Files:
//   - errors.go: Error, the QPACK error codes, ErrBlocked.
//   - int.go, string.go, huffman.go: prefixed integers and string literals
//     (RFC 7541, Sections 5.1, 5.2 and Appendix B).
//   - static.go: the static table (RFC 9204, Appendix A).
//   - table.go: the dynamic table shared by both sides (RFC 9204, Section 3.2).
//   - encoder.go, decoder.go: the two endpoints' state machines.
//
// All input from the network is validated: malformed input yields an *Error
// carrying the HTTP/3 error code the connection must be closed with, and the
// memory held is bounded by the table capacity, the field section size limit
// and the number of blocked streams.
package qpack
