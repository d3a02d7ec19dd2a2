import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { contentBounds } from "@/lib/service-map/layout";
import { fitTransform, LEGIBLE_SCALE, nodesThatFit } from "./sizing";

const PANEL = { width: 1438, height: 347 }; // the map panel of a 1440×900 window

describe("map sizing", () => {
  it("a 1440×900 window's panel holds 7 × 3 legible cards, of which a layout fills 85 %; a tiny one still shows a dozen", () => {
    assert.equal(nodesThatFit(PANEL), Math.floor(7 * 3 * 0.85));
    assert.equal(nodesThatFit({ width: 300, height: 200 }), 12);
  });

  it("the fit centres the drawing above the legend, filling one side", () => {
    const positions = [
      { x: 200, y: 100, pinned: false },
      { x: 680, y: 340, pinned: false },
    ];
    const t = fitTransform(PANEL, positions, [], true)!;
    const c = contentBounds(positions)!; // the cards and what is drawn around them
    const left = t.x + t.k * c.x;
    const right = t.x + t.k * (c.x + c.width);
    const top = t.y + t.k * c.y;
    const bottom = t.y + t.k * (c.y + c.height);
    assert.ok(top >= 0 && bottom <= PANEL.height - 36, `y ${top}..${bottom}`);
    assert.ok(left >= 0 && right <= PANEL.width, `x ${left}..${right}`);
    assert.ok(Math.abs((left + right) / 2 - PANEL.width / 2) < 1, "centred across");
    // The short side decides: the drawing spans the drawable height but for the padding.
    assert.ok(bottom - top >= PANEL.height - 36 - 16 - 1, `height ${bottom - top}`);
  });

  it("the automatic fit never goes below the legible zoom; the Fit button does, to show everything", () => {
    const wide = Array.from({ length: 30 }, (_, i) => ({ x: i * 240, y: 100, pinned: false }));
    assert.equal(fitTransform(PANEL, wide, [], true)!.k, LEGIBLE_SCALE);
    assert.ok(fitTransform(PANEL, wide, [], false)!.k < LEGIBLE_SCALE);
  });

  it("nothing to fit, or a panel not yet measured: no transform", () => {
    assert.equal(fitTransform(PANEL, [], [], true), undefined);
    assert.equal(fitTransform({ width: 0, height: 0 }, [{ x: 0, y: 0, pinned: false }], [], true), undefined);
  });
});
