import "server-only";

// The demo relay's gRPC server: the gRPC protocol over node:http2, for unary and server-streaming
// methods (all the Observer API has).
//
// Why not @grpc/grpc-js's Server: it writes every response message as its own HTTP/2 write through
// two object-mode streams and its interceptor chain, about 13 µs of CPU per message here — at
// 50,000 flows/s (one message each, as the relay sends them) that alone is two thirds of a core.
// This server frames messages into shared chunks and writes a chunk at a time, so a stream's cost
// per message is a copy into the chunk. On the wire it is plain gRPC (HTTP/2, length-prefixed
// messages, status in trailers), and every client of the project still uses grpc-js.
//
// Protocol points kept: POST with content-type application/grpc* (else HTTP 415, as grpc-js
// answers), one request message for these method kinds, no compressed requests accepted (we
// advertise identity only), `grpc-timeout` deadlines, status and percent-encoded message in the
// trailers (trailers-only when nothing was sent), UNIMPLEMENTED for unknown methods, custom
// response metadata in the initial headers.

import * as http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { status as GrpcStatus } from "@grpc/grpc-js";

export { GrpcStatus };

/** The request side of one call. */
export interface GrpcCall {
  /** The request message's bytes. */
  readonly request: Uint8Array;
  readonly headers: http2.IncomingHttpHeaders;
  /** Aborted when the client cancels, the connection goes, or the deadline passes. */
  readonly signal: AbortSignal;
}

/** A failure a handler reports as a gRPC status. */
export class GrpcError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
  }
}

/** Writes a server stream's messages, framed and batched into chunks. */
export interface GrpcStreamWriter {
  /** Initial metadata; sent with the first message or the status, whichever comes first. */
  setHeaders(headers: Record<string, string>): void;
  /**
   * Queues one encoded message. Returns nothing while the transport takes more, or a promise that
   * resolves when it can (the client reads slowly) or the call ends.
   */
  write(message: Uint8Array): Promise<void> | void;
}

export type UnaryHandler = (call: GrpcCall) => Promise<Uint8Array> | Uint8Array;
export type ServerStreamHandler = (call: GrpcCall, writer: GrpcStreamWriter) => Promise<void>;

export interface GrpcMethods {
  /** By path, "/package.Service/Method". */
  readonly unary: ReadonlyMap<string, UnaryHandler>;
  readonly serverStreaming: ReadonlyMap<string, ServerStreamHandler>;
}

export interface GrpcServerTls {
  readonly certPem: string | Buffer;
  readonly keyPem: string | Buffer;
  readonly caPem?: string | Buffer;
  readonly requireClientCert?: boolean;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** Ends every call and connection at once (like grpc-js's forceShutdown). */
  close(): Promise<void>;
}

/** Largest request message accepted (gRPC's default receive limit). */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Messages are copied into chunks of this size, written when full or at the end of a turn. */
const CHUNK_BYTES = 64 * 1024;
/** Bytes queued on an HTTP/2 stream above which writers wait for 'drain'. */
const MAX_QUEUED_BYTES = 1024 * 1024;
const CONTENT_TYPE = "application/grpc+proto";
const FRAME_HEADER = 5;

export async function startGrpcServer(methods: GrpcMethods, opts: { host: string; port: number; tls?: GrpcServerTls }): Promise<RunningGrpcServer> {
  const settings: http2.ServerOptions = { maxSessionMemory: 1024 };
  const server = opts.tls
    ? http2.createSecureServer({
        ...settings,
        cert: opts.tls.certPem,
        key: opts.tls.keyPem,
        ca: opts.tls.caPem,
        requestCert: opts.tls.requireClientCert ?? false,
        rejectUnauthorized: opts.tls.requireClientCert ?? false,
        ALPNProtocols: ["h2"],
      })
    : http2.createServer(settings);
  server.setTimeout(0);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => session.destroy());
  });
  // A TLS client that fails the handshake (no client certificate, wrong CA) must not take us down.
  server.on("tlsClientError", (_err: Error, socket: TLSSocket) => socket.destroy());
  server.on("stream", (stream, headers) => handleStream(methods, stream, headers));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}

function handleStream(methods: GrpcMethods, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stream.on("error", () => {}); // a reset by the client ends the call through 'close'
  const contentType = headers["content-type"];
  if (headers[":method"] !== "POST" || typeof contentType !== "string" || !contentType.startsWith("application/grpc")) {
    stream.respond({ ":status": 415 }, { endStream: true });
    return;
  }
  const call = new ServerCall(stream);
  const path = String(headers[":path"] ?? "");
  const unary = methods.unary.get(path);
  const streaming = methods.serverStreaming.get(path);
  if (!unary && !streaming) {
    call.finish(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path}`);
    return;
  }
  const encoding = headers["grpc-encoding"];
  const deadlineMs = parseTimeout(headers["grpc-timeout"]);
  if (deadlineMs !== undefined) call.startDeadline(deadlineMs);

  readRequest(stream, encoding).then(
    async (request) => {
      if (call.signal.aborted) return;
      const grpcCall: GrpcCall = { request, headers, signal: call.signal };
      try {
        if (unary) {
          const response = await unary(grpcCall);
          call.writeMessage(response);
        } else {
          await streaming!(grpcCall, call);
        }
        call.finish(GrpcStatus.OK, "");
      } catch (err) {
        if (err instanceof GrpcError) call.finish(err.code, err.message);
        else call.finish(GrpcStatus.INTERNAL, err instanceof Error ? err.message : String(err));
      }
    },
    (err: GrpcError) => call.finish(err.code, err.message),
  );
}

/** One call's response side: headers once, framed messages in chunks, then the status. */
class ServerCall implements GrpcStreamWriter {
  private readonly controller = new AbortController();
  private extraHeaders: Record<string, string> = {};
  private headersSent = false;
  private finished = false;
  private chunk: Buffer | undefined;
  private chunkLen = 0;
  private flushScheduled = false;
  private deadline: NodeJS.Timeout | undefined;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly stream: http2.ServerHttp2Stream) {
    stream.on("close", () => this.abort());
    stream.on("drain", () => this.wakeWriters());
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  setHeaders(headers: Record<string, string>): void {
    this.extraHeaders = { ...this.extraHeaders, ...headers };
  }

  startDeadline(ms: number): void {
    this.deadline = setTimeout(() => this.finish(GrpcStatus.DEADLINE_EXCEEDED, "Deadline exceeded"), ms);
    this.deadline.unref?.();
  }

  write(message: Uint8Array): Promise<void> | void {
    if (this.finished) return;
    this.writeMessage(message);
    if (this.stream.writableLength < MAX_QUEUED_BYTES) return;
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  writeMessage(message: Uint8Array): void {
    if (this.finished) return;
    const need = FRAME_HEADER + message.length;
    if (this.chunk && this.chunkLen + need > this.chunk.length) this.flush();
    if (!this.chunk) this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
    const chunk = this.chunk;
    chunk[this.chunkLen] = 0; // not compressed
    chunk.writeUInt32BE(message.length, this.chunkLen + 1);
    chunk.set(message, this.chunkLen + FRAME_HEADER);
    this.chunkLen += need;
    if (!this.flushScheduled) {
      // Everything written in this turn of the event loop goes out together.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Sends the status (and what is still buffered); the call is over. */
  finish(code: GrpcStatus, message: string): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadline);
    if (this.stream.destroyed || this.stream.closed) {
      this.abort();
      return;
    }
    const trailers: http2.OutgoingHttpHeaders = { "grpc-status": String(code) };
    if (message !== "") trailers["grpc-message"] = encodeGrpcMessage(message);
    if (!this.headersSent && this.chunkLen === 0) {
      // Trailers-only response.
      this.headersSent = true;
      this.stream.respond({ ":status": 200, "content-type": CONTENT_TYPE, ...this.extraHeaders, ...trailers }, { endStream: true });
    } else {
      this.flush(true);
      this.stream.once("wantTrailers", () => {
        if (!this.stream.destroyed) this.stream.sendTrailers(trailers);
      });
      this.stream.end();
    }
    this.abort();
  }

  private flush(force = false): void {
    if (this.chunkLen === 0 || !this.chunk) return;
    if (this.finished && !force) return;
    if (this.stream.destroyed || this.stream.closed) return;
    this.sendHeaders();
    const out = this.chunkLen === this.chunk.length ? this.chunk : this.chunk.subarray(0, this.chunkLen);
    this.chunk = undefined;
    this.chunkLen = 0;
    this.stream.write(out);
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond({ ":status": 200, "content-type": CONTENT_TYPE, "grpc-accept-encoding": "identity", ...this.extraHeaders }, { waitForTrailers: true });
  }

  private abort(): void {
    clearTimeout(this.deadline);
    this.controller.abort();
    this.wakeWriters();
  }

  private wakeWriters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}

/** Reads the single request message; rejects with a GrpcError for what gRPC servers refuse. */
function readRequest(stream: http2.ServerHttp2Stream, encoding: string | string[] | undefined): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES + FRAME_HEADER) {
        stream.removeAllListeners("data");
        stream.resume();
        reject(new GrpcError(GrpcStatus.RESOURCE_EXHAUSTED, `request larger than ${MAX_REQUEST_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", () => {
      const body = Buffer.concat(chunks, size);
      if (body.length < FRAME_HEADER) {
        reject(new GrpcError(GrpcStatus.UNIMPLEMENTED, "no request message received"));
        return;
      }
      const length = body.readUInt32BE(1);
      if (body[0] !== 0) {
        reject(new GrpcError(GrpcStatus.UNIMPLEMENTED, `compressed requests are not supported (grpc-encoding ${String(encoding ?? "unset")}); send identity`));
        return;
      }
      if (body.length !== FRAME_HEADER + length) {
        reject(new GrpcError(GrpcStatus.UNIMPLEMENTED, "expected exactly one request message"));
        return;
      }
      resolve(body.subarray(FRAME_HEADER));
    });
  });
}

const TIMEOUT_UNITS_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The `grpc-timeout` header ("100m", "5S"...) in ms; undefined when absent or malformed. */
export function parseTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * TIMEOUT_UNITS_MS[m[2]];
}

/** Percent-encodes a status message as gRPC requires (printable ASCII except '%' stays). */
export function encodeGrpcMessage(message: string): string {
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
