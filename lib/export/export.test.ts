import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JsonObject } from "@bufbuild/protobuf";
import { flowToJsonObject, getFlowsResponseToJson, parseJsonLines } from "../flow-json";
import { toFlowRow } from "../flow-model";
import { captureFlows } from "../flow-details/testing";
import { loadCapture } from "../../server/demo-relay/replay-feeder";
import { CSV_COLUMNS, csvCell, toCsv } from "./csv";
import { toJsonpbLine, toJsonpbLines } from "./jsonpb";

const flows = captureFlows();

/** A small RFC 4180 reader, to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i += 2;
    } else if (quoted && c === '"') {
      quoted = false;
      i++;
    } else if (quoted) {
      cell += c;
      i++;
    } else if (c === '"' && cell === "") {
      quoted = true;
      i++;
    } else if (c === ",") {
      record.push(cell);
      cell = "";
      i++;
    } else if (c === "\r" && text[i + 1] === "\n") {
      record.push(cell);
      records.push(record);
      record = [];
      cell = "";
      i += 2;
    } else {
      cell += c;
      i++;
    }
  }
  assert.equal(cell, "", "the document ends with CRLF");
  return records;
}

describe("jsonpb export", { skip: flows.length === 0 && "captures not found" }, () => {
  const raws = flows.map((f) => f.raw);

  it("writes GetFlowsResponse lines byte-identical to what hubble prints for them", () => {
    const text = toJsonpbLines(raws);
    assert.ok(text.endsWith("\n"));
    const results = [...parseJsonLines(text)];
    assert.equal(results.length, raws.length);
    results.forEach((r, i) => {
      assert.ok(r.ok, !r.ok ? r.error : "");
      assert.equal(r.response.responseTypes.case, "flow");
      assert.deepEqual(flowToJsonObject(r.response.responseTypes.value as never), raws[i]);
      assert.equal(getFlowsResponseToJson(r.response), toJsonpbLine(raws[i]));
    });
  });

  it("the envelope carries the flow's node_name and time, in hubble's key order", () => {
    const line = JSON.parse(toJsonpbLine(raws[0])) as JsonObject;
    assert.deepEqual(Object.keys(line), ["flow", "node_name", "time"]);
    assert.equal(line.node_name, raws[0].node_name);
    assert.equal(line.time, raws[0].time);
    assert.equal(toJsonpbLine({ verdict: "DROPPED" }), '{"flow":{"verdict":"DROPPED"}}');
    assert.equal(toJsonpbLines([]), "");
  });

  it("replays through the demo relay's --replay reader", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hubble-lens-export-"));
    try {
      const file = path.join(dir, "export.jsonl");
      writeFileSync(file, toJsonpbLines(raws));
      const skipped: string[] = [];
      const events = loadCapture(file, (m) => skipped.push(m));
      assert.deepEqual(skipped, []);
      assert.equal(events.length, raws.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CSV export", () => {
  it("quotes per RFC 4180 and neutralises formulas", () => {
    const cases: [string | number | undefined, string][] = [
      ["plain", "plain"],
      ["a,b", '"a,b"'],
      ['say "hi"', '"say ""hi"""'],
      ["two\nlines", '"two\nlines"'],
      ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'],
      ["+1", "'+1"],
      ["-2", "'-2"],
      ["@SUM(A1)", "'@SUM(A1)"],
      ["\tcmd", "'\tcmd"],
      ["\rcmd", '"\'\rcmd"'],
      [" =not-first", " =not-first"],
      [42, "42"],
      [undefined, ""],
    ];
    for (const [value, want] of cases) assert.equal(csvCell(value), want, JSON.stringify(value));
  });

  it("one record per row, CRLF line ends, hostile text kept literal", () => {
    const hostile = toFlowRow({
      time: "2024-05-01T12:00:00Z",
      verdict: "FORWARDED",
      source: { namespace: "shop", pod_name: "=cmd|' /C calc'!A0" },
      destination: { namespace: "shop", pod_name: "<script>alert(1)</script>", labels: ["k8s:a=b", "k8s:c=d"] },
      l7: { type: "REQUEST", http: { method: "GET", url: 'http://x/a,b"c\r\nd' } },
      Summary: "@evil",
    });
    const csv = toCsv([hostile]);
    assert.ok(csv.endsWith("\r\n"));
    const records = parseCsv(csv);
    assert.equal(records.length, 2);
    assert.deepEqual(
      records[0],
      CSV_COLUMNS.map((c) => c.header),
    );
    const rec = Object.fromEntries(records[0].map((h, i) => [h, records[1][i]]));
    assert.equal(rec.source_pod, "'=cmd|' /C calc'!A0");
    assert.equal(rec.source, "shop/=cmd|' /C calc'!A0");
    assert.equal(rec.destination_pod, "<script>alert(1)</script>");
    assert.equal(rec.destination_labels, "k8s:a=b k8s:c=d");
    assert.equal(rec.http_url, 'http://x/a,b"c\r\nd');
    assert.equal(rec.summary, "'@evil");
    assert.equal(rec.verdict, "FORWARDED");
  });

  it("exports every capture row with a cell per column", { skip: flows.length === 0 && "captures not found" }, () => {
    const rows = flows.map((f) => toFlowRow(f.raw));
    const records = parseCsv(toCsv(rows));
    assert.equal(records.length, rows.length + 1);
    for (const r of records) assert.equal(r.length, CSV_COLUMNS.length);
    assert.equal(toCsv([]), `${CSV_COLUMNS.map((c) => c.header).join(",")}\r\n`);
  });
});
