import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Verdict, type FlowFilter } from "@/proto/gen/flow/flow_pb";
import { compileFlowFilter, compileFlowFilters } from "./index";
import { filter, flow, type FilterInit, type FlowInit } from "./testing";

const xwingToDeathstarDropped: FlowInit = {
  verdict: Verdict.DROPPED,
  source: { namespace: "default", podName: "xwing" },
  destination: { namespace: "default", podName: "deathstar-1" },
};
const tiefighterForwarded: FlowInit = {
  verdict: Verdict.FORWARDED,
  source: { namespace: "default", podName: "tiefighter" },
  destination: { namespace: "default", podName: "deathstar-1" },
};

function apply(whitelist: FilterInit[], blacklist: FilterInit[], f: FlowInit): boolean {
  return compileFlowFilters(whitelist.map(filter), blacklist.map(filter))(flow(f));
}

describe("combining FlowFilters (Hubble's Apply)", () => {
  const cases: Array<{ name: string; whitelist: FilterInit[]; blacklist: FilterInit[]; flow: FlowInit; want: boolean }> = [
    { name: "empty whitelist and blacklist pass everything", whitelist: [], blacklist: [], flow: tiefighterForwarded, want: true },
    { name: "an empty FlowFilter matches every flow", whitelist: [{}], blacklist: [], flow: tiefighterForwarded, want: true },
    { name: "an empty FlowFilter in the blacklist drops every flow", whitelist: [], blacklist: [{}], flow: tiefighterForwarded, want: false },
    {
      name: "whitelist filters are OR'ed: the second one matches",
      whitelist: [{ sourcePod: ["xwing"] }, { sourcePod: ["tiefighter"] }],
      blacklist: [],
      flow: tiefighterForwarded,
      want: true,
    },
    {
      name: "a flow matching no whitelist filter is dropped",
      whitelist: [{ sourcePod: ["xwing"] }, { verdict: [Verdict.DROPPED] }],
      blacklist: [],
      flow: tiefighterForwarded,
      want: false,
    },
    {
      name: "fields inside one FlowFilter are AND'ed: both match",
      whitelist: [{ sourcePod: ["xwing"], verdict: [Verdict.DROPPED] }],
      blacklist: [],
      flow: xwingToDeathstarDropped,
      want: true,
    },
    {
      name: "fields inside one FlowFilter are AND'ed: one fails",
      whitelist: [{ sourcePod: ["xwing"], verdict: [Verdict.FORWARDED] }],
      blacklist: [],
      flow: xwingToDeathstarDropped,
      want: false,
    },
    {
      name: "values inside one field are OR'ed",
      whitelist: [{ verdict: [Verdict.FORWARDED, Verdict.DROPPED] }],
      blacklist: [],
      flow: xwingToDeathstarDropped,
      want: true,
    },
    {
      name: "the blacklist removes a whitelisted flow",
      whitelist: [{ destinationPod: ["deathstar"] }],
      blacklist: [{ verdict: [Verdict.DROPPED] }],
      flow: xwingToDeathstarDropped,
      want: false,
    },
    {
      name: "the blacklist alone keeps flows it does not match",
      whitelist: [],
      blacklist: [{ verdict: [Verdict.DROPPED] }, { sourcePod: ["xwing"] }],
      flow: tiefighterForwarded,
      want: true,
    },
    {
      name: "any matching blacklist filter drops the flow",
      whitelist: [],
      blacklist: [{ verdict: [Verdict.DROPPED] }, { sourcePod: ["tiefighter"] }],
      flow: tiefighterForwarded,
      want: false,
    },
    {
      name: "the CLI's --pod left/right pair matches either direction",
      whitelist: [{ sourcePod: ["deathstar"] }, { destinationPod: ["deathstar"] }],
      blacklist: [],
      flow: tiefighterForwarded,
      want: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(apply(c.whitelist, c.blacklist, c.flow), c.want));
  }

  it("compileFlowFilter builds the AND of one filter", () => {
    const match = compileFlowFilter(filter({ sourcePod: ["xwing"], verdict: [Verdict.DROPPED], destinationPod: ["deathstar"] }));
    assert.equal(match(flow(xwingToDeathstarDropped)), true);
    assert.equal(match(flow(tiefighterForwarded)), false);
  });

  it("a sparse plain-object filter compiles like the full message", () => {
    const sparse = { sourcePod: ["xwing"] } as unknown as FlowFilter;
    assert.equal(compileFlowFilter(sparse)(flow(xwingToDeathstarDropped)), true);
    assert.equal(compileFlowFilter(sparse)(flow(tiefighterForwarded)), false);
  });

  it("a compiled predicate can be reused across many flows", () => {
    const match = compileFlowFilters([filter({ verdict: [Verdict.DROPPED] })], []);
    const flows = [xwingToDeathstarDropped, tiefighterForwarded, xwingToDeathstarDropped].map(flow);
    assert.deepEqual(flows.map(match), [true, false, true]);
  });
});
