import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ApiError, errorFromAnswer } from "./client";

// How the client reads an error answer: ours, or whatever a proxy or an older/newer server sent.
// Every case gives a message a person can act on, and never more than a bounded line of foreign text.

const WHAT = "GET /api/namespaces";

describe("reading an error answer", () => {
  it("takes our form's code, message and parameter as they are", () => {
    const e = errorFromAnswer(
      "GET /api/flows/history",
      400,
      "Bad Request",
      "application/json",
      JSON.stringify({ error: { code: "invalid-query", message: "since: not a time", param: "since", value: "x" } }),
    );
    assert.ok(e instanceof ApiError);
    assert.deepEqual([e.code, e.message, e.status, e.param], ["invalid-query", "since: not a time", 400, "since"]);
  });

  it("a JSON error with a code this browser does not know: code unknown, the server's message kept", () => {
    const e = errorFromAnswer(WHAT, 418, "", "application/json", JSON.stringify({ error: { code: "teapot-overheated", message: "the teapot is too hot" } }));
    assert.deepEqual([e.code, e.message, e.status], ["unknown", "the teapot is too hot", 418]);
  });

  it('the older `{error: "…"}` form gives its text', () => {
    const e = errorFromAnswer(WHAT, 400, "", "application/json", JSON.stringify({ error: "bad title" }));
    assert.deepEqual([e.code, e.message], ["unknown", "bad title"]);
  });

  it("a proxy's HTML 502 page: says so, names the page's title, and suggests Hubble Lens is down", () => {
    const html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    const e = errorFromAnswer(WHAT, 502, "Bad Gateway", "text/html", html);
    assert.equal(e.code, "unknown");
    assert.equal(e.status, 502);
    assert.equal(
      e.message,
      'GET /api/namespaces failed: HTTP 502 Bad Gateway, with an HTML page titled "502 Bad Gateway" instead of a Hubble Lens error; a proxy in front of Hubble Lens may have answered because Hubble Lens did not (is it running?)',
    );
  });

  it("an HTML page with no title, and entities in a title, read as text", () => {
    assert.match(
      errorFromAnswer(WHAT, 500, "", "text/html; charset=utf-8", "<html><body>oops</body></html>").message,
      /HTTP 500, with an HTML page instead of a Hubble Lens error$/,
    );
    assert.match(errorFromAnswer(WHAT, 404, "", "text/html", "<title>Not &lt;found&gt; &amp; gone</title>").message, /titled "Not <found> & gone"/);
  });

  it("a plain-text 502 from a proxy: its first words, on one bounded line", () => {
    const e = errorFromAnswer(WHAT, 502, "Bad Gateway", "text/plain", `upstream connect error or disconnect/reset before headers.\nreset reason: ${"x".repeat(500)}`);
    assert.match(e.message, /^GET \/api\/namespaces failed: HTTP 502 Bad Gateway: upstream connect error or disconnect\/reset before headers\. reset reason: x+…; a proxy/);
    assert.ok(e.message.length < 300, "foreign text is bounded");
  });

  it("an empty 504", () => {
    assert.match(errorFromAnswer(WHAT, 504, "Gateway Timeout", null, "").message, /^GET \/api\/namespaces failed: HTTP 504 Gateway Timeout, with no message; a proxy/);
  });

  it("JSON that is not our error form, and JSON cut off mid-way", () => {
    assert.match(errorFromAnswer(WHAT, 500, "", "application/json", '{"status":"down"}').message, /HTTP 500, with JSON that is not a Hubble Lens error$/);
    assert.match(errorFromAnswer(WHAT, 500, "", "application/json", '{"error": {"code": "inter').message, /HTTP 500: \{"error": \{"code": "inter$/);
  });

  it("an error object without a message is not trusted for one", () => {
    assert.match(
      errorFromAnswer(WHAT, 403, "Forbidden", "application/json", '{"error":{"code":"forbidden-namespace"}}').message,
      /HTTP 403 Forbidden, with JSON that is not a Hubble Lens error/,
    );
  });
});
