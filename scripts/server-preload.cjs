// Loaded with `node --require` in front of Next's server: by `npm start` (scripts/start.mjs, around
// `next start`) and by the image (`node --require ./server-preload.cjs server.js`). Two jobs:
//
// 1. The peer address. Next.js hands route handlers and middleware a Request without the socket,
//    so they cannot know which address connected, and proxy sign-in (HUBBLE_LENS_AUTH=proxy) must
//    believe X-Forwarded-User only from the configured proxy addresses. Every request the HTTP
//    server receives gets `x-hubble-lens-peer: <token> <socket address>`, replacing whatever the
//    client sent under that name; the token is random per process (HUBBLE_LENS_PEER_TOKEN, made
//    here, never inherited), so a client cannot forge the header. lib/auth/request.ts reads it.
// 2. The listen address: HUBBLE_LENS_HOST (default 127.0.0.1, loopback) becomes Next's HOSTNAME,
//    which the standalone server.js listens on (Kubernetes sets HOSTNAME to the pod's name).
//
// HUBBLE_LENS_PROCESS_SECRET (random per process) seals sign-in sessions when no
// HUBBLE_LENS_SESSION_SECRET is configured.
"use strict";
const { randomBytes } = require("node:crypto");
const http = require("node:http");

const HEADER = "x-hubble-lens-peer";
const token = randomBytes(32).toString("base64url");
process.env.HUBBLE_LENS_PEER_TOKEN = token;
process.env.HUBBLE_LENS_PROCESS_SECRET = randomBytes(32).toString("base64url");
process.env.HOSTNAME = (process.env.HUBBLE_LENS_HOST || "").trim() || "127.0.0.1";

function stamp(listener) {
  if (typeof listener !== "function") return listener;
  return function stampedListener(req, res) {
    // rawHeaders too: whichever Next reads, the client's own value is gone.
    const raw = req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i].toLowerCase() === HEADER) raw.splice(i, 2);
    const value = `${token} ${req.socket.remoteAddress ?? ""}`;
    req.headers[HEADER] = value;
    raw.push(HEADER, value);
    return listener.call(this, req, res);
  };
}

const createServer = http.createServer;
http.createServer = function createStampingServer(...args) {
  const i = args.findIndex((a) => typeof a === "function");
  if (i >= 0) args[i] = stamp(args[i]);
  const server = createServer.apply(this, args);
  const on = server.on;
  // A listener added later with server.on("request", …) is stamped as well.
  server.on = server.addListener = function (event, listener) {
    return on.call(this, event, event === "request" ? stamp(listener) : listener);
  };
  return server;
};
