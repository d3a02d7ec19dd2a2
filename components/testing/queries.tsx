// Test-only: a React Query client for one rendered component. No garbage-collection timers
// (gcTime: Infinity): a pending five-minute timer would keep the test process alive after its
// tests end. No retries: a failing request fails the test at once.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";

export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, retry: false } } });
}

/** `ui` under a query client: a new one, or `client` when the test seeds it or waits on it. */
export function withQueryClient(ui: ReactNode, client: QueryClient = testQueryClient()): ReactNode {
  return <QueryClientProvider client={client}>{ui}</QueryClientProvider>;
}
