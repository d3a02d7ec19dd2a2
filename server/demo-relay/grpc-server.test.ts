import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { encodeGrpcMessage, GrpcError, GrpcStatus, parseTimeout, type RunningGrpcServer, startGrpcServer } from "./grpc-server";
import { waitUntil } from "@/lib/testing/wait";

// The demo relay's gRPC transport against grpc-js's client (the protocol's other side, written by
// others): unary and streaming calls, statuses, deadlines, cancellation, flow control.

const identity = (b: Buffer) => b;

/** Message `i` of a stream: its index in the first 4 bytes, then `size - 4` filler bytes. */
function message(i: number, size: number): Uint8Array {
  const out = Buffer.alloc(Math.max(4, size), i % 251);
  out.writeUInt32BE(i, 0);
  return out;
}

let server: RunningGrpcServer;
let client: grpc.Client;
const aborted: string[] = [];
let waitsStarted = 0;
let slowStreamQueued = 0;

function unary(path: string, request: Uint8Array): Promise<{ bytes?: Buffer; err?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, Buffer.from(request), (err, bytes) => resolve({ err: err ?? undefined, bytes: bytes ?? undefined }));
  });
}

function stream(path: string, request: Uint8Array, options: grpc.CallOptions = {}) {
  return client.makeServerStreamRequest(path, identity, identity, Buffer.from(request), new grpc.Metadata(), options);
}

function collect(call: grpc.ClientReadableStream<Buffer>): Promise<{ messages: Buffer[]; status: grpc.StatusObject; md?: grpc.Metadata }> {
  return new Promise((resolve) => {
    const messages: Buffer[] = [];
    let md: grpc.Metadata | undefined;
    call.on("metadata", (m: grpc.Metadata) => (md = m));
    call.on("data", (b: Buffer) => messages.push(b));
    call.on("error", () => {});
    call.on("status", (status: grpc.StatusObject) => resolve({ messages, status, md }));
  });
}

before(async () => {
  server = await startGrpcServer(
    {
      unary: new Map([
        ["/test.S/Echo", (call) => Buffer.concat([Buffer.from("echo:"), call.request])],
        [
          "/test.S/Fail",
          () => {
            throw new GrpcError(GrpcStatus.FAILED_PRECONDITION, "nope: 100% ünïcödé\nsecond line");
          },
        ],
        [
          "/test.S/Crash",
          () => {
            throw new TypeError("boom");
          },
        ],
      ]),
      serverStreaming: new Map([
        [
          "/test.S/Count",
          async (call, writer) => {
            const { count, size } = JSON.parse(Buffer.from(call.request).toString()) as { count: number; size: number };
            writer.setHeaders({ "x-test": "yes" });
            for (let i = 0; i < count; i++) {
              const wait = writer.write(message(i, size));
              if (wait) await wait;
            }
          },
        ],
        [
          "/test.S/Forever",
          async (call, writer) => {
            // Writes as fast as the transport lets it, until the call ends.
            let i = 0;
            while (!call.signal.aborted) {
              const wait = writer.write(message(i++, 1000));
              slowStreamQueued = i;
              if (wait) await wait;
            }
            aborted.push(String(call.request));
          },
        ],
        [
          "/test.S/Wait",
          async (call) => {
            waitsStarted++;
            await new Promise<void>((resolve) => call.signal.addEventListener("abort", () => resolve(), { once: true }));
            aborted.push("wait");
          },
        ],
        [
          "/test.S/HalfThenFail",
          async (_call, writer) => {
            writer.write(message(0, 10));
            writer.write(message(1, 10));
            throw new GrpcError(GrpcStatus.UNAVAILABLE, "went away");
          },
        ],
      ]),
    },
    { host: "127.0.0.1", port: 0 },
  );
  client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
});

after(async () => {
  client.close();
  await server.close();
});

describe("demo relay gRPC transport, against the grpc-js client", () => {
  it("answers a unary call", async () => {
    const { bytes, err } = await unary("/test.S/Echo", Buffer.from("hi"));
    assert.equal(err, undefined);
    assert.equal(bytes!.toString(), "echo:hi");
  });

  it("answers an empty request message (all fields default) too", async () => {
    const { bytes } = await unary("/test.S/Echo", new Uint8Array(0));
    assert.equal(bytes!.toString(), "echo:");
  });

  it("reports a handler's GrpcError with its code and the exact message, non-ASCII and newlines included", async () => {
    const { err } = await unary("/test.S/Fail", Buffer.from(""));
    assert.equal(err!.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(err!.details, "nope: 100% ünïcödé\nsecond line");
  });

  it("reports any other exception as INTERNAL with its message", async () => {
    const { err } = await unary("/test.S/Crash", Buffer.from(""));
    assert.equal(err!.code, grpc.status.INTERNAL);
    assert.equal(err!.details, "boom");
  });

  it("answers UNIMPLEMENTED for a method it does not serve", async () => {
    const { err } = await unary("/test.S/Nope", Buffer.from(""));
    assert.equal(err!.code, grpc.status.UNIMPLEMENTED);
    assert.match(err!.details, /does not implement the method \/test\.S\/Nope/);
  });

  it("streams messages of every size in order, across chunk boundaries, with its initial metadata", async () => {
    for (const size of [4, 100, 1300, 70_000, 300_000]) {
      const count = size > 10_000 ? 20 : 3000;
      const { messages, status, md } = await collect(stream("/test.S/Count", Buffer.from(JSON.stringify({ count, size }))));
      assert.equal(status.code, grpc.status.OK, `size ${size}: ${status.details}`);
      assert.equal(messages.length, count, `size ${size}`);
      messages.forEach((m, i) => {
        assert.equal(m.length, size);
        assert.equal(m.readUInt32BE(0), i);
        assert.equal(m[m.length - 1], size > 4 ? i % 251 : m[3]);
      });
      assert.deepEqual(md!.get("x-test"), ["yes"]);
    }
  });

  it("sends a stream's messages, then its error status", async () => {
    const { messages, status } = await collect(stream("/test.S/HalfThenFail", Buffer.from("")));
    assert.equal(messages.length, 2);
    assert.equal(status.code, grpc.status.UNAVAILABLE);
    assert.equal(status.details, "went away");
  });

  it("aborts the handler when the client cancels", async () => {
    const started = waitsStarted;
    const call = stream("/test.S/Wait", Buffer.from(""));
    const done = collect(call);
    await waitUntil(() => waitsStarted > started, "the handler to start");
    call.cancel();
    assert.equal((await done).status.code, grpc.status.CANCELLED);
    await waitUntil(() => aborted.includes("wait"), "the handler to see the abort");
  });

  it("ends a call at its deadline with DEADLINE_EXCEEDED", async () => {
    const { status } = await collect(stream("/test.S/Wait", Buffer.from(""), { deadline: Date.now() + 150 }));
    assert.equal(status.code, grpc.status.DEADLINE_EXCEEDED);
  });

  it("holds a bounded amount for a client that does not read, and goes on when it reads", async () => {
    const call = stream("/test.S/Forever", Buffer.from("slow"));
    let received = 0;
    call.on("data", () => received++);
    call.on("error", () => {});
    call.pause();
    // Wait until the writer stops (the count holds still for 200 ms): a writer that never blocked
    // would run on and fail here.
    let last = -1;
    await waitUntil(
      () => {
        const stopped = slowStreamQueued === last && slowStreamQueued > 0;
        last = slowStreamQueued;
        return stopped;
      },
      "the writer to stop",
      10_000,
      200,
    );
    const queuedWhilePaused = slowStreamQueued;
    // 1 kB messages: the writer stops within flow-control windows + our 1 MB cap, not at memory's end.
    assert.ok(queuedWhilePaused < 5000, `server queued ${queuedWhilePaused} messages for a paused client`);
    call.resume();
    await waitUntil(() => received > queuedWhilePaused + 1000, "the client to read on");
    call.cancel();
    await waitUntil(() => aborted.includes("slow"), "the writer to see the abort");
  });

  it("refuses a compressed request message", async () => {
    const res = await rawRequest("/test.S/Echo", Buffer.from([1, 0, 0, 0, 2, 0x1f, 0x8b]), { "grpc-encoding": "gzip" });
    assert.equal(res.headers[":status"], 200);
    assert.equal(res.trailers["grpc-status"], String(grpc.status.UNIMPLEMENTED));
    assert.match(decodeURIComponent(String(res.trailers["grpc-message"])), /compressed requests are not supported/);
  });

  it("answers HTTP 415 to a request that is not gRPC", async () => {
    const res = await rawRequest("/test.S/Echo", Buffer.from("{}"), { "content-type": "application/json" });
    assert.equal(res.headers[":status"], 415);
  });
});

describe("grpc-timeout and grpc-message encoding", () => {
  it("parses every unit of grpc-timeout and refuses malformed ones", () => {
    assert.equal(parseTimeout("5S"), 5000);
    assert.equal(parseTimeout("2M"), 120_000);
    assert.equal(parseTimeout("1H"), 3_600_000);
    assert.equal(parseTimeout("250m"), 250);
    assert.equal(parseTimeout("1000u"), 1);
    assert.equal(parseTimeout("2000000n"), 2);
    for (const bad of ["", "5", "S", "-1S", "1.5S", "123456789S", "5s"]) assert.equal(parseTimeout(bad), undefined, bad);
    assert.equal(parseTimeout(undefined), undefined);
  });

  it("percent-encodes what is not printable ASCII, and % itself", () => {
    assert.equal(encodeGrpcMessage("a b~"), "a b~");
    assert.equal(encodeGrpcMessage("100%"), "100%25");
    assert.equal(encodeGrpcMessage("é\n"), "%C3%A9%0A");
  });
});

/** One HTTP/2 request with a body, collecting response headers and trailers. */
function rawRequest(path: string, body: Buffer, extra: http2.OutgoingHttpHeaders) {
  return new Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders }>((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...extra });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => {
      headers = h;
      trailers = h; // a trailers-only response carries the status in its headers
    });
    req.on("trailers", (t) => (trailers = t));
    req.on("data", () => {});
    req.on("end", () => {
      session.close();
      resolve({ headers, trailers });
    });
    req.on("error", reject);
    req.end(body);
  });
}
