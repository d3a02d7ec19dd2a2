import "server-only";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Test PKI made with the openssl CLI in a temp dir: a CA, a relay certificate for
// 127.0.0.1/localhost/relay.hubble-lens.test, one for relay.hubble-lens.test only (to need
// HUBBLE_TLS_SERVER_NAME), a client certificate, and an unrelated CA. EC P-256: quick to make.

export const CUSTOM_SERVER_NAME = "relay.hubble-lens.test";

export interface TestPki {
  dir: string;
  /** Absolute paths of every file below, by name. */
  path(name: PkiFile): string;
  pem(name: PkiFile): Buffer;
  cleanup(): void;
}

export type PkiFile =
  "ca.crt" | "other-ca.crt" | "server.crt" | "server.key" | "named-server.crt" | "named-server.key" | "client.crt" | "client.key" | "stranger-client.crt" | "stranger-client.key";

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function selfSignedCa(dir: string, name: string, cn: string): void {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
  ]);
}

function issue(dir: string, ca: string, name: string, cn: string, extensions: string): void {
  openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "hubble-lens-pki-"));
  selfSignedCa(dir, "ca", "hubble-lens test CA");
  selfSignedCa(dir, "other-ca", "some other CA");
  issue(dir, "ca", "server", "relay", `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${CUSTOM_SERVER_NAME}\nextendedKeyUsage=serverAuth\n`);
  issue(dir, "ca", "named-server", CUSTOM_SERVER_NAME, `subjectAltName=DNS:${CUSTOM_SERVER_NAME}\nextendedKeyUsage=serverAuth\n`);
  issue(dir, "ca", "client", "hubble-lens", "extendedKeyUsage=clientAuth\n");
  issue(dir, "other-ca", "stranger-client", "stranger", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    path: (name) => join(dir, name),
    pem: (name) => readFileSync(join(dir, name)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
