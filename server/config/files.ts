import "server-only";
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import type { ConfigProblem } from "./problems";
import { quote } from "./values";

// Reads the files named by the configuration at start, so a wrong path, a non-PEM file or a key
// that does not match its certificate stops the server with a precise message.

/** A client certificate and its key for mutual TLS, read and checked to belong together. */
export interface ClientCertificate {
  certFile: string;
  keyFile: string;
  certPem: Buffer;
  keyPem: Buffer;
}

function readFile(variable: string, path: string, what: string, problems: ConfigProblem[]): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    reportUnreadable(variable, path, what, err, problems);
    return null;
  }
}

/** Opens and closes the file: a capture can be large, so it is not read here. */
export function checkReadable(variable: string, path: string, what: string, problems: ConfigProblem[]): boolean {
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
    closeSync(openSync(path, "r"));
    return true;
  } catch (err) {
    reportUnreadable(variable, path, what, err, problems);
    return false;
  }
}

function reportUnreadable(variable: string, path: string, what: string, err: unknown, problems: ConfigProblem[]) {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "does not exist"
      : code === "EACCES"
        ? "is not readable by this process (check its permissions)"
        : code === "EISDIR"
          ? "is a directory"
          : `cannot be read (${code ?? "unknown error"})`;
  problems.push({ variable, message: `${quote(path)} ${reason}; point it at ${what}` });
}

const PEM_CERT = "-----BEGIN CERTIFICATE-----";

export function readCaFile(path: string, problems: ConfigProblem[]): Buffer | null {
  const variable = "HUBBLE_TLS_CA_CERT_FILES";
  const pem = readFile(variable, path, "a PEM CA certificate file", problems);
  if (pem === null) return null;
  if (!pem.includes(PEM_CERT) || !parsesAsCertificate(pem)) {
    problems.push({ variable, message: `${quote(path)} holds no PEM certificate (expected ${PEM_CERT} ...)` });
    return null;
  }
  return pem;
}

export function readClientCert(certFile: string, keyFile: string, problems: ConfigProblem[]): ClientCertificate | null {
  const certPem = readFile("HUBBLE_TLS_CLIENT_CERT_FILE", certFile, "a PEM certificate file", problems);
  const keyPem = readFile("HUBBLE_TLS_CLIENT_KEY_FILE", keyFile, "a PEM private key file", problems);
  let cert: X509Certificate | null = null;
  if (certPem !== null) {
    cert = certPem.includes(PEM_CERT) ? parsesAsCertificate(certPem) : null;
    if (cert === null) {
      problems.push({
        variable: "HUBBLE_TLS_CLIENT_CERT_FILE",
        message: `${quote(certFile)} holds no PEM certificate (expected ${PEM_CERT} ...)`,
      });
    }
  }
  let key: KeyObject | null = null;
  if (keyPem !== null) {
    try {
      key = createPrivateKey({ key: keyPem, format: "pem" });
    } catch (err) {
      const encrypted = /passphrase|encrypted/i.test(String((err as Error).message)) || keyPem.includes("ENCRYPTED");
      problems.push({
        variable: "HUBBLE_TLS_CLIENT_KEY_FILE",
        message: encrypted
          ? `${quote(keyFile)} is encrypted; decrypt it first (openssl pkey -in key.pem -out key-plain.pem)`
          : `${quote(keyFile)} holds no PEM private key (expected -----BEGIN PRIVATE KEY----- ...)`,
      });
    }
  }
  if (cert === null || key === null || certPem === null || keyPem === null) return null;
  if (!cert.checkPrivateKey(key)) {
    problems.push({
      variable: "HUBBLE_TLS_CLIENT_KEY_FILE",
      message: `${quote(keyFile)} is not the private key of the certificate in HUBBLE_TLS_CLIENT_CERT_FILE ${quote(certFile)}`,
    });
    return null;
  }
  return { certFile, keyFile, certPem, keyPem };
}

function parsesAsCertificate(pem: Buffer): X509Certificate | null {
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}
