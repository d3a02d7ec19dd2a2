import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { RelayStateView } from "@/lib/sse";
import { RelayBanner } from "./relay-banner";

afterEach(cleanup);

const ADDRESS = "hubble-relay.kube-system.svc:80";

describe("RelayBanner", () => {
  it("shows nothing while connecting or live without a break", () => {
    const states: (RelayStateView | undefined)[] = [undefined, { kind: "connecting", address: ADDRESS }, { kind: "live", address: ADDRESS, since: "2026-01-01T00:00:00Z" }];
    for (const relay of states) {
      const { container, unmount } = render(<RelayBanner relay={relay} />);
      assert.equal(container.textContent, "", `${relay?.kind ?? "no state"}: nothing rendered`);
      unmount();
    }
  });

  it("while reconnecting: an alert with the address, the last error and the attempt", () => {
    const nextTryAt = new Date(Date.now() + 60_000).toISOString();
    render(<RelayBanner relay={{ kind: "reconnecting", address: ADDRESS, attempt: 3, nextTryAt, lastError: "connection refused" }} />);
    const alert = screen.getByRole("alert");
    assert.match(alert.textContent!, /Lost the connection to Hubble Relay\./);
    assert.match(alert.textContent!, new RegExp(`Address ${ADDRESS.replaceAll(".", "\\.")}`));
    assert.match(alert.textContent!, /Last error: connection refused/);
    assert.match(alert.textContent!, /Retrying in \d+ s \(attempt 3\)/);
    assert.match(alert.textContent!, /new flows resume when the relay is back/);
  });

  it("once failed: says retrying stopped and gives the reason", () => {
    render(<RelayBanner relay={{ kind: "failed", address: ADDRESS, reason: "certificate signed by unknown authority" }} />);
    const alert = screen.getByRole("alert");
    assert.match(alert.textContent!, /Hubble Relay unreachable, stopped retrying\./);
    assert.match(alert.textContent!, /Reason: certificate signed by unknown authority/);
    assert.match(alert.textContent!, /reload the page to try again/);
    assert.doesNotMatch(alert.textContent!, /Retrying/);
  });

  it("back after a break: says how long flows may be missing, until dismissed", () => {
    const outage = { from: "2026-01-01T10:00:00Z", to: "2026-01-01T10:00:12.5Z", seconds: 12.5 };
    const relay: RelayStateView = { kind: "live", address: ADDRESS, since: outage.to, outage };
    const { rerender, container } = render(<RelayBanner relay={relay} />);
    const notice = screen.getByTestId("relay-outage");
    assert.match(notice.textContent!, /Hubble Relay is back\./);
    assert.match(notice.textContent!, /could not be followed for 12\.5 s/);
    fireEvent.click(screen.getByRole("button", { name: "Dismiss the relay outage notice" }));
    assert.equal(container.textContent, "");
    // The same outage stays dismissed; a later one shows again.
    rerender(<RelayBanner relay={{ ...relay }} />);
    assert.equal(container.textContent, "");
    const later = { from: "2026-01-01T11:00:00Z", to: "2026-01-01T11:00:03Z", seconds: 3 };
    rerender(<RelayBanner relay={{ kind: "live", address: ADDRESS, since: later.to, outage: later }} />);
    assert.match(screen.getByTestId("relay-outage").textContent!, /could not be followed for 3 s/);
  });
});
