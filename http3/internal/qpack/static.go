package qpack

// staticTable is the QPACK static table, RFC 9204, Appendix A.
var staticTable = [...]HeaderField{
	{Name: ":authority", Value: ""},                                                                   // 0
	{Name: ":path", Value: "/"},                                                                       // 1
	{Name: "age", Value: "0"},                                                                         // 2
	{Name: "content-disposition", Value: ""},                                                          // 3
	{Name: "content-length", Value: "0"},                                                              // 4
	{Name: "cookie", Value: ""},                                                                       // 5
	{Name: "date", Value: ""},                                                                         // 6
	{Name: "etag", Value: ""},                                                                         // 7
	{Name: "if-modified-since", Value: ""},                                                            // 8
	{Name: "if-none-match", Value: ""},                                                                // 9
	{Name: "last-modified", Value: ""},                                                                // 10
	{Name: "link", Value: ""},                                                                         // 11
	{Name: "location", Value: ""},                                                                     // 12
	{Name: "referer", Value: ""},                                                                      // 13
	{Name: "set-cookie", Value: ""},                                                                   // 14
	{Name: ":method", Value: "CONNECT"},                                                               // 15
	{Name: ":method", Value: "DELETE"},                                                                // 16
	{Name: ":method", Value: "GET"},                                                                   // 17
	{Name: ":method", Value: "HEAD"},                                                                  // 18
	{Name: ":method", Value: "OPTIONS"},                                                               // 19
	{Name: ":method", Value: "POST"},                                                                  // 20
	{Name: ":method", Value: "PUT"},                                                                   // 21
	{Name: ":scheme", Value: "http"},                                                                  // 22
	{Name: ":scheme", Value: "https"},                                                                 // 23
	{Name: ":status", Value: "103"},                                                                   // 24
	{Name: ":status", Value: "200"},                                                                   // 25
	{Name: ":status", Value: "304"},                                                                   // 26
	{Name: ":status", Value: "404"},                                                                   // 27
	{Name: ":status", Value: "503"},                                                                   // 28
	{Name: "accept", Value: "*/*"},                                                                    // 29
	{Name: "accept", Value: "application/dns-message"},                                                // 30
	{Name: "accept-encoding", Value: "gzip, deflate, br"},                                             // 31
	{Name: "accept-ranges", Value: "bytes"},                                                           // 32
	{Name: "access-control-allow-headers", Value: "cache-control"},                                    // 33
	{Name: "access-control-allow-headers", Value: "content-type"},                                     // 34
	{Name: "access-control-allow-origin", Value: "*"},                                                 // 35
	{Name: "cache-control", Value: "max-age=0"},                                                       // 36
	{Name: "cache-control", Value: "max-age=2592000"},                                                 // 37
	{Name: "cache-control", Value: "max-age=604800"},                                                  // 38
	{Name: "cache-control", Value: "no-cache"},                                                        // 39
	{Name: "cache-control", Value: "no-store"},                                                        // 40
	{Name: "cache-control", Value: "public, max-age=31536000"},                                        // 41
	{Name: "content-encoding", Value: "br"},                                                           // 42
	{Name: "content-encoding", Value: "gzip"},                                                         // 43
	{Name: "content-type", Value: "application/dns-message"},                                          // 44
	{Name: "content-type", Value: "application/javascript"},                                           // 45
	{Name: "content-type", Value: "application/json"},                                                 // 46
	{Name: "content-type", Value: "application/x-www-form-urlencoded"},                                // 47
	{Name: "content-type", Value: "image/gif"},                                                        // 48
	{Name: "content-type", Value: "image/jpeg"},                                                       // 49
	{Name: "content-type", Value: "image/png"},                                                        // 50
	{Name: "content-type", Value: "text/css"},                                                         // 51
	{Name: "content-type", Value: "text/html; charset=utf-8"},                                         // 52
	{Name: "content-type", Value: "text/plain"},                                                       // 53
	{Name: "content-type", Value: "text/plain;charset=utf-8"},                                         // 54
	{Name: "range", Value: "bytes=0-"},                                                                // 55
	{Name: "strict-transport-security", Value: "max-age=31536000"},                                    // 56
	{Name: "strict-transport-security", Value: "max-age=31536000; includesubdomains"},                 // 57
	{Name: "strict-transport-security", Value: "max-age=31536000; includesubdomains; preload"},        // 58
	{Name: "vary", Value: "accept-encoding"},                                                          // 59
	{Name: "vary", Value: "origin"},                                                                   // 60
	{Name: "x-content-type-options", Value: "nosniff"},                                                // 61
	{Name: "x-xss-protection", Value: "1; mode=block"},                                                // 62
	{Name: ":status", Value: "100"},                                                                   // 63
	{Name: ":status", Value: "204"},                                                                   // 64
	{Name: ":status", Value: "206"},                                                                   // 65
	{Name: ":status", Value: "302"},                                                                   // 66
	{Name: ":status", Value: "400"},                                                                   // 67
	{Name: ":status", Value: "403"},                                                                   // 68
	{Name: ":status", Value: "421"},                                                                   // 69
	{Name: ":status", Value: "425"},                                                                   // 70
	{Name: ":status", Value: "500"},                                                                   // 71
	{Name: "accept-language", Value: ""},                                                              // 72
	{Name: "access-control-allow-credentials", Value: "FALSE"},                                        // 73
	{Name: "access-control-allow-credentials", Value: "TRUE"},                                         // 74
	{Name: "access-control-allow-headers", Value: "*"},                                                // 75
	{Name: "access-control-allow-methods", Value: "get"},                                              // 76
	{Name: "access-control-allow-methods", Value: "get, post, options"},                               // 77
	{Name: "access-control-allow-methods", Value: "options"},                                          // 78
	{Name: "access-control-expose-headers", Value: "content-length"},                                  // 79
	{Name: "access-control-request-headers", Value: "content-type"},                                   // 80
	{Name: "access-control-request-method", Value: "get"},                                             // 81
	{Name: "access-control-request-method", Value: "post"},                                            // 82
	{Name: "alt-svc", Value: "clear"},                                                                 // 83
	{Name: "authorization", Value: ""},                                                                // 84
	{Name: "content-security-policy", Value: "script-src 'none'; object-src 'none'; base-uri 'none'"}, // 85
	{Name: "early-data", Value: "1"},                                                                  // 86
	{Name: "expect-ct", Value: ""},                                                                    // 87
	{Name: "forwarded", Value: ""},                                                                    // 88
	{Name: "if-range", Value: ""},                                                                     // 89
	{Name: "origin", Value: ""},                                                                       // 90
	{Name: "purpose", Value: "prefetch"},                                                              // 91
	{Name: "server", Value: ""},                                                                       // 92
	{Name: "timing-allow-origin", Value: "*"},                                                         // 93
	{Name: "upgrade-insecure-requests", Value: "1"},                                                   // 94
	{Name: "user-agent", Value: ""},                                                                   // 95
	{Name: "x-forwarded-for", Value: ""},                                                              // 96
	{Name: "x-frame-options", Value: "deny"},                                                          // 97
	{Name: "x-frame-options", Value: "sameorigin"},                                                    // 98
}

// staticIndex maps a name and value to the lowest static index with both;
// staticNameIndex maps a name to the lowest static index with that name.
var (
	staticIndex     = make(map[HeaderField]uint64, len(staticTable))
	staticNameIndex = make(map[string]uint64, len(staticTable))
)

func init() {
	for i := len(staticTable) - 1; i >= 0; i-- {
		f := staticTable[i]
		staticIndex[f] = uint64(i)
		staticNameIndex[f.Name] = uint64(i)
	}
}
