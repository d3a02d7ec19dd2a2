import "server-only";
import { status as GrpcStatus } from "@grpc/grpc-js";

// Every way a call to Hubble Relay can fail, as a closed union. The follower retries the
// retryable ones with backoff; the rest are shown to the user, who has to change something
// (a certificate, a filter, the relay address). `message` is written for that user and never
// carries stack traces or our internals; `detail` is the raw gRPC text, for server logs only.

export type RelayErrorCode =
  /** UNAVAILABLE: refused, DNS failure, relay restarting, no connection within the dial timeout. */
  | "relay_unreachable"
  /** DEADLINE_EXCEEDED. */
  | "relay_timeout"
  /** RESOURCE_EXHAUSTED: the relay sheds load, or a message was above the size limit. */
  | "relay_overloaded"
  /** An established stream broke: reset connection, server-side cancel, ABORTED, unexpected end. */
  | "relay_connection_lost"
  /** Handshake or certificate problem; retrying will not help until the configuration changes. */
  | "tls_failed"
  /** INVALID_ARGUMENT, or UNKNOWN (how Hubble reports filter build errors: bad regex, bad CIDR...). */
  | "invalid_request"
  /** UNIMPLEMENTED: e.g. GetNodes against a Hubble agent instead of the relay. */
  | "not_supported"
  | "permission_denied"
  | "unauthenticated"
  /** Anything else the relay reports (INTERNAL, DATA_LOSS, ...). */
  | "relay_error";

interface CodeInfo {
  retryable: boolean;
  /** For route handlers: the upstream failed, so mostly 502/503/504. */
  httpStatus: number;
  message: string;
}

export const RELAY_ERROR_CODES: Readonly<Record<RelayErrorCode, CodeInfo>> = {
  relay_unreachable: {
    retryable: true,
    httpStatus: 503,
    message: "Hubble Relay is not reachable. Check that it is running and that HUBBLE_RELAY_ADDR points at it.",
  },
  relay_timeout: { retryable: true, httpStatus: 504, message: "Hubble Relay did not answer in time." },
  relay_overloaded: {
    retryable: true,
    httpStatus: 503,
    message: "Hubble Relay is overloaded or sent a response that is too large.",
  },
  relay_connection_lost: {
    retryable: true,
    httpStatus: 503,
    message: "The connection to Hubble Relay was interrupted.",
  },
  tls_failed: { retryable: false, httpStatus: 502, message: "The TLS connection to Hubble Relay failed." },
  invalid_request: { retryable: false, httpStatus: 400, message: "Hubble Relay rejected the request." },
  not_supported: {
    retryable: false,
    httpStatus: 501,
    message: "The server at HUBBLE_RELAY_ADDR does not support this request. It may be a Hubble agent rather than " + "Hubble Relay, or an older version.",
  },
  permission_denied: {
    retryable: false,
    httpStatus: 502,
    message: "Hubble Relay refused access (permission denied). Check the client certificate it expects.",
  },
  unauthenticated: {
    retryable: false,
    httpStatus: 502,
    message: "Hubble Relay requires authentication. Configure a client certificate (HUBBLE_TLS_CLIENT_CERT_FILE).",
  },
  relay_error: { retryable: false, httpStatus: 502, message: "Hubble Relay reported an internal error." },
};

export class RelayError extends Error {
  override name = "RelayError";
  readonly code: RelayErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number;
  /** The gRPC status code, when the failure came from gRPC. */
  readonly grpcCode: GrpcStatus | null;
  /** Raw text from gRPC or the relay. Log it; do not show it to users. */
  readonly detail: string;

  constructor(code: RelayErrorCode, message: string, opts: { grpcCode?: GrpcStatus | null; detail?: string } = {}) {
    super(message);
    const info = RELAY_ERROR_CODES[code];
    this.code = code;
    this.retryable = info.retryable;
    this.httpStatus = info.httpStatus;
    this.grpcCode = opts.grpcCode ?? null;
    this.detail = opts.detail ?? "";
  }

  /** What a route handler may send to the browser. */
  toJSON(): { code: RelayErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** The parts of a grpc-js ServiceError we look at. */
interface GrpcErrorLike {
  code: number;
  details?: string;
  message?: string;
}

function isGrpcError(err: unknown): err is GrpcErrorLike {
  return typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "number" && (err as { code: number }).code in GrpcStatus;
}

/** TLS failures hide inside UNAVAILABLE ("No connection established. Last error: ..."). */
const TLS_CAUSES: readonly { pattern: RegExp; hint: string }[] = [
  {
    pattern: /wrong version number|packet length too long|http request/i,
    hint: "The relay does not speak TLS on this port. Set HUBBLE_TLS=false and drop any tls:// prefix, or use the relay's TLS port.",
  },
  {
    pattern: /alert certificate required|alert bad certificate|alert unknown ca|alert certificate unknown|peer did not return a certificate/i,
    hint:
      "The relay did not accept our client certificate. It requires mutual TLS: set HUBBLE_TLS_CLIENT_CERT_FILE " +
      "and HUBBLE_TLS_CLIENT_KEY_FILE to a certificate signed by a CA the relay trusts.",
  },
  {
    pattern: /ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match|altnames/i,
    hint: "The relay's certificate does not match the host name. Set HUBBLE_TLS_SERVER_NAME to a name in the certificate " + "(e.g. *.hubble-relay.cilium.io).",
  },
  {
    pattern: /certificate has expired|CERT_HAS_EXPIRED|certificate is not yet valid|CERT_NOT_YET_VALID/i,
    hint: "The relay's certificate has expired or is not valid yet. Renew it, or check the clocks.",
  },
  {
    pattern:
      /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|certificate signature failure|certificate verify failed/i,
    hint:
      "The relay's certificate is not signed by a trusted CA. Set HUBBLE_TLS_CA_CERT_FILES to the CA that issued it " +
      "(with Cilium's generated certificates: ca.crt of the cilium-ca secret).",
  },
  {
    pattern: /ssl routines|tlsv1 alert|tlsv13 alert|handshake failure|ERR_SSL_|ERR_TLS_|secure TLS connection/i,
    hint: "Check HUBBLE_TLS and the HUBBLE_TLS_* settings against the relay's TLS configuration.",
  },
];

/** Connection-level resets that gRPC reports as INTERNAL. */
const RESET_PATTERN = /RST_STREAM|ECONNRESET|EPIPE|connection reset|stream closed|GOAWAY|Received RST|session destroyed|Connection dropped|protocol error/i;

export interface ClassifyContext {
  /** Our own dial timer cancelled the call: the relay never became reachable. */
  dialTimedOut?: boolean;
  dialTimeoutMs?: number;
  /** How the client connects, to explain a bare "Failed to connect". */
  transport?: "plaintext" | "tls" | "mtls";
}

/** Maps anything a relay call can throw to a RelayError. */
export function classifyRelayError(err: unknown, ctx: ClassifyContext = {}): RelayError {
  if (err instanceof RelayError) return err;
  if (ctx.dialTimedOut) {
    const seconds = ctx.dialTimeoutMs !== undefined ? ` within ${formatSeconds(ctx.dialTimeoutMs)}` : "";
    return new RelayError("relay_unreachable", `Could not connect to Hubble Relay${seconds} (HUBBLE_DIAL_TIMEOUT). ${RELAY_ERROR_CODES.relay_unreachable.message}`, {
      grpcCode: GrpcStatus.UNAVAILABLE,
      detail: describeRaw(err),
    });
  }
  if (!isGrpcError(err)) {
    return new RelayError("relay_error", RELAY_ERROR_CODES.relay_error.message, { detail: describeRaw(err) });
  }
  const detail = err.details ?? err.message ?? "";
  const make = (code: RelayErrorCode, message = RELAY_ERROR_CODES[code].message) => new RelayError(code, message, { grpcCode: err.code, detail });

  const tls = TLS_CAUSES.find((c) => c.pattern.test(detail));
  if (tls && (err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.INTERNAL || err.code === GrpcStatus.UNKNOWN)) {
    return make("tls_failed", `${RELAY_ERROR_CODES.tls_failed.message} ${tls.hint}`);
  }

  switch (err.code as GrpcStatus) {
    case GrpcStatus.UNAVAILABLE:
      // The connection closed before HTTP/2 started, and grpc-js kept no cause. It is what a
      // plaintext client sees at a TLS port, and often what a TLS 1.3 client sees when the relay
      // rejects its certificate after the handshake. It can also be a relay going down, so it
      // stays retryable, with the likely fix named.
      return /Failed to connect/i.test(detail)
        ? make("relay_unreachable", `${RELAY_ERROR_CODES.relay_unreachable.message} ${closedEarlyHint(ctx.transport)}`)
        : make("relay_unreachable");
    case GrpcStatus.DEADLINE_EXCEEDED:
      return make("relay_timeout");
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return make("relay_overloaded");
    case GrpcStatus.CANCELLED:
    case GrpcStatus.ABORTED:
      // We never classify our own cancellations; a cancel we did not ask for came from the
      // relay (or a proxy) going away.
      return make("relay_connection_lost");
    case GrpcStatus.INTERNAL:
      return RESET_PATTERN.test(detail) ? make("relay_connection_lost") : make("relay_error");
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.UNKNOWN:
    case GrpcStatus.OUT_OF_RANGE:
    case GrpcStatus.FAILED_PRECONDITION:
      return make("invalid_request", invalidRequestMessage(detail));
    case GrpcStatus.UNIMPLEMENTED:
      return make("not_supported");
    case GrpcStatus.PERMISSION_DENIED:
      return make("permission_denied");
    case GrpcStatus.UNAUTHENTICATED:
      return make("unauthenticated");
    default:
      return make("relay_error");
  }
}

function closedEarlyHint(transport: ClassifyContext["transport"]): string {
  switch (transport) {
    case "mtls":
      return "It closed the connection right after the TLS handshake: it may not accept our client certificate (HUBBLE_TLS_CLIENT_CERT_FILE).";
    case "tls":
      return "It closed the connection right after the TLS handshake: if it requires mutual TLS, set HUBBLE_TLS_CLIENT_CERT_FILE and HUBBLE_TLS_CLIENT_KEY_FILE.";
    default:
      return "If the relay uses TLS, set HUBBLE_TLS=true.";
  }
}

/**
 * Hubble's reason for refusing a request is about the user's filter ("invalid regex", "invalid
 * CIDR"), so it is shown, but as one bounded line of text.
 */
function invalidRequestMessage(detail: string): string {
  const reason = detail.replace(/\s+/g, " ").trim().slice(0, 200);
  return reason ? `${RELAY_ERROR_CODES.invalid_request.message} ${reason}` : RELAY_ERROR_CODES.invalid_request.message;
}

// Go gRPC code names as they appear in relay NODE_ERROR messages ("rpc error: code = X desc = Y").
const GO_CODE_NAMES: Record<string, GrpcStatus> = {
  Canceled: GrpcStatus.CANCELLED,
  Unknown: GrpcStatus.UNKNOWN,
  InvalidArgument: GrpcStatus.INVALID_ARGUMENT,
  DeadlineExceeded: GrpcStatus.DEADLINE_EXCEEDED,
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  PermissionDenied: GrpcStatus.PERMISSION_DENIED,
  ResourceExhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  FailedPrecondition: GrpcStatus.FAILED_PRECONDITION,
  Aborted: GrpcStatus.ABORTED,
  OutOfRange: GrpcStatus.OUT_OF_RANGE,
  Unimplemented: GrpcStatus.UNIMPLEMENTED,
  Internal: GrpcStatus.INTERNAL,
  Unavailable: GrpcStatus.UNAVAILABLE,
  DataLoss: GrpcStatus.DATA_LOSS,
  Unauthenticated: GrpcStatus.UNAUTHENTICATED,
};

/**
 * Classifies the message of a relay NODE_ERROR event. The relay sends the bare status message
 * for codes.Unknown (how filter build errors arrive) and "rpc error: code = X desc = Y" otherwise.
 */
export function classifyNodeError(message: string): RelayError {
  const match = /rpc error: code = (\w+) desc = ([\s\S]*)$/.exec(message);
  if (!match) return classifyRelayError({ code: GrpcStatus.UNKNOWN, details: message });
  return classifyRelayError({ code: GO_CODE_NAMES[match[1]] ?? GrpcStatus.UNKNOWN, details: match[2] });
}

function describeRaw(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
