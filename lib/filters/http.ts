import type { EventTypeFilter, Flow, FlowFilter, HTTP } from "@/proto/gen/flow/flow_pb";
import { FilterBuildError } from "./errors";
import { compileRE2 } from "./regex";
import { isSet, quote, type FieldMatcher } from "./types";
import { requestURIPath } from "./url";

/** Cilium's monitor message type for L7 access-log events. */
export const MESSAGE_TYPE_ACCESS_LOG = 129;

const STATUS_FULL = /^[1-5][0-9]{2}$/;
const STATUS_PREFIX = /^[1-5][0-9]?\+$/;

/** http_* filters only make sense on L7 events: the event_type list must be empty or include 129. */
function requireL7(types: readonly EventTypeFilter[] | undefined, what: string): void {
  if (!isSet(types)) return;
  if (types.some((t) => t.type === MESSAGE_TYPE_ACCESS_LOG)) return;
  throw new FilterBuildError(`filtering by ${what} requires the event type filter to only match 'l7' events`);
}

function httpOf(flow: Flow): HTTP | undefined {
  const record = flow.l7?.record;
  return record?.case === "http" ? record.value : undefined;
}

function statusMatcher(codes: readonly string[]): FieldMatcher {
  const full = new Set<string>();
  const prefixes: string[] = [];
  for (const code of codes) {
    if (STATUS_FULL.test(code)) full.add(code);
    else if (STATUS_PREFIX.test(code)) prefixes.push(code.slice(0, -1));
    else throw new FilterBuildError(`invalid http status code filter: invalid status code prefix: ${quote(code)}`);
  }
  return (flow) => {
    const http = httpOf(flow);
    // Requests carry code 0; only responses have a status.
    if (!http || !http.code) return false;
    const text = http.code < 10 ? `00${http.code}` : http.code < 100 ? `0${http.code}` : String(http.code);
    if (full.has(text)) return true;
    for (let i = 0; i < prefixes.length; i++) {
      if (text.startsWith(prefixes[i])) return true;
    }
    return false;
  };
}

/** Case-insensitive equality (Go's strings.EqualFold), without allocating for ASCII. */
export function equalFold(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0x80 || y >= 0x80) return a.toLowerCase() === b.toLowerCase();
    const lx = x >= 0x41 && x <= 0x5a ? x | 0x20 : x;
    const ly = y >= 0x41 && y <= 0x5a ? y | 0x20 : y;
    if (lx !== ly) return false;
  }
  return true;
}

function methodMatcher(methods: readonly string[]): FieldMatcher {
  return (flow) => {
    const http = httpOf(flow);
    if (!http || !http.method) return false;
    for (let i = 0; i < methods.length; i++) {
      if (equalFold(http.method, methods[i])) return true;
    }
    return false;
  };
}

function pathMatcher(patterns: readonly string[]): FieldMatcher {
  const regexes = patterns.map((p) => compileRE2(p, (msg) => `invalid http path filter: ${p}: ${msg}`));
  return (flow) => {
    const http = httpOf(flow);
    if (!http || !http.url) return false;
    const path = requestURIPath(http.url);
    if (path === null) return false;
    for (let i = 0; i < regexes.length; i++) {
      if (regexes[i].test(path)) return true;
    }
    return false;
  };
}

function urlMatcher(patterns: readonly string[]): FieldMatcher {
  const regexes = patterns.map((p) => compileRE2(p, (msg) => `invalid http url filter: ${p}: ${msg}`));
  return (flow) => {
    const http = httpOf(flow);
    if (!http || !http.url) return false;
    for (let i = 0; i < regexes.length; i++) {
      if (regexes[i].test(http.url)) return true;
    }
    return false;
  };
}

/** A flow header matches an entry when key and value are both equal (case-sensitive). */
function headerMatcher(entries: FlowFilter["httpHeader"]): FieldMatcher {
  const keys = entries.map((h) => h.key);
  const values = entries.map((h) => h.value);
  return (flow) => {
    const headers = httpOf(flow)?.headers;
    if (!headers) return false;
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i];
      for (let j = 0; j < keys.length; j++) {
        if (keys[j] === h.key && values[j] === h.value) return true;
      }
    }
    return false;
  };
}

export function buildHTTPMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.httpStatusCode)) {
    requireL7(f.eventType, "http status code");
    out.push(statusMatcher(f.httpStatusCode));
  }
  if (isSet(f.httpMethod)) {
    requireL7(f.eventType, "http method");
    out.push(methodMatcher(f.httpMethod));
  }
  if (isSet(f.httpPath)) {
    requireL7(f.eventType, "http path");
    out.push(pathMatcher(f.httpPath));
  }
  if (isSet(f.httpUrl)) {
    requireL7(f.eventType, "http url");
    out.push(urlMatcher(f.httpUrl));
  }
  if (isSet(f.httpHeader)) {
    requireL7(f.eventType, "http headers");
    out.push(headerMatcher(f.httpHeader));
  }
}
