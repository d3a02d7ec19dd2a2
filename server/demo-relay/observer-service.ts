import "server-only";

import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  GetFlowsRequestSchema,
  GetFlowsResponseSchema,
  GetNamespacesResponseSchema,
  GetNodesResponseSchema,
  NamespaceSchema,
  NodeSchema,
  Observer,
  ServerStatusResponseSchema,
  TLSSchema,
} from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import type { EpochNs } from "@/lib/timestamp";
import type { DemoCluster } from "./cluster";
import { type ResponseSink, serveGetFlows } from "./flow-stream";
import { type GrpcCall, GrpcError, type GrpcMethods, GrpcStatus, type GrpcStreamWriter, type UnaryHandler } from "./grpc-server";

export const DEMO_RELAY_VERSION = "1.19.1+hubble-lens-demo";
const MAX_UNAVAILABLE_LISTED = 10;

export interface ObserverServiceOptions {
  readonly cluster: DemoCluster;
  readonly relayNodeName: string;
  readonly now: () => EpochNs;
  readonly startedAtNs: EpochNs;
}

const path = (name: string) => `/${Observer.typeName}/${name}`;

/** The observer.Observer methods of the demo relay, over one simulated cluster. */
export function observerMethods(opts: ObserverServiceOptions): GrpcMethods {
  const { cluster, now } = opts;

  const serverStatus: UnaryHandler = () => {
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
    return toBinary(
      ServerStatusResponseSchema,
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
  };

  const getNodes: UnaryHandler = () => {
    const nowNs = now();
    return toBinary(
      GetNodesResponseSchema,
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
  };

  const getNamespaces: UnaryHandler = () =>
    toBinary(
      GetNamespacesResponseSchema,
      create(GetNamespacesResponseSchema, {
        namespaces: cluster.recentNamespaces().map((ns) => create(NamespaceSchema, ns)),
      }),
    );

  // Only agents implement these; the relay refuses them, and so do we.
  const refuse = (name: string) => async () => {
    throw new GrpcError(GrpcStatus.UNIMPLEMENTED, `${name} not yet implemented`);
  };

  return {
    unary: new Map([
      [path("ServerStatus"), serverStatus],
      [path("GetNodes"), getNodes],
      [path("GetNamespaces"), getNamespaces],
    ]),
    serverStreaming: new Map([
      [
        path("GetFlows"),
        async (call: GrpcCall, writer: GrpcStreamWriter) => {
          writer.setHeaders({ "hubble-relay-version": DEMO_RELAY_VERSION });
          const req = decodeRequest(GetFlowsRequestSchema, call.request);
          await serveGetFlows(cluster, opts.relayNodeName, req, responseSink(call, writer), now);
        },
      ],
      [path("GetAgentEvents"), refuse("GetAgentEvents")],
      [path("GetDebugEvents"), refuse("GetDebugEvents")],
    ]),
  };
}

function decodeRequest<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new GrpcError(GrpcStatus.INTERNAL, `Error deserializing request: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function responseSink(call: GrpcCall, writer: GrpcStreamWriter): ResponseSink {
  return {
    signal: call.signal,
    write: (response) => writer.write(response instanceof Uint8Array ? response : toBinary(GetFlowsResponseSchema, response)),
  };
}
