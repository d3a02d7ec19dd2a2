import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { API_ERROR_STATUS } from "@/lib/api/errors";
import { RELAY_ERROR_CODES, type RelayErrorCode } from "@/server/relay-client/errors";
import { apiError, RELAY_API_CODES, relayErrorResponse } from "./api-error";

describe("the API's error form", () => {
  it("answers each code with its status, no-store, and nothing but code and message (and the parameter when named)", async () => {
    const res = apiError("invalid-query", "since: not a time", { about: { param: "since", value: "soon" } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.deepEqual(await res.json(), { error: { code: "invalid-query", message: "since: not a time", param: "since", value: "soon" } });
    assert.equal(apiError("too-many-streams", "later", { headers: { "Retry-After": "5" } }).headers.get("retry-after"), "5");
  });

  it("answers the investigation routes' codes with the statuses they always had", () => {
    const statuses = {
      "invalid-investigation": 400,
      "forbidden-namespace": 403,
      "not-owner": 403,
      "unsupported-media-type": 415,
      "too-large": 413,
      "not-found": 404,
      busy: 503,
      internal: 500,
    } as const;
    for (const [code, status] of Object.entries(statuses) as Array<[keyof typeof statuses, number]>) assert.equal(apiError(code, "m").status, status, code);
  });

  it("names every relay failure with an API code whose status is the one the relay client gives it", () => {
    for (const code of Object.keys(RELAY_ERROR_CODES) as RelayErrorCode[]) {
      assert.equal(API_ERROR_STATUS[RELAY_API_CODES[code]], RELAY_ERROR_CODES[code].httpStatus, code);
    }
  });

  it("answers an unreachable relay with 503 relay-unavailable, one spelling for HTTP and the stream", async () => {
    const res = relayErrorResponse(Object.assign(new Error("14 UNAVAILABLE: No connection established"), { code: GrpcStatus.UNAVAILABLE, details: "No connection established" }));
    assert.equal(res.status, 503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "relay-unavailable");
    assert.match(body.error.message, /not reachable/);
  });
});
