import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema, type GetFlowsRequest, GetFlowsResponseSchema, type GetFlowsResponse } from "../proto/gen/observer/observer_pb";
import { expect, test } from "./fixtures";

// "Download jsonpb" writes `hubble observe -o jsonpb` lines; the demo relay's --replay must serve
// them back, flow for flow.

function startReplayRelay(file: string): Promise<{ address: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "server/demo-relay/cli.ts", "--port", "0", "--replay", file], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ address: m[1], stop: () => child.kill("SIGTERM") });
    });
    child.on("exit", (code) => reject(new Error(`demo relay exited with ${code}: ${out}`)));
  });
}

function getAllFlows(address: string): Promise<GetFlowsResponse[]> {
  const method = {
    path: "/observer.Observer/GetFlows",
    requestStream: false,
    responseStream: true,
    requestSerialize: (r: GetFlowsRequest) => Buffer.from(toBinary(GetFlowsRequestSchema, r)),
    requestDeserialize: (b: Buffer) => fromBinary(GetFlowsRequestSchema, b),
    responseSerialize: (r: GetFlowsResponse) => Buffer.from(toBinary(GetFlowsResponseSchema, r)),
    responseDeserialize: (b: Buffer) => fromBinary(GetFlowsResponseSchema, b),
  };
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const out: GetFlowsResponse[] = [];
    const call = client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, create(GetFlowsRequestSchema, {}));
    call.on("data", (r: GetFlowsResponse) => out.push(r));
    call.on("end", () => {
      client.close();
      resolve(out);
    });
    call.on("error", reject);
  });
}

test("an exported jsonpb download replays through the demo relay", async ({ page }, testInfo) => {
  await page.goto("/?namespace=payments");
  await expect(page.locator('[role="grid"] [role="row"][data-index]').first()).toBeVisible();
  await page.getByRole("button", { name: "Pause" }).click();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: /as hubble jsonpb lines/ }).click()]);
  const file = testInfo.outputPath("export.jsonl");
  await download.saveAs(file);
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
  expect(lines.length).toBeGreaterThan(0);
  const uuids = lines.map((l) => (JSON.parse(l) as { flow: { uuid: string } }).flow.uuid).sort();

  const relay = await startReplayRelay(file);
  try {
    const served = (await getAllFlows(relay.address))
      .filter((r) => r.responseTypes.case === "flow")
      .map((r) => (r.responseTypes.case === "flow" ? r.responseTypes.value.uuid : ""))
      .sort();
    expect(served).toEqual(uuids);
  } finally {
    relay.stop();
  }
});
