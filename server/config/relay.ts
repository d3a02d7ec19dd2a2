import "server-only";
import { z } from "zod";
import { booleanValue, durationValue, hostPortValue, integerValue, pathListValue, pathValue, quote, serverNameValue } from "./values";
import { checkReadable, readCaFile, readClientCert, type ClientCertificate } from "./files";
import type { ConfigProblem } from "./problems";
import { variable, type ParsedValues } from "./variable";

// The relay: its address, TLS (the hubble CLI's variables and rules: a client certificate
// implies TLS, certificate and key come together) and timeouts; and the embedded demo relay
// that runs when no address is given.

const DEMO_SCENARIO = z.string().transform((raw, ctx) => {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(raw)) {
    ctx.addIssue({ code: "custom", message: `must be a scenario name such as shop (got ${quote(raw)})` });
    return z.NEVER;
  }
  return raw;
});

const RING_CAPACITY = integerValue(1, 65535, "4095").transform((value, ctx) => {
  // Hubble's ring buffer only comes in 2^n - 1 sizes (container.Capacity1 ... Capacity65535).
  if ((value & (value + 1)) !== 0) {
    ctx.addIssue({
      code: "custom",
      message: `must be 2^n-1 like Hubble's ring buffer: 1, 3, 7, ..., 4095, ..., 65535 (got ${value})`,
    });
    return z.NEVER;
  }
  return value;
});

const FLOW_RATE = z.string().transform((raw, ctx) => {
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(value > 0 && value <= 100_000)) {
    ctx.addIssue({
      code: "custom",
      message: `must be flows per second, a number above 0 and at most 100000, e.g. 200 (got ${quote(raw)})`,
    });
    return z.NEVER;
  }
  return value;
});

/** The relay and how to reach it (the hubble CLI's names). */
export const RELAY_VARIABLES = {
  HUBBLE_RELAY_ADDR: variable({
    aliases: ["HUBBLE_SERVER"],
    defaultText: "unset: embedded demo relay",
    description:
      "Hubble Relay address as host:port, e.g. localhost:4245 (after `cilium hubble port-forward`) or " +
      "hubble-relay.kube-system.svc:80. A tls:// prefix turns TLS on, as in the hubble CLI. " +
      "Unset: Hubble Lens starts its embedded demo relay.",
    schema: hostPortValue,
  }),
  HUBBLE_TLS: variable({
    default: "false",
    description: "Use TLS to the relay. Implied by a tls:// address and by any other HUBBLE_TLS_* setting.",
    schema: booleanValue,
  }),
  HUBBLE_TLS_CA_CERT_FILES: variable({
    defaultText: "system roots",
    description:
      "PEM files with the CA certificates that signed the relay's certificate, separated by commas " +
      "or spaces. With Cilium's generated certificates, that is the Cilium CA (ca.crt of the cilium-ca secret).",
    schema: pathListValue,
  }),
  HUBBLE_TLS_CLIENT_CERT_FILE: variable({
    description: "PEM client certificate for mutual TLS. Needs HUBBLE_TLS_CLIENT_KEY_FILE; together they turn TLS on.",
    schema: pathValue,
  }),
  HUBBLE_TLS_CLIENT_KEY_FILE: variable({
    description: "PEM private key (unencrypted) of HUBBLE_TLS_CLIENT_CERT_FILE.",
    schema: pathValue,
  }),
  HUBBLE_TLS_SERVER_NAME: variable({
    defaultText: "host of HUBBLE_RELAY_ADDR",
    description: "Name to verify the relay's certificate against, e.g. ui.hubble-relay.cilium.io, when it differs " + "from the host you connect to (port-forwards, IP addresses).",
    schema: serverNameValue,
  }),
  HUBBLE_TLS_ALLOW_INSECURE: variable({
    default: "false",
    description:
      "Skip verifying the relay's certificate chain and host name. Not recommended: anyone on the path " +
      "can read and alter the flows. Prefer HUBBLE_TLS_CA_CERT_FILES and HUBBLE_TLS_SERVER_NAME.",
    schema: booleanValue,
  }),
  HUBBLE_DIAL_TIMEOUT: variable({
    aliases: ["HUBBLE_TIMEOUT"],
    default: "5s",
    description: "How long to wait for a connection to the relay before reporting it unreachable.",
    schema: durationValue,
  }),
  HUBBLE_REQUEST_TIMEOUT: variable({
    default: "12s",
    description: "Deadline of unary requests (ServerStatus, GetNodes, GetNamespaces); flow streams have none.",
    schema: durationValue,
  }),
} as const;

type RelayVariable = keyof typeof RELAY_VARIABLES;

/** The embedded demo relay, used when HUBBLE_RELAY_ADDR is unset. */
export const DEMO_VARIABLES = {
  HUBBLE_LENS_DEMO_SCENARIO: variable({
    default: "shop",
    description: "Demo relay only: the simulated cluster and its traffic.",
    schema: DEMO_SCENARIO,
  }),
  HUBBLE_LENS_DEMO_RATE: variable({
    default: "200",
    description: "Demo relay only: flows per second across all simulated nodes.",
    schema: FLOW_RATE,
  }),
  HUBBLE_LENS_DEMO_SEED: variable({
    default: "7",
    description: "Demo relay only: random seed; the same seed gives the same flows.",
    schema: integerValue(0, 2 ** 32 - 1, "7"),
  }),
  HUBBLE_LENS_DEMO_BUFFER: variable({
    default: "4095",
    description: "Demo relay only: flows kept per simulated node, 2^n-1 like Hubble's ring buffer.",
    schema: RING_CAPACITY,
  }),
  HUBBLE_LENS_DEMO_REPLAY: variable({
    description:
      "Demo relay only: replay a capture (`hubble observe -o jsonpb` output or a Hubble exporter file) " +
      "instead of simulating a scenario, in a loop with times shifted to now (fresh uuids each pass).",
    schema: pathValue,
  }),
} as const;

export interface RelayTlsSettings {
  /** Concatenated PEM of every HUBBLE_TLS_CA_CERT_FILES file; null means the system roots. */
  caCertPem: Buffer | null;
  caCertFiles: readonly string[];
  /** Present for mutual TLS. */
  clientCert: ClientCertificate | null;
  serverName: string | null;
  allowInsecure: boolean;
}

export type RelaySource = { kind: "external"; address: string; tls: RelayTlsSettings | null } | { kind: "demo" };

export interface DemoRelaySettings {
  scenario: string;
  rate: number;
  seed: number;
  bufferCapacity: number;
  /** A capture to replay instead of the scenario. */
  replay: string | null;
}

/** Where the flows come from: the relay at HUBBLE_RELAY_ADDR (with TLS when anything asks for it) or the demo relay; undefined when that is wrong (a problem says why). */
export function resolveRelay(
  values: Partial<ParsedValues<typeof RELAY_VARIABLES>>,
  given: ReadonlySet<string>,
  problems: ConfigProblem[],
  warnings: string[],
): RelaySource | undefined {
  const address = values.HUBBLE_RELAY_ADDR;
  const certFile = values.HUBBLE_TLS_CLIENT_CERT_FILE;
  const keyFile = values.HUBBLE_TLS_CLIENT_KEY_FILE;
  const caFiles = values.HUBBLE_TLS_CA_CERT_FILES ?? [];

  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [missing, present] =
      certFile === undefined ? ["HUBBLE_TLS_CLIENT_CERT_FILE", "HUBBLE_TLS_CLIENT_KEY_FILE"] : ["HUBBLE_TLS_CLIENT_KEY_FILE", "HUBBLE_TLS_CLIENT_CERT_FILE"];
    problems.push({
      variable: missing,
      message: `missing: mutual TLS needs both a client certificate and its key, but only ${present} is set`,
    });
  }

  const tlsSettings: RelayVariable[] = ["HUBBLE_TLS_CA_CERT_FILES", "HUBBLE_TLS_CLIENT_CERT_FILE", "HUBBLE_TLS_CLIENT_KEY_FILE", "HUBBLE_TLS_SERVER_NAME"];
  const tlsImpliedBy = tlsSettings.filter((n) => given.has(n));
  if (values.HUBBLE_TLS_ALLOW_INSECURE === true) tlsImpliedBy.push("HUBBLE_TLS_ALLOW_INSECURE");

  if (address === undefined) {
    if (given.has("HUBBLE_RELAY_ADDR")) return undefined; // already reported as malformed
    const ignored = [...tlsImpliedBy, ...(given.has("HUBBLE_TLS") ? ["HUBBLE_TLS"] : [])];
    if (ignored.length > 0) {
      warnings.push(`${ignored.join(", ")} ignored: HUBBLE_RELAY_ADDR is not set, so the embedded demo relay is used.`);
    }
    return { kind: "demo" };
  }

  const tlsExplicit = given.has("HUBBLE_TLS") ? values.HUBBLE_TLS : undefined;
  if (tlsExplicit === false && (address.tlsPrefix || tlsImpliedBy.length > 0)) {
    const reasons = [...(address.tlsPrefix ? ["the tls:// prefix of HUBBLE_RELAY_ADDR"] : []), ...tlsImpliedBy];
    problems.push({
      variable: "HUBBLE_TLS",
      message: `is false, but ${reasons.join(", ")} ask${reasons.length === 1 ? "s" : ""} for TLS; remove HUBBLE_TLS=false or those settings`,
    });
    return undefined;
  }
  const useTls = tlsExplicit === true || address.tlsPrefix || tlsImpliedBy.length > 0;
  if (!useTls) return { kind: "external", address: address.address, tls: null };

  const caPems = caFiles.map((file) => readCaFile(file, problems));
  let clientCert: ClientCertificate | null = null;
  if (certFile !== undefined && keyFile !== undefined) clientCert = readClientCert(certFile, keyFile, problems);

  const allowInsecure = values.HUBBLE_TLS_ALLOW_INSECURE ?? false;
  if (allowInsecure) {
    warnings.push(
      "HUBBLE_TLS_ALLOW_INSECURE=true: the relay's certificate is NOT verified. Anyone between Hubble Lens " +
        "and the relay can read and change the flows. Set HUBBLE_TLS_CA_CERT_FILES (and HUBBLE_TLS_SERVER_NAME) instead.",
    );
  }
  const caPemsOk = caPems.filter((p): p is Buffer => p !== null);
  return {
    kind: "external",
    address: address.address,
    tls: {
      caCertPem: caPemsOk.length > 0 ? Buffer.concat(caPemsOk.flatMap((p) => [p, Buffer.from("\n")])) : null,
      caCertFiles: caFiles,
      clientCert,
      serverName: values.HUBBLE_TLS_SERVER_NAME ?? null,
      allowInsecure,
    },
  };
}

/** The demo relay's settings; its capture must be readable, and its variables are only worth a warning when a real relay is used. */
export function resolveDemo(
  values: Partial<ParsedValues<typeof DEMO_VARIABLES>>,
  given: ReadonlySet<string>,
  relay: RelaySource | undefined,
  problems: ConfigProblem[],
  warnings: string[],
): DemoRelaySettings {
  const replay = values.HUBBLE_LENS_DEMO_REPLAY;
  if (replay !== undefined) checkReadable("HUBBLE_LENS_DEMO_REPLAY", replay, "a capture file", problems);
  if (relay?.kind === "external") {
    const demoVars = [...given].filter((n) => n.startsWith("HUBBLE_LENS_DEMO_"));
    if (demoVars.length > 0) {
      warnings.push(`${demoVars.join(", ")} ignored: HUBBLE_RELAY_ADDR is set, so the demo relay does not run.`);
    }
  }
  // Read only when the whole configuration is valid: every demo variable has a default.
  const v = values as ParsedValues<typeof DEMO_VARIABLES>;
  return {
    scenario: v.HUBBLE_LENS_DEMO_SCENARIO,
    rate: v.HUBBLE_LENS_DEMO_RATE,
    seed: v.HUBBLE_LENS_DEMO_SEED,
    bufferCapacity: v.HUBBLE_LENS_DEMO_BUFFER,
    replay: replay ?? null,
  };
}
