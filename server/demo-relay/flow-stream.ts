import "server-only";

import { create } from "@bufbuild/protobuf";
import { FlowSchema, LostEventSchema, LostEventSource } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsRequest, type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState, NodeStatusEventSchema } from "@/proto/gen/relay/relay_pb";
import { applyFieldMask, validateFieldMask } from "@/lib/field-mask";
import { compileFlowFilters } from "@/lib/filters";
import { nsToTimestamp, timestampToNs, type EpochNs } from "@/lib/timestamp";
import type { DemoCluster, RingEntry } from "./cluster";
import { encodeGetFlowsResponse } from "./fast-encode";
import { type AgentQuery, byTime, flowOf, type NodeCursor, readForward, startSeq } from "./history";

/**
 * Where a stream's responses go. `write` returns a promise that resolves once the transport can
 * take more, or nothing when it can right away (no promise and microtask per response at 50k/s).
 */
export interface ResponseSink {
  write(response: GetFlowsResponse | Uint8Array): Promise<void> | void;
  readonly signal: AbortSignal;
}

const FOLLOW_BATCH_PER_NODE = 2048;

/**
 * Serves one GetFlows call the way Hubble Relay does in front of its agents: a NODE_CONNECTED
 * status event first; the request sent as-is to every node (so `number` counts per node); the
 * nodes' histories merged by time; then, in follow mode, new events as they arrive. A request an
 * agent refuses (bad filter, first+follow) is reported in-stream as NODE_ERROR, and the stream
 * ends normally, exactly as the relay reports a failing peer.
 */
export async function serveGetFlows(cluster: DemoCluster, relayNodeName: string, req: GetFlowsRequest, sink: ResponseSink, now: () => EpochNs): Promise<void> {
  const nodes = cluster.nodes;
  await sink.write(
    nodeStatus(
      relayNodeName,
      NodeState.NODE_CONNECTED,
      nodes.map((n) => n.name),
      "",
      now(),
    ),
  );

  const prepared = prepare(req);
  if ("error" in prepared) {
    if (nodes.length > 0) {
      await sink.write(
        nodeStatus(
          relayNodeName,
          NodeState.NODE_ERROR,
          nodes.map((n) => n.name),
          prepared.error,
          now(),
        ),
      );
    }
    return;
  }
  const { query, mask } = prepared;
  const encode = (e: RingEntry) => encodeEntry(e, mask);

  // History: each node's part up to its current end, merged by time.
  const cursors: NodeCursor[] = nodes.map((node) => {
    const endSeq = node.ring.writeSeq;
    return { node, seq: startSeq(node, query, endSeq), ended: false, sent: 0n };
  });
  const history: RingEntry[] = [];
  for (const c of cursors) readForward(c, query, c.node.ring.writeSeq, history);
  history.sort(byTime);
  for (const e of history) {
    if (sink.signal.aborted) return;
    const wait = sink.write(encode(e));
    if (wait) await wait;
  }
  if (!query.follow) return;

  // Follow: read what each node appended since, detect readers the ring overtook.
  while (!sink.signal.aborted && cursors.some((c) => !c.ended)) {
    const batch: RingEntry[] = [];
    for (const c of cursors) {
      if (c.ended) continue;
      const lost = c.node.ring.oldestSeq - c.seq;
      if (lost > 0) {
        batch.push(lostEntry(c.node.name, lost, now()));
        c.seq = c.node.ring.oldestSeq;
      }
      readForward(c, query, c.node.ring.writeSeq, batch, FOLLOW_BATCH_PER_NODE);
    }
    if (batch.length === 0) {
      if (cursors.every((c) => c.ended || c.seq >= c.node.ring.writeSeq)) {
        await cluster.waitForData(sink.signal);
      }
      continue;
    }
    batch.sort(byTime);
    for (const e of batch) {
      if (sink.signal.aborted) return;
      const wait = sink.write(encode(e));
      if (wait) await wait;
    }
  }
}

type Prepared = { query: AgentQuery; mask: readonly string[] | undefined } | { error: string };

function prepare(req: GetFlowsRequest): Prepared {
  if (req.first && req.follow) {
    return { error: "rpc error: code = InvalidArgument desc = first cannot be specified with follow" };
  }
  let matches: AgentQuery["matches"];
  try {
    matches = compileFlowFilters(req.whitelist, req.blacklist);
  } catch (err) {
    // Hubble returns filter build errors as plain errors (code Unknown): the relay shows the bare message.
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const paths = req.fieldMask?.paths ?? [];
  if (paths.length > 0) {
    try {
      validateFieldMask(FlowSchema, paths);
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }
  return {
    query: {
      number: req.number,
      first: req.first,
      follow: req.follow,
      sinceNs: req.since ? timestampToNs(req.since) : undefined,
      untilNs: req.until ? timestampToNs(req.until) : undefined,
      matches,
    },
    mask: paths.length > 0 ? paths : undefined,
  };
}

function encodeEntry(e: RingEntry, mask: readonly string[] | undefined): GetFlowsResponse | Uint8Array {
  const flow = flowOf(e);
  if (mask && flow) {
    const masked = applyFieldMask(FlowSchema, flow, mask);
    // The envelope's time and node name come from the masked flow, as in Hubble.
    return create(GetFlowsResponseSchema, {
      responseTypes: { case: "flow", value: masked },
      nodeName: masked.nodeName,
      time: masked.time,
    });
  }
  // Once per ring entry, shared by every stream; sub-messages shared between flows are encoded once.
  e.encoded ??= encodeGetFlowsResponse(e.response);
  return e.encoded;
}

function lostEntry(nodeName: string, lost: number, nowNs: EpochNs): RingEntry {
  const time = nsToTimestamp(nowNs);
  const response = create(GetFlowsResponseSchema, {
    responseTypes: {
      case: "lostEvents",
      value: create(LostEventSchema, {
        source: LostEventSource.HUBBLE_RING_BUFFER,
        numEventsLost: BigInt(lost),
      }),
    },
    nodeName,
    time,
  });
  return { timeNs: nowNs, response, isLost: true };
}

function nodeStatus(relayNodeName: string, state: NodeState, names: string[], message: string, nowNs: EpochNs) {
  return create(GetFlowsResponseSchema, {
    responseTypes: {
      case: "nodeStatus",
      value: create(NodeStatusEventSchema, { stateChange: state, nodeNames: names, message }),
    },
    nodeName: relayNodeName,
    time: nsToTimestamp(nowNs),
  });
}
