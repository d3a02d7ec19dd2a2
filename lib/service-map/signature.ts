// What makes two flows count the same on the map: the same nodes (for the grouping), identities,
// port, protocol, verdict, direction, encryption and mutual authentication, and L7 summary (method, grouped path, status, latency bucket,
// DNS name and rcode). The server's windowed aggregation keeps one representative row per
// signature per time bucket with a count, instead of every flow, and adds it to the map's model
// with that weight: the map's numbers come out exactly as if every flow had been added.

import type { FlowRow } from "../flow-model";
import type { Grouping } from "../view-state";
import { endpointMethod, endpointPath } from "./http-endpoints";
import { nodeIdOf, orientedEndpoints } from "./ids";
import { latencyBucket } from "./latency";

export function mapSignature(row: FlowRow, grouping: Grouping): string {
  const { from, to } = orientedEndpoints(row);
  const l7 = row.l7;
  let l7Part = "";
  if (l7?.kind === "http") {
    const latency = l7.latencyNs !== undefined && l7.latencyNs > 0 ? latencyBucket(l7.latencyNs) : "";
    l7Part = `h:${l7.type}:${l7.httpCode ?? ""}:${latency}:${endpointMethod(l7.httpMethod)} ${endpointPath(l7.httpPath ?? "")}`;
  } else if (l7?.kind === "dns") {
    l7Part = `d:${l7.type}:${l7.dnsRcode ?? 0}:${l7.dnsQuery ?? ""}`;
  } else if (l7) {
    l7Part = l7.kind;
  }
  return `${nodeIdOf(from, grouping)}\u0000${nodeIdOf(to, grouping)}\u0000${from.identity}\u0000${to.identity}\u0000${to.port ?? ""}\u0000${row.l4Protocol}\u0000${row.verdict}\u0000${row.isReply}\u0000${row.encrypted ? "e" : ""}${row.authType}\u0000${l7Part}`;
}
