import { create } from "@bufbuild/protobuf";
import { HTTPHeaderSchema, Verdict, VerdictSchema, type HTTPHeader } from "../../proto/gen/flow/flow_pb";
import { spec, ValueError, type FilterKind, type KindSpec } from "./kind-spec";
import { nonEmpty, PROTOCOLS, enumName, VERDICT_NAMES, unknownEnum, type VerdictName } from "./kind-values";

// The kinds about what happened to the traffic and what it carried: verdict, protocol, HTTP.
export const TRAFFIC_KINDS: Readonly<Record<"verdict" | "protocol" | "http-status" | "http-method" | "http-path" | "http-url" | "http-header", KindSpec>> = {
  verdict: spec({
    kind: "verdict",
    directional: false,
    flag: "verdict",
    field: "verdict",
    expects: `one of ${VERDICT_NAMES.filter((n) => n !== "VERDICT_UNKNOWN").join(", ")}`,
    example: "verdict=DROPPED",
    normalize: (raw) => enumName(VERDICT_NAMES, "verdict", raw),
    toProto: (v) => Verdict[v as VerdictName],
    fromProto: (e) => VerdictSchema.values.find((v) => v.number === e)?.name ?? unknownEnum("verdict", e),
  }),
  protocol: spec({
    kind: "protocol",
    directional: false,
    flag: "protocol",
    field: "protocol",
    expects: `one of ${PROTOCOLS.join(", ")}`,
    example: "protocol=tcp",
    normalize(raw) {
      const lower = raw.toLowerCase();
      if (!PROTOCOLS.includes(lower)) throw new ValueError(`unknown protocol "${raw}"`);
      return lower;
    },
  }),
  "http-status": spec({
    kind: "http-status",
    directional: false,
    flag: "http-status",
    field: "httpStatusCode",
    expects: "a status code (404) or a prefix ending in '+' (5+, 40+)",
    example: "http-status=5+",
    normalize(raw) {
      if (!/^[1-5][0-9]{2}$/.test(raw) && !/^[1-5][0-9]?\+$/.test(raw)) {
        throw new ValueError("expected a code 100–599 such as 404, or a prefix such as 5+ or 40+");
      }
      return raw;
    },
  }),
  "http-method": spec({
    kind: "http-method",
    directional: false,
    flag: "http-method",
    field: "httpMethod",
    expects: "an HTTP method (GET, post, …)",
    example: "http-method=GET",
    normalize(raw) {
      if (!/^[A-Za-z]+$/.test(raw)) throw new ValueError("an HTTP method is a word such as GET or post");
      return raw;
    },
  }),
  "http-path": spec({
    kind: "http-path",
    directional: false,
    flag: "http-path",
    field: "httpPath",
    expects: "an RE2 regular expression matched anywhere in the URL path",
    example: "http-path=^/api/",
    normalize: nonEmpty("an HTTP path pattern"),
  }),
  "http-url": spec({
    kind: "http-url",
    directional: false,
    flag: "http-url",
    field: "httpUrl",
    expects: "an RE2 regular expression matched anywhere in the full URL",
    example: "http-url=cilium\\.io",
    normalize: nonEmpty("an HTTP URL pattern"),
  }),
  "http-header": spec({
    kind: "http-header",
    directional: false,
    flag: "http-header",
    field: "httpHeader",
    expects: "name:value",
    example: "http-header=x-tenant:blue",
    normalize(raw) {
      if (raw.indexOf(":") <= 0) throw new ValueError("an HTTP header filter is name:value");
      return raw;
    },
    toProto(v): HTTPHeader {
      const i = v.indexOf(":");
      return create(HTTPHeaderSchema, { key: v.slice(0, i), value: v.slice(i + 1) });
    },
    fromProto(e) {
      const h = e as HTTPHeader;
      if (h.key === "") throw new ValueError("an HTTP header filter without a name");
      return `${h.key}:${h.value}`;
    },
  }),
} satisfies Readonly<Partial<Record<FilterKind, KindSpec>>>;
