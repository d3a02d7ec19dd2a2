import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { observerServiceDefinition } from "./service-definition";

describe("observerServiceDefinition", () => {
  it("uses the upstream gRPC paths and streaming flags", () => {
    assert.equal(observerServiceDefinition.getFlows.path, "/observer.Observer/GetFlows");
    assert.equal(observerServiceDefinition.getFlows.responseStream, true);
    assert.equal(observerServiceDefinition.getFlows.requestStream, false);
    assert.equal(observerServiceDefinition.serverStatus.path, "/observer.Observer/ServerStatus");
    assert.equal(observerServiceDefinition.serverStatus.responseStream, false);
    assert.equal(observerServiceDefinition.getFlows.originalName, "GetFlows");
  });
});
