import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

// A Hubble Lens server that a spec starts and stops itself (to restart it, or to give it its own
// policies), on its own port, from the build the webServer entries made.

const NEXT = join(process.cwd(), "node_modules", "next", "dist", "bin", "next");
// As `npm start` runs it: the preload records peer addresses (proxy sign-in), HUBBLE_LENS_HOST is the listen address.
const PRELOAD = join(process.cwd(), "scripts", "server-preload.cjs");

export class ServerProcess {
  private child: ChildProcess | undefined;
  readonly base: string;

  constructor(
    private readonly port: number,
    private readonly env: Record<string, string>,
    /** Where readiness is polled (and what `base` is): another address when it listens beyond loopback. */
    host = "127.0.0.1",
    /** Headers for the liveness poll. */
    private readonly pollHeaders: Record<string, string> = {},
  ) {
    this.base = `http://${host}:${port}`;
  }

  /** The server's process id while it runs (for memory probes). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const host = this.env.HUBBLE_LENS_HOST ?? "127.0.0.1";
    const child = spawn(process.execPath, ["--require", PRELOAD, NEXT, "start", "-p", String(this.port), "-H", host], {
      env: { ...process.env, PORT: String(this.port), HUBBLE_LENS_LOG_LEVEL: "warn", NEXT_TELEMETRY_DISABLED: "1", ...this.env },
      stdio: ["ignore", "ignore", "inherit"],
    });
    this.child = child;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${this.base}/healthz`, { headers: this.pollHeaders })).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error("the server did not come up within 60 s");
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}
