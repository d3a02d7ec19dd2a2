import "server-only";

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Health, HealthCheckRequestSchema, HealthCheckResponse_ServingStatus as ServingStatus, HealthCheckResponseSchema } from "@/proto/gen/grpc/health/v1/health_pb";
import type { DemoCluster } from "./cluster";
import { type GrpcCall, GrpcError, type GrpcMethods, GrpcStatus, type GrpcStreamWriter } from "./grpc-server";

// grpc.health.v1 as Hubble Relay serves it (cilium pkg/hubble/relay/server/health.go): two
// services are known, "" (the whole server) and "hubble.server.Observer" (the name `hubble status`
// asks about, v1.ObserverServiceName); both are SERVING while the relay reaches at least one
// node and NOT_SERVING otherwise, re-checked every 5 s. Anything else is unknown: Check answers
// NOT_FOUND "unknown service" and Watch sends SERVICE_UNKNOWN, as grpc-go's health server does.

/** The health service name the hubble CLI checks (cilium `v1.ObserverServiceName`). */
export const OBSERVER_HEALTH_SERVICE = "hubble.server.Observer";
/** Relay's `defaults.HealthCheckInterval`. */
export const HEALTH_CHECK_INTERVAL_MS = 5000;

const KNOWN_SERVICES = new Set(["", OBSERVER_HEALTH_SERVICE]);
const path = (name: string) => `/${Health.typeName}/${name}`;

export interface HealthServiceOptions {
  readonly cluster: DemoCluster;
  /** How often Watch re-evaluates the status; Relay's 5 s by default (tests shorten it). */
  readonly checkIntervalMs?: number;
}

/** The grpc.health.v1.Health methods of the demo relay. */
export function healthMethods(opts: HealthServiceOptions): GrpcMethods {
  const interval = opts.checkIntervalMs ?? HEALTH_CHECK_INTERVAL_MS;
  // Relay is healthy when it has nodes to ask; the demo relay's nodes are always reachable, so
  // that means "has nodes" (a replay has none until its first flow is read).
  const statusOf = (service: string): ServingStatus => {
    if (!KNOWN_SERVICES.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    return opts.cluster.nodes.length > 0 ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  const encode = (status: ServingStatus) => toBinary(HealthCheckResponseSchema, create(HealthCheckResponseSchema, { status }));

  const check = (call: GrpcCall) => {
    const { service } = decode(call.request);
    const status = statusOf(service);
    if (status === ServingStatus.SERVICE_UNKNOWN) throw new GrpcError(GrpcStatus.NOT_FOUND, "unknown service");
    return encode(status);
  };

  // Sends the current status at once, then each change, until the client cancels.
  const watch = async (call: GrpcCall, writer: GrpcStreamWriter) => {
    const { service } = decode(call.request);
    let last = statusOf(service);
    await writer.write(encode(last));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = statusOf(service);
        if (now === last) return;
        last = now;
        void writer.write(encode(now));
      }, interval);
      timer.unref?.();
      call.signal.addEventListener("abort", () => {
        clearInterval(timer);
        resolve();
      });
    });
  };

  return {
    unary: new Map([[path("Check"), check]]),
    serverStreaming: new Map([[path("Watch"), watch]]),
  };
}

function decode(bytes: Uint8Array) {
  try {
    return fromBinary(HealthCheckRequestSchema, bytes);
  } catch (err) {
    throw new GrpcError(GrpcStatus.INTERNAL, `Error deserializing request: ${err instanceof Error ? err.message : String(err)}`);
  }
}
