#!/usr/bin/env bash
# demo.sh: the quince demo. It builds examples/server and examples/client,
# starts the server on a free loopback port with its built-in files, fetches
# three of them at once with the client, shows what arrived, and stops the
# server. Run it from anywhere: bash examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

dir=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

echo "== building examples/server and examples/client"
go build -o "$dir/" ./examples/server ./examples/client

echo "== starting the server"
"$dir/server" -listen 127.0.0.1:0 2>"$dir/server.log" &
server_pid=$!
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/.*msg=listening addr=\([^ ]*\).*/\1/p' "$dir/server.log")
	[ -n "$addr" ] && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$addr" ]; then
	echo "the server did not start:" >&2
	cat "$dir/server.log" >&2
	exit 1
fi
echo "listening on $addr"

echo "== fetching /, /1MB and /100MB"
"$dir/client" -insecure -out "$dir/downloads" \
	"https://$addr/" "https://$addr/1MB" "https://$addr/100MB"
ls -l "$dir/downloads"

echo "== stopping the server; its log:"
kill "$server_pid"
wait "$server_pid" || true
server_pid=
cat "$dir/server.log"
echo "== demo done"
