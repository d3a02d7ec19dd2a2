// Request/response data of the top bar, owned by React Query. The page can call the same hooks
// (same keys, so one request serves every component that asks).
import { useQuery } from "@tanstack/react-query";
import type { RelayStatusView } from "@/lib/api/status";
import { withBasePath } from "@/lib/base-path";

export type { RelayStatusView };

export interface NamespaceRef {
  readonly cluster: string;
  readonly namespace: string;
}

export const STATUS_QUERY_KEY = ["relay-status"] as const;
export const NAMESPACES_QUERY_KEY = ["namespaces"] as const;

/** GETs JSON; a non-2xx answer throws with the route's `{error: {message}}` when it has one. */
async function getJson<T>(url: string, signal: AbortSignal): Promise<T> {
  const res = await fetch(withBasePath(url), { signal, headers: { accept: "application/json" }, cache: "no-store" });
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
    throw new Error(typeof message === "string" && message !== "" ? message : `${url} answered HTTP ${res.status}`);
  }
  return body as T;
}

/** `GET /api/status`, every 5 s. */
export function useRelayStatus() {
  return useQuery({
    queryKey: STATUS_QUERY_KEY,
    queryFn: ({ signal }) => getJson<RelayStatusView>("/api/status", signal),
    refetchInterval: 5_000,
  });
}

/** `GET /api/namespaces` (namespaces with flows in the last hour), every 30 s. */
export function useNamespaces() {
  return useQuery({
    queryKey: NAMESPACES_QUERY_KEY,
    queryFn: async ({ signal }) => (await getJson<{ namespaces: NamespaceRef[] }>("/api/namespaces", signal)).namespaces,
    refetchInterval: 30_000,
  });
}

/** `GET /api/session`: who is signed in and which namespaces they may see. */
export interface SessionView {
  readonly user: string;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly auth: "none" | "oidc" | "proxy";
  readonly namespaces: "*" | readonly string[];
}

export const SESSION_QUERY_KEY = ["session"] as const;

export function useSession() {
  return useQuery({
    queryKey: SESSION_QUERY_KEY,
    queryFn: ({ signal }) => getJson<SessionView>("/api/session", signal),
    staleTime: 60_000,
  });
}
