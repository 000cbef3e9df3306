#!/usr/bin/env bash
# Hand-run smoke check: the Swift SMTP client (WharfMail) against Tests/e2e/smtp_sink.py (aiosmtpd).
#   bash Tests/e2e/smtp_smoke.sh        (from the repo root, after `swift build --build-tests`)
# Runs two rounds, plain SMTP + AUTH to loopback and STARTTLS (required) + AUTH with an `openssl req` certificate,
# each through the env-guarded SMTPSinkSmokeTests, and checks that each round left one .eml in the maildir.
# Needs python3 and openssl; installs aiosmtpd into a throwaway venv under $WORK (default: a new temp dir).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
WORK="${WORK:-$(mktemp -d)}"
VENV="$WORK/venv"
[ -x "$VENV/bin/python" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q aiosmtpd; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

SINK_PID=""
stop_sink() { if [ -n "$SINK_PID" ]; then kill "$SINK_PID" 2>/dev/null || true; wait "$SINK_PID" 2>/dev/null || true; SINK_PID=""; fi; }
trap stop_sink EXIT

round() {  # round NAME SECURITY HOST [sink args...]
    local name="$1" security="$2" host="$3"; shift 3
    local maildir="$WORK/mail-$name" log="$WORK/sink-$name.log"
    "$VENV/bin/python" Tests/e2e/smtp_sink.py --port 0 --maildir "$maildir" --user wharf --password 'smoke-pass' "$@" >"$log" 2>&1 &
    SINK_PID=$!
    for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
    local port; port="$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)"
    [ -n "$port" ] || { cat "$log"; echo "sink did not start" >&2; exit 1; }
    WHARF_TEST_SMTP_PORT="$port" WHARF_TEST_SMTP_SECURITY="$security" WHARF_TEST_SMTP_HOST="$host" \
        WHARF_TEST_SMTP_USER=wharf WHARF_TEST_SMTP_PASSWORD='smoke-pass' WHARF_TEST_SMTP_CA="$WORK/cert.pem" \
        swift test --skip-build --filter SMTPSinkSmokeTests
    stop_sink
    local count; count="$(find "$maildir" -name '*.eml' | wc -l)"
    [ "$count" -eq 1 ] || { cat "$log"; echo "round $name: expected 1 .eml, found $count" >&2; exit 1; }
    grep -q "tls=$([ "$security" = none ] && echo False || echo True) auth=True" "$log" \
        || { cat "$log"; echo "round $name: sink did not see the expected TLS/AUTH state" >&2; exit 1; }
    echo "round $name: OK ($(find "$maildir" -name '*.eml'))"
}

round plain none 127.0.0.1
round starttls starttls localhost --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
echo "smtp smoke: 2 passed, 0 failed"
