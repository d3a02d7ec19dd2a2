import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { RELAY_ERROR_CODES, RelayError, classifyNodeError, classifyRelayError } from "./errors";

const grpcError = (code: status, details: string) => Object.assign(new Error(details), { code, details });

describe("gRPC failures map to a closed set of codes; only transient ones are retried", () => {
  const cases: [string, status, string, string, boolean][] = [
    ["refused", status.UNAVAILABLE, "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:4245", "relay_unreachable", true],
    ["deadline", status.DEADLINE_EXCEEDED, "Deadline exceeded after 12.001s", "relay_timeout", true],
    ["load shedding", status.RESOURCE_EXHAUSTED, "Received message larger than max", "relay_overloaded", true],
    ["reset", status.INTERNAL, "Received RST_STREAM with code 2 triggered by internal client error: read ECONNRESET", "relay_connection_lost", true],
    ["server cancel", status.CANCELLED, "Call cancelled", "relay_connection_lost", true],
    ["aborted", status.ABORTED, "aborted", "relay_connection_lost", true],
    ["bad argument", status.INVALID_ARGUMENT, "first cannot be specified with follow", "invalid_request", false],
    ["filter build error", status.UNKNOWN, "invalid regex: missing closing )", "invalid_request", false],
    ["agent, not relay", status.UNIMPLEMENTED, "GetNodes not implemented", "not_supported", false],
    ["permission", status.PERMISSION_DENIED, "denied", "permission_denied", false],
    ["auth", status.UNAUTHENTICATED, "no credentials", "unauthenticated", false],
    ["other internal", status.INTERNAL, "Failed to parse server response", "relay_error", false],
    ["data loss", status.DATA_LOSS, "lost", "relay_error", false],
  ];
  for (const [name, code, details, want, retryable] of cases) {
    it(`${name}: ${status[code]} -> ${want}`, () => {
      const err = classifyRelayError(grpcError(code, details));
      assert.equal(err.code, want);
      assert.equal(err.retryable, retryable);
      assert.equal(err.grpcCode, code);
      assert.equal(err.detail, details);
    });
  }
});

describe("TLS failures hide in UNAVAILABLE and are not retried", () => {
  // Texts as grpc-js 1.14 on Node 20 reports them (probed against a real TLS server).
  const cases: [string, string, RegExp][] = [
    [
      "TLS to a plaintext port",
      "No connection established. Last error: Error: 80FC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:",
      /does not speak TLS/,
    ],
    ["unknown CA", "No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ", /HUBBLE_TLS_CA_CERT_FILES/],
    ["leaf not verifiable", "No connection established. Last error: Error: unable to verify the first certificate", /HUBBLE_TLS_CA_CERT_FILES/],
    [
      "name mismatch",
      "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: wrong.example.",
      /HUBBLE_TLS_SERVER_NAME/,
    ],
    [
      "client certificate required",
      "No connection established. Last error: 80FC:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116",
      /HUBBLE_TLS_CLIENT_CERT_FILE/,
    ],
    [
      "client certificate from another CA",
      "No connection established. Last error: 80FC:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca",
      /HUBBLE_TLS_CLIENT_CERT_FILE/,
    ],
    ["expired", "No connection established. Last error: Error: certificate has expired", /expired/],
  ];
  for (const [name, details, hint] of cases) {
    it(name, () => {
      const err = classifyRelayError(grpcError(status.UNAVAILABLE, details));
      assert.equal(err.code, "tls_failed");
      assert.equal(err.retryable, false);
      assert.match(err.message, hint);
      assert.doesNotMatch(err.message, /openssl|\.c:\d+|0A0/, "no OpenSSL internals in the user message");
    });
  }

  it("a bare 'Failed to connect' is retried, with the likely fix for how we connect", () => {
    const failed = grpcError(status.UNAVAILABLE, "No connection established. Last error: Failed to connect (2026-01-01T00:00:00Z).");
    const hints: [("plaintext" | "tls" | "mtls") | undefined, RegExp][] = [
      [undefined, /If the relay uses TLS, set HUBBLE_TLS=true/],
      ["plaintext", /If the relay uses TLS, set HUBBLE_TLS=true/],
      ["tls", /if it requires mutual TLS, set HUBBLE_TLS_CLIENT_CERT_FILE/],
      ["mtls", /may not accept our client certificate/],
    ];
    for (const [transport, hint] of hints) {
      const err = classifyRelayError(failed, { transport });
      assert.equal(err.code, "relay_unreachable");
      assert.equal(err.retryable, true);
      assert.match(err.message, hint, String(transport));
    }
  });
});

describe("user-facing messages never leak internals", () => {
  it("messages are the fixed text per code, except the relay's one-line reason for a bad request", () => {
    const secret = "at Object.<anonymous> (/srv/app/server/relay-client/secret.ts:12:3)";
    for (const code of [status.UNAVAILABLE, status.INTERNAL, status.DATA_LOSS, status.PERMISSION_DENIED]) {
      const err = classifyRelayError(grpcError(code, secret));
      assert.equal(err.message, RELAY_ERROR_CODES[err.code].message);
      assert.deepEqual(Object.keys(err.toJSON()).sort(), ["code", "message", "retryable"]);
    }
    const bad = classifyRelayError(grpcError(status.UNKNOWN, `invalid CIDR\n${"x".repeat(500)}`));
    assert.match(bad.message, /^Hubble Relay rejected the request\. invalid CIDR x+$/);
    assert.ok(bad.message.length < 260);
  });

  it("non-gRPC errors become relay_error with the cause kept in detail only", () => {
    const err = classifyRelayError(new TypeError("cannot read properties of undefined"));
    assert.equal(err.code, "relay_error");
    assert.equal(err.message, RELAY_ERROR_CODES.relay_error.message);
    assert.match(err.detail, /TypeError/);
  });

  it("our dial timeout becomes relay_unreachable naming the setting", () => {
    const err = classifyRelayError(grpcError(status.CANCELLED, "Cancelled on client"), { dialTimedOut: true, dialTimeoutMs: 5000 });
    assert.equal(err.code, "relay_unreachable");
    assert.match(err.message, /within 5s \(HUBBLE_DIAL_TIMEOUT\)/);
  });

  it("a RelayError passes through unchanged", () => {
    const original = new RelayError("tls_failed", "x");
    assert.equal(classifyRelayError(original), original);
  });

  it("every code has an HTTP status for route handlers", () => {
    for (const [code, info] of Object.entries(RELAY_ERROR_CODES)) {
      assert.ok(info.httpStatus >= 400 && info.httpStatus < 600, code);
    }
  });
});

describe("relay NODE_ERROR messages", () => {
  it("a bare message is how the relay forwards codes.Unknown (filter errors): not retryable", () => {
    const err = classifyNodeError("invalid regex in source_pod filter");
    assert.equal(err.code, "invalid_request");
    assert.equal(err.retryable, false);
  });

  it("'rpc error: code = X desc = Y' is classified by X", () => {
    assert.equal(classifyNodeError("rpc error: code = Unavailable desc = connection refused").code, "relay_unreachable");
    assert.equal(classifyNodeError("rpc error: code = InvalidArgument desc = first cannot be specified with follow").code, "invalid_request");
    assert.equal(classifyNodeError("rpc error: code = DeadlineExceeded desc = context deadline exceeded").retryable, true);
  });
});
