import "server-only";

import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  type GetFlowsRequest,
  type GetFlowsResponse,
  GetNamespacesResponseSchema,
  GetNodesResponseSchema,
  NamespaceSchema,
  NodeSchema,
  ServerStatusResponseSchema,
  TLSSchema,
} from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import type { EpochNs } from "@/lib/timestamp";
import type { DemoCluster } from "./cluster";
import { type ResponseSink, serveGetFlows } from "./flow-stream";

export const DEMO_RELAY_VERSION = "1.19.1+hubble-lens-demo";
const MAX_UNAVAILABLE_LISTED = 10;

export interface ObserverServiceOptions {
  readonly cluster: DemoCluster;
  readonly relayNodeName: string;
  readonly now: () => EpochNs;
  readonly startedAtNs: EpochNs;
}

/** The observer.Observer implementation of the demo relay, over one simulated cluster. */
export function observerServiceImplementation(opts: ObserverServiceOptions): grpc.UntypedServiceImplementation {
  const { cluster, now } = opts;
  const versionMetadata = () => {
    const md = new grpc.Metadata();
    md.set("hubble-relay-version", DEMO_RELAY_VERSION);
    return md;
  };

  return {
    GetFlows(call: grpc.ServerWritableStream<GetFlowsRequest, GetFlowsResponse | Uint8Array>) {
      call.sendMetadata(versionMetadata());
      const sink = writableSink(call);
      serveGetFlows(cluster, opts.relayNodeName, call.request, sink, now)
        .then(() => {
          if (!sink.signal.aborted) call.end();
        })
        .catch((err: unknown) => {
          if (sink.signal.aborted) return;
          // grpc-js sends a status only for an emitted 'error'; destroy() would leave the client hanging.
          call.emit(
            "error",
            Object.assign(new Error(err instanceof Error ? err.message : String(err)), {
              code: grpc.status.INTERNAL,
            }),
          );
        });
    },

    ServerStatus(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const nowNs = now();
      let numFlows = 0n;
      let maxFlows = 0n;
      let seenFlows = 0n;
      let uptimeNs = 0n;
      for (const node of cluster.nodes) {
        numFlows += BigInt(node.ring.size);
        maxFlows += BigInt(node.ring.capacity);
        seenFlows += BigInt(node.seenFlows);
        const up = nowNs - node.startedAtNs;
        if (up > uptimeNs) uptimeNs = up;
      }
      const unavailable: string[] = [];
      callback(
        null,
        create(ServerStatusResponseSchema, {
          numFlows,
          maxFlows,
          seenFlows,
          uptimeNs,
          numConnectedNodes: cluster.nodes.length,
          numUnavailableNodes: unavailable.length,
          unavailableNodes: unavailable.slice(0, MAX_UNAVAILABLE_LISTED),
          version: DEMO_RELAY_VERSION,
          flowsRate: cluster.flowsRate(),
        }),
      );
    },

    GetNodes(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const nowNs = now();
      callback(
        null,
        create(GetNodesResponseSchema, {
          nodes: cluster.nodes.map((node) =>
            create(NodeSchema, {
              name: node.name,
              version: DEMO_RELAY_VERSION,
              address: node.address,
              state: NodeState.NODE_CONNECTED,
              tls: create(TLSSchema, { enabled: false }),
              uptimeNs: nowNs - node.startedAtNs,
              numFlows: BigInt(node.ring.size),
              maxFlows: BigInt(node.ring.capacity),
              seenFlows: BigInt(node.seenFlows),
            }),
          ),
        }),
      );
    },

    GetNamespaces(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      callback(
        null,
        create(GetNamespacesResponseSchema, {
          namespaces: cluster.recentNamespaces().map((ns) => create(NamespaceSchema, ns)),
        }),
      );
    },

    // Only agents implement these; the relay refuses them, and so do we.
    GetAgentEvents(call: grpc.ServerWritableStream<unknown, unknown>) {
      call.emit("error", unimplemented("GetAgentEvents not yet implemented"));
    },
    GetDebugEvents(call: grpc.ServerWritableStream<unknown, unknown>) {
      call.emit("error", unimplemented("GetDebugEvents not yet implemented"));
    },
  };
}

function unimplemented(details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code: grpc.status.UNIMPLEMENTED, details, metadata: new grpc.Metadata() });
}

/** Adapts a grpc-js server stream to a sink that waits for 'drain' and knows when the client left. */
function writableSink(call: grpc.ServerWritableStream<GetFlowsRequest, GetFlowsResponse | Uint8Array>): ResponseSink {
  const controller = new AbortController();
  const abort = () => controller.abort();
  call.on("cancelled", abort);
  call.on("error", abort);
  call.on("close", abort);
  return {
    signal: controller.signal,
    write(response) {
      if (controller.signal.aborted) return;
      if (call.write(response)) return;
      return new Promise<void>((resolve) => {
        const done = () => {
          call.off("drain", done);
          controller.signal.removeEventListener("abort", done);
          resolve();
        };
        call.on("drain", done);
        controller.signal.addEventListener("abort", done, { once: true });
      });
    },
  };
}
