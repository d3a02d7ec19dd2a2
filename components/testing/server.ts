// Test-only: a real HTTP server the page is "served from", so the browser's API client (real
// fetch, same-origin paths) reaches it: the component tests' stand-in for Hubble Lens, answering
// the way a route does, or the way a proxy does when it fails. The page's URL is set to the
// server's origin while it runs and restored by close().
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

type HappyDom = { happyDOM: { setURL(url: string): void } };

export interface PageServer {
  readonly origin: string;
  /** Requests seen, as "METHOD /path?query". */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function servePage(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<PageServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const origin = `http://127.0.0.1:${address.port}`;
  const previous = window.location.href;
  (globalThis as unknown as HappyDom).happyDOM.setURL(`${origin}/`);
  return {
    origin,
    requests,
    close: async () => {
      (globalThis as unknown as HappyDom).happyDOM.setURL(previous);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
