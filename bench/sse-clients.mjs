// The SSE clients of `npm run bench:ingest`, in a process of their own (plain JavaScript, no
// TypeScript loader), so their CPU is measured apart from the server's and the benchmark's.
//
// usage: node bench/sse-clients.mjs PORT COUNT PATH[ PATH…]
// Opens COUNT streams, client i on GET of the (i mod n)-th PATH, and prints, every 250 ms, one JSON line:
// {"flows":[per client], "live":[per client]}. Counting is done on the raw bytes with native
// searches (no UTF-8 decoding, no JSON parsing); a pattern split across two chunks counts once.
import { request } from "node:http";

const [port, count, paths] = [Number(process.argv[2]), Number(process.argv[3]), process.argv.slice(4)];

class PatternCounter {
  count = 0;
  #tail = Buffer.alloc(0);

  constructor(pattern) {
    this.pattern = pattern;
  }

  feed(chunk) {
    const p = this.pattern;
    const joined = Buffer.concat([this.#tail, chunk.subarray(0, p.length - 1)]);
    for (let i = joined.indexOf(p); i >= 0 && i < this.#tail.length; i = joined.indexOf(p, i + 1)) this.count++;
    for (let i = chunk.indexOf(p); i >= 0; i = chunk.indexOf(p, i + p.length)) this.count++;
    this.#tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (p.length - 1))));
  }
}

const clients = Array.from({ length: count }, () => ({
  // Every flow's JSON starts with its time (Hubble's key order); nothing else in a frame does.
  flows: new PatternCounter(Buffer.from('{"time":"')),
  // The end of a live flows frame: its last flow object, the array, the event. History frames end
  // with `}],"history":true}` and no other event ends with an array of objects.
  liveFrameEnds: new PatternCounter(Buffer.from("}]}\n\n")),
  live: false,
}));

for (const [i, c] of clients.entries()) {
  const req = request({ host: "127.0.0.1", port, path: paths[i % paths.length] }, (res) => {
    res.on("data", (chunk) => {
      c.flows.feed(chunk);
      // Searched for only until the client is live.
      if (!c.live) {
        c.liveFrameEnds.feed(chunk);
        c.live = c.liveFrameEnds.count > 0;
      }
    });
  });
  req.on("error", () => undefined);
  req.end();
}

setInterval(() => {
  const report = {
    flows: clients.map((c) => c.flows.count),
    live: clients.map((c) => c.live),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}, 250);
