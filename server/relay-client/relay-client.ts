import "server-only";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  type GetFlowsRequest,
  type GetNamespacesResponse,
  type GetNodesResponse,
  type ServerStatusResponse,
  GetNamespacesRequestSchema,
  GetNodesRequestSchema,
  ServerStatusRequestSchema,
} from "@/proto/gen/observer/observer_pb";
import type { RelayTlsSettings, ServerConfig } from "@/server/config/env";
import { type RelayResponse, flowsObserverClientConstructor } from "@/server/grpc/raw-flows";
import { type ObserverClient, observerServiceDefinition } from "@/server/grpc/service-definition";
import { classifyRelayError } from "./errors";

// The one gRPC client in front of Hubble Relay (observer.Observer). Every failure leaves here as
// a classified RelayError (see errors.ts). Resilience (reconnect, resume, de-duplication) is the
// FlowFollower's job, not this class's.

export interface RelayConnection {
  /** host:port */
  address: string;
  tls: RelayTlsSettings | null;
  /** A stream that has not connected by then fails with relay_unreachable. */
  dialTimeoutMs: number;
  /** Deadline of the unary calls, as the hubble CLI's --request-timeout. */
  requestTimeoutMs: number;
}

/** The connection settings for the configured relay, or for the embedded demo relay's address. */
export function relayConnectionFromConfig(config: ServerConfig, demoRelayAddress?: string): RelayConnection {
  const timeouts = { dialTimeoutMs: config.dialTimeoutMs, requestTimeoutMs: config.requestTimeoutMs };
  if (config.relay.kind === "external") return { address: config.relay.address, tls: config.relay.tls, ...timeouts };
  if (!demoRelayAddress) throw new Error("relayConnectionFromConfig: the demo relay's address is required");
  return { address: demoRelayAddress, tls: null, ...timeouts };
}

export interface GetFlowsOptions {
  signal?: AbortSignal;
  /** Called once the relay has answered (response headers or a first message). */
  onConnected?: () => void;
}

export type { RelayResponse, WireFlow } from "@/server/grpc/raw-flows";

/**
 * The part of RelayClient the FlowFollower needs; tests can hand in a fake. A flow response read
 * from the wire carries its Flow's bytes and bounded jsonpb in `wire` (plain messages need not).
 */
export interface FlowSource {
  getFlows(req: GetFlowsRequest, opts?: GetFlowsOptions): AsyncIterable<RelayResponse>;
  /** The same responses in the batches they arrived in (the relay client's): one turn per batch, not per response. */
  getFlowBatches?(req: GetFlowsRequest, opts?: GetFlowsOptions): AsyncIterable<readonly RelayResponse[]>;
}

/** A source's responses in batches: its own, or one response at a time. */
export function flowBatches(source: FlowSource, req: GetFlowsRequest, opts: GetFlowsOptions): AsyncIterable<readonly RelayResponse[]> {
  if (source.getFlowBatches) return source.getFlowBatches(req, opts);
  return (async function* () {
    for await (const response of source.getFlows(req, opts)) yield [response];
  })();
}

/** Batches as one response at a time. */
export function unbatched(batches: AsyncIterable<readonly RelayResponse[]>): AsyncIterable<RelayResponse> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches) yield* batch;
    },
  };
}

/** Responses a stream buffers before it pauses the call (grpc-js then stops reading the HTTP/2 stream). */
const MAX_BUFFERED_RESPONSES = 1024;

// Go gRPC servers (the relay) by default answer client pings more often than every 5 minutes
// with GOAWAY "too_many_pings", so keepalive stays just above that.
const KEEPALIVE_TIME_MS = 5 * 60_000 + 30_000;
const KEEPALIVE_TIMEOUT_MS = 20_000;
const MAX_RECEIVE_MESSAGE_BYTES = 16 * 1024 * 1024;
const FLOW_CONTROL_WINDOW_BYTES = 8 * 1024 * 1024;

export class RelayClient implements FlowSource {
  readonly address: string;
  private readonly client: ObserverClient;
  private readonly conn: RelayConnection;
  private readonly calls = new Set<grpc.Call>();
  private readonly transport: "plaintext" | "tls" | "mtls";
  private closed = false;

  /** `flowJson: false`: flows arrive without their JSON (the flow history's recorder keeps bytes only). */
  constructor(conn: RelayConnection, opts: { flowJson?: boolean } = {}) {
    this.conn = conn;
    this.transport = !conn.tls ? "plaintext" : conn.tls.clientCert ? "mtls" : "tls";
    this.address = conn.address;
    // Flows arrive with their bounded jsonpb transcoded from the wire (see server/grpc/raw-flows.ts),
    // by this client's own decoder.
    const Client = flowsObserverClientConstructor({ json: opts.flowJson !== false });
    this.client = new Client(conn.address, channelCredentials(conn.tls), channelOptions(conn.tls));
  }

  /**
   * GetFlows as an async iterable. The call is cancelled when `signal` aborts (the iteration then
   * throws the signal's reason) or when the consumer stops iterating. A normal end of stream
   * (non-follow requests, or a relay ending a follow stream) ends the iteration.
   */
  getFlows(req: GetFlowsRequest, opts: GetFlowsOptions = {}): AsyncIterable<RelayResponse> {
    return unbatched(this.getFlowBatches(req, opts));
  }

  /**
   * GetFlows as batches: every response that arrived since the consumer last asked, in order
   * (`getFlows` one by one). The follow stream's hot path: an async iteration step per response
   * costs promises, and with AsyncLocalStorage's promise hooks (Next.js) an allocation for each.
   * A waiting consumer is woken once a turn of the event loop, so it takes what one read of the
   * socket brought as one batch (at 20,000 flows/s of `large`, ~460 responses; the client's CPU a
   * response 15-16.5 -> 10.8 µs, bench/follow-batches.ts).
   */
  getFlowBatches(req: GetFlowsRequest, opts: GetFlowsOptions = {}): AsyncIterable<readonly RelayResponse[]> {
    return { [Symbol.asyncIterator]: () => this.streamBatches(() => this.client.getFlows(req, new grpc.Metadata(), {}), opts)[Symbol.asyncIterator]() };
  }

  /**
   * GetFlows as batches of the responses' undecoded bytes, for a reader on another thread
   * (follow-thread.ts): the same call, batching, backpressure and classified errors as
   * getFlowBatches.
   */
  getFlowFrames(req: GetFlowsRequest, opts: GetFlowsOptions = {}): AsyncIterable<readonly Uint8Array[]> {
    const { path, requestSerialize } = observerServiceDefinition.getFlows;
    const start = () => this.client.makeServerStreamRequest(path, requestSerialize, (bytes: Buffer): Uint8Array => bytes, req, new grpc.Metadata(), {});
    return { [Symbol.asyncIterator]: () => this.streamBatches(start, opts)[Symbol.asyncIterator]() };
  }

  private async *streamBatches<T>(start: () => grpc.ClientReadableStream<T>, opts: GetFlowsOptions): AsyncGenerator<readonly T[]> {
    const { signal } = opts;
    signal?.throwIfAborted();
    this.assertOpen();
    const call = start();
    this.calls.add(call);

    let connected = false;
    let dialTimedOut = false;
    const markConnected = () => {
      if (connected) return;
      connected = true;
      opts.onConnected?.();
    };
    call.once("metadata", markConnected);
    // grpc-js queues a call while the channel is connecting; an address that swallows packets
    // would keep it waiting. The dial timeout bounds that wait, like the hubble CLI's --timeout.
    const channel = this.client.getChannel();
    const dialTimer = setTimeout(() => {
      if (!connected && channel.getConnectivityState(false) !== grpc.connectivityState.READY) {
        dialTimedOut = true;
        call.cancel();
      }
    }, this.conn.dialTimeoutMs);
    const onAbort = () => {
      clearTimeout(dialTimer);
      call.cancel();
    };
    signal?.addEventListener("abort", onAbort, { once: true });

    // Responses arrive as events and wait in `buffered` until the consumer asks; past
    // MAX_BUFFERED_RESPONSES the call pauses, so a slow consumer slows the stream (backpressure).
    let buffered: T[] = [];
    let ended = false;
    let failure: { err: unknown } | undefined;
    let wake: (() => void) | undefined;
    let wakeQueued = false;
    const wakeAfterTurn = () => {
      wakeQueued = false;
      wake?.();
    };
    const onData = (response: T) => {
      buffered.push(response);
      if (buffered.length >= MAX_BUFFERED_RESPONSES) call.pause();
      // The messages of one read from the socket arrive one by one within a turn of the event
      // loop: a consumer woken once, after the turn, takes them as one batch, not one each.
      if (wake && !wakeQueued) {
        wakeQueued = true;
        setImmediate(wakeAfterTurn);
      }
    };
    const onEnd = () => {
      ended = true;
      wake?.();
    };
    const onError = (err: unknown) => {
      failure ??= { err };
      wake?.();
    };
    call.on("data", onData);
    call.on("end", onEnd);
    call.on("error", onError);

    try {
      for (;;) {
        if (buffered.length > 0) {
          const batch = buffered;
          buffered = [];
          markConnected();
          if (call.isPaused()) call.resume();
          yield batch;
          continue;
        }
        if (failure) throw failure.err;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } catch (err) {
      signal?.throwIfAborted();
      if (this.closed) throw closedError();
      throw classifyRelayError(err, { dialTimedOut, dialTimeoutMs: this.conn.dialTimeoutMs, transport: this.transport });
    } finally {
      clearTimeout(dialTimer);
      signal?.removeEventListener("abort", onAbort);
      call.off("data", onData);
      call.off("end", onEnd);
      // A cancelled call still reports its status as an error: keep a listener so it is not unhandled.
      call.cancel(); // no-op when the call already ended
      this.calls.delete(call);
    }
  }

  serverStatus(opts: { signal?: AbortSignal } = {}): Promise<ServerStatusResponse> {
    return this.unary((md, co, cb) => this.client.serverStatus(create(ServerStatusRequestSchema), md, co, cb), opts);
  }

  getNodes(opts: { signal?: AbortSignal } = {}): Promise<GetNodesResponse> {
    return this.unary((md, co, cb) => this.client.getNodes(create(GetNodesRequestSchema), md, co, cb), opts);
  }

  getNamespaces(opts: { signal?: AbortSignal } = {}): Promise<GetNamespacesResponse> {
    return this.unary((md, co, cb) => this.client.getNamespaces(create(GetNamespacesRequestSchema), md, co, cb), opts);
  }

  /** Cancels calls in flight and closes the channel. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const call of this.calls) call.cancel();
    this.calls.clear();
    this.client.close();
  }

  private unary<T>(
    start: (md: grpc.Metadata, options: Partial<grpc.CallOptions>, cb: grpc.requestCallback<T>) => grpc.ClientUnaryCall,
    { signal }: { signal?: AbortSignal },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (this.closed) return reject(closedError());
      const onAbort = () => call.cancel();
      const call = start(new grpc.Metadata(), { deadline: Date.now() + this.conn.requestTimeoutMs }, (err, value) => {
        signal?.removeEventListener("abort", onAbort);
        this.calls.delete(call);
        if (signal?.aborted) reject(signal.reason);
        else if (err) reject(classifyRelayError(err, { transport: this.transport }));
        else resolve(value as T);
      });
      this.calls.add(call);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }
}

function closedError(): Error {
  return new Error("RelayClient is closed");
}

function channelCredentials(tls: RelayTlsSettings | null): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  // HUBBLE_TLS_ALLOW_INSECURE: skip the chain and the host name check, like Go's InsecureSkipVerify.
  const verify: grpc.VerifyOptions = tls.allowInsecure ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {};
  return grpc.credentials.createSsl(tls.caCertPem, tls.clientCert?.keyPem ?? null, tls.clientCert?.certPem ?? null, verify);
}

function channelOptions(tls: RelayTlsSettings | null): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    "grpc.keepalive_time_ms": KEEPALIVE_TIME_MS,
    "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
    "grpc.keepalive_permit_without_calls": 0,
    "grpc.max_receive_message_length": MAX_RECEIVE_MESSAGE_BYTES,
    // HTTP/2 flow-control window. grpc-js's default is 64 KiB, about 50 flows: a follow stream
    // then waits a round trip to the relay every 50 flows, which caps it near 20,000 flows/s on a
    // busy machine whatever either side can do (grpc-go, as in the hubble CLI, grows its window
    // from the measured bandwidth instead). A slow reader still holds at most this much per stream.
    "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW_BYTES,
    // Reconnect quickly after a relay restart; the FlowFollower adds its own jittered backoff.
    "grpc.initial_reconnect_backoff_ms": 250,
    "grpc.max_reconnect_backoff_ms": 5_000,
    "grpc.primary_user_agent": "hubble-lens",
  };
  if (tls?.serverName) {
    // Verify the certificate against this name and send it as SNI and :authority.
    options["grpc.ssl_target_name_override"] = tls.serverName;
    options["grpc.default_authority"] = tls.serverName;
  }
  return options;
}
