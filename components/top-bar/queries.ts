// Request/response data of the top bar, owned by React Query. The page can call the same hooks
// (same keys, so one request serves every component that asks).
import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { NamespaceRef } from "@/lib/api/namespaces";
import type { SessionView } from "@/lib/api/session";
import type { RelayStatusView } from "@/lib/api/status";

export type { NamespaceRef, RelayStatusView, SessionView };

export const STATUS_QUERY_KEY = ["relay-status"] as const;
export const NAMESPACES_QUERY_KEY = ["namespaces"] as const;
export const SESSION_QUERY_KEY = ["session"] as const;

/** `GET /api/status`, every 5 s. */
export function useRelayStatus() {
  return useQuery({
    queryKey: STATUS_QUERY_KEY,
    queryFn: ({ signal }) => api.status(signal),
    refetchInterval: 5_000,
  });
}

/** `GET /api/namespaces` (namespaces with flows in the last hour), every 30 s. */
export function useNamespaces() {
  return useQuery({
    queryKey: NAMESPACES_QUERY_KEY,
    queryFn: ({ signal }) => api.namespaces(signal),
    refetchInterval: 30_000,
  });
}

/** `GET /api/session`: who is signed in and which namespaces they may see. */
export function useSession() {
  return useQuery({
    queryKey: SESSION_QUERY_KEY,
    queryFn: ({ signal }) => api.session(signal),
    staleTime: 60_000,
  });
}
