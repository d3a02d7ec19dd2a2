import type { StreamEvent } from "@/lib/sse";
import type { OpenEventStream } from "@/components/flow-stream-store";

/**
 * Stands in for the page's event stream in component tests (pass `FakeEventSource.open` as the
 * store's or the Dashboard's `openStream`): the test plays the server, sending events by their type
 * with their JSON as the data. Every instance made is in `opened` (reset it before each test), so a
 * test finds the stream the code under test opened.
 */
export class FakeEventSource {
  static opened: FakeEventSource[] = [];
  static readonly open: OpenEventStream = (url) => new FakeEventSource(url);
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  private readonly handlers = new Map<string, ((e: { data: string }) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(name: string, handler: (e: { data: string }) => void): void {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), handler]);
  }
  close(): void {
    this.closed = true;
  }
  /** An event as the server sends it: named by its type, its JSON as the data. */
  send(event: StreamEvent): void {
    this.sendRaw(event.type, JSON.stringify(event));
  }
  /** Any data under any event name (what a broken or hostile server could send). */
  sendRaw(name: string, data: string): void {
    for (const h of this.handlers.get(name) ?? []) h({ data });
  }
}
