import { test } from "node:test";
import assert from "node:assert/strict";
import { isRelativeTime, parseGoDuration, parseHubbleTime, parseHubbleTimestamp, TimeSyntaxError } from "./time";

const NOW = new Date("2024-05-01T12:00:00.000Z");

test("durations count back from the given now, like hubble's --since 5m", () => {
  const cases: [string, string][] = [
    ["5m", "2024-05-01T11:55:00.000Z"],
    ["1h30m", "2024-05-01T10:30:00.000Z"],
    ["90s", "2024-05-01T11:58:30.000Z"],
    ["2h", "2024-05-01T10:00:00.000Z"],
    ["1.5h", "2024-05-01T10:30:00.000Z"],
    ["250ms", "2024-05-01T11:59:59.750Z"],
    ["0", "2024-05-01T12:00:00.000Z"],
    ["+1m", "2024-05-01T11:59:00.000Z"],
    ["-1m", "2024-05-01T12:01:00.000Z"], // negative duration = in the future, as in Go
    ["1h0m0s", "2024-05-01T11:00:00.000Z"],
    [" 10m ", "2024-05-01T11:50:00.000Z"],
  ];
  for (const [input, want] of cases) {
    assert.equal(parseHubbleTime(input, NOW).toISOString(), want, input);
  }
});

test("Go duration parser keeps sub-millisecond precision and rejects Go-invalid input", () => {
  assert.equal(parseGoDuration("1us"), 1000n);
  assert.equal(parseGoDuration("1µs"), 1000n);
  assert.equal(parseGoDuration("3ns"), 3n);
  assert.equal(parseGoDuration(".5s"), 500_000_000n);
  assert.equal(parseGoDuration("1.s"), 1_000_000_000n);
  for (const bad of ["", "5", "m", "5 m", "1d", "5M", "1h-5m", ".s", "3000000h"]) {
    assert.throws(() => parseGoDuration(bad), TimeSyntaxError, bad);
  }
});

test("absolute layouts accepted by hubble/pkg/time", () => {
  const cases: [string, string][] = [
    ["2024-05-01T10:20:30Z", "2024-05-01T10:20:30.000Z"],
    ["2024-05-01T10:20:30.123Z", "2024-05-01T10:20:30.123Z"],
    ["2024-05-01T10:20:30.123456789Z", "2024-05-01T10:20:30.123Z"],
    ["2024-05-01T10:20:30+02:00", "2024-05-01T08:20:30.000Z"],
    ["2024-05-01T10:20:30.5-01:30", "2024-05-01T11:50:30.500Z"],
    ["2024-05-01", "2024-05-01T00:00:00.000Z"],
    ["2024-05-01T10Z", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T10+01:00", "2024-05-01T09:00:00.000Z"],
    ["2024-05-01T10:20Z", "2024-05-01T10:20:00.000Z"],
    ["Wed, 01 May 2024 10:20:30 +0200", "2024-05-01T08:20:30.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
  ];
  for (const [input, want] of cases) {
    assert.equal(parseHubbleTime(input, NOW).toISOString(), want, input);
  }
});

test("timestamps keep RFC 3339 nanoseconds", () => {
  const ts = parseHubbleTimestamp("2021-06-16T16:52:13.136834446Z", NOW);
  assert.equal(ts.seconds, 1623862333n);
  assert.equal(ts.nanos, 136834446);
  const before1970 = parseHubbleTimestamp("1969-12-31T23:59:59.5Z", NOW);
  assert.equal(before1970.seconds, -1n);
  assert.equal(before1970.nanos, 500_000_000);
});

test("bad times are rejected with a message that shows valid forms", () => {
  const bad = [
    "",
    "yesterday",
    "5 minutes",
    "2024-13-01",
    "2024-02-30",
    "2023-02-29T00:00:00Z",
    "2024-05-01T24:00:00Z",
    "2024-05-01T10:20:30",
    "2024-05-01 10:20:30Z",
    "2024-05-01t10:20:30z",
    "2024-05-01T10:20:30.Z",
    "2024-05-01T10:20:30.1234567891Z",
    "10:20",
  ];
  for (const input of bad) {
    assert.throws(
      () => parseHubbleTime(input, NOW),
      (e: unknown) => e instanceof TimeSyntaxError && e.message.includes("5m") && e.message.includes("2024-05-01T12:00:00Z"),
      JSON.stringify(input),
    );
  }
  assert.throws(() => parseHubbleTime("5x", NOW), /unknown unit "x"/);
});

test("isRelativeTime tells durations from absolute times", () => {
  assert.equal(isRelativeTime("5m"), true);
  assert.equal(isRelativeTime("2024-05-01T10:20:30Z"), false);
  assert.equal(isRelativeTime("nope"), false);
});
