import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { passes, type FilterInit, type MatchCase } from "./testing";

const deploy = { name: "deathstar", kind: "Deployment" };
const job = { name: "backup", kind: "CronJob" };

describe("endpoint filters", () => {
  const table: Array<{ filter: FilterInit; cases: MatchCase[] }> = [
    {
      filter: { sourceIdentity: [1234, 2] },
      cases: [
        { name: "source_identity matches by equality", flow: { source: { identity: 2 } }, want: true },
        { name: "source_identity misses other identities", flow: { source: { identity: 3 } }, want: false },
        { name: "source_identity ignores the destination", flow: { destination: { identity: 2 } }, want: false },
      ],
    },
    {
      filter: { destinationIdentity: [0] },
      cases: [
        { name: "identity 0 matches an endpoint without identity", flow: { destination: { podName: "x" } }, want: true },
        { name: "identity 0 never matches a missing endpoint", flow: {}, want: false },
      ],
    },
    {
      filter: { sourceWorkload: [{ name: "deathstar", kind: "Deployment" }] },
      cases: [
        { name: "source_workload matches name and kind", flow: { source: { workloads: [job, deploy] } }, want: true },
        { name: "source_workload needs both", flow: { source: { workloads: [{ name: "deathstar", kind: "StatefulSet" }] } }, want: false },
        { name: "source_workload misses endpoints without workloads", flow: { source: { podName: "x" } }, want: false },
      ],
    },
    {
      filter: { destinationWorkload: [{ kind: "CronJob" }] },
      cases: [
        { name: "an empty workload name is a wildcard", flow: { destination: { workloads: [job] } }, want: true },
        { name: "the kind still has to match", flow: { destination: { workloads: [deploy] } }, want: false },
      ],
    },
    {
      filter: { destinationWorkload: [{ name: "deathstar" }] },
      cases: [{ name: "an empty workload kind is a wildcard", flow: { destination: { workloads: [deploy] } }, want: true }],
    },
    {
      filter: { sourceClusterName: ["kind-kind", "prod"] },
      cases: [
        { name: "source_cluster_name matches exactly", flow: { source: { clusterName: "prod" } }, want: true },
        { name: "source_cluster_name is not a prefix", flow: { source: { clusterName: "production" } }, want: false },
        { name: "source_cluster_name misses a missing endpoint", flow: {}, want: false },
      ],
    },
    {
      filter: { destinationClusterName: ["prod"] },
      cases: [{ name: "destination_cluster_name looks at the destination", flow: { destination: { clusterName: "prod" } }, want: true }],
    },
  ];
  for (const { filter, cases } of table) {
    for (const c of cases) it(c.name, () => assert.equal(passes(c.flow, filter), c.want));
  }
});
