import "server-only";

import { basename } from "node:path";
import { log } from "@/server/log";
import { listPolicyFiles, loadPolicyPath, type PolicyFile } from "./policy-files";
import type { PolicySource, SourceSink } from "./source";

// HUBBLE_LENS_POLICIES: a GitOps checkout or a directory of YAML next to a capture. Changes are
// found by polling names, sizes and mtimes (fs.watch is not recursive on Linux with Node 20, and
// misses changes on network and container-mounted volumes); a change is read after the writes
// settle, so a `git checkout` of many files gives one version, not one per file.

export interface DirectorySourceOptions {
  readonly pollMs?: number;
  readonly settleMs?: number;
}

export class DirectorySource implements PolicySource {
  readonly kind = "directory" as const;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private signature = "";
  private pendingSince: string | null = null;
  private readonly pollMs: number;
  private readonly settleMs: number;

  constructor(
    private readonly root: string,
    options: DirectorySourceOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 2000;
    this.settleMs = options.settleMs ?? 300;
    this.shown = `HUBBLE_LENS_POLICIES (${basename(root)})`;
  }

  /** How the directory is named in what the API answers: never the server's absolute path (the log has it). */
  private readonly shown: string;

  async start(sink: SourceSink): Promise<void> {
    sink.status({ state: "loading", message: null });
    await this.load(sink);
    this.schedule(sink, this.pollMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(sink: SourceSink, ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.poll(sink), ms);
    this.timer.unref?.();
  }

  private async poll(sink: SourceSink): Promise<void> {
    try {
      const { files } = await listPolicyFiles(this.root);
      const sig = signatureOf(files);
      if (sig !== this.signature) {
        // Wait until two looks agree, so a half-written set of files is not read.
        if (this.pendingSince !== sig) {
          this.pendingSince = sig;
          this.schedule(sink, this.settleMs);
          return;
        }
        await this.load(sink);
      }
      this.pendingSince = null;
    } catch (err) {
      log.warn(`policy directory ${this.root}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.schedule(sink, this.pollMs);
  }

  private async load(sink: SourceSink): Promise<void> {
    const loaded = await loadPolicyPath(this.root);
    if (this.closed) return;
    this.signature = signatureOf(loaded.files);
    this.pendingSince = null;
    const unreadable = loaded.files.length === 0 && loaded.problems.find((p) => p.where === rootName(this.root));
    if (unreadable) {
      // A directory that vanished (a checkout in progress, an unmounted volume) is not "no
      // policies": keep the last set and say why it may be stale.
      sink.status({ state: "error", message: `${this.shown}: ${unreadable.message}; keeping the last policies, looking again every ${Math.round(this.pollMs / 1000)} s` });
      return;
    }
    sink.state(loaded);
    sink.status({ state: "ready", message: `${loaded.policies.length} policies from ${loaded.files.length} files in ${this.shown}` });
  }
}

function rootName(root: string): string {
  return basename(root);
}

function signatureOf(files: readonly PolicyFile[]): string {
  return files.map((f) => `${f.path}\0${f.size}\0${f.mtimeMs}`).join("\n");
}
