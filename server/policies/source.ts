import "server-only";

import type { PolicyState } from "./history";

// The seam between where policies come from (a directory, the Kubernetes API, the demo scenario)
// and the service that keeps their history. A source reports whole states; the history diffs them.

export type SourceKind = "kubernetes" | "directory" | "demo" | "none";

/** One watched resource of the Kubernetes source (the directory and demo sources have none). */
export interface ResourceStatus {
  /** "ciliumnetworkpolicies.cilium.io", "namespaces", … */
  readonly resource: string;
  readonly state: "loading" | "ready" | "retrying" | "absent";
  /** Why it is retrying or absent; null when ready. */
  readonly message: string | null;
  /** RFC 3339 time of the next try while retrying or absent. */
  readonly nextTryAt?: string;
}

/**
 * loading: nothing delivered yet; ready: the set is complete (message may still name a resource
 * that is absent); error: the source cannot deliver (some or all of it), with why and what it does
 * about it ("Kubernetes API unreachable: …, retrying in 8 s").
 */
export interface SourceStatus {
  readonly state: "loading" | "ready" | "error";
  readonly message: string | null;
  readonly resources?: readonly ResourceStatus[];
}

export interface SourceSink {
  state(state: PolicyState): void;
  status(status: SourceStatus): void;
}

export interface PolicySource {
  readonly kind: SourceKind;
  /** Starts delivering to `sink`; resolves once a first state is out, or when waiting longer would delay the server. */
  start(sink: SourceSink): Promise<void>;
  close(): Promise<void>;
}
