// Sealed cookie values: JSON encrypted and authenticated with AES-256-GCM through WebCrypto, so the
// same code runs in the page middleware (edge runtime) and in the route handlers (Node). The key is
// derived from the secret and a purpose ("session", "login"), so a value sealed for one purpose
// never opens as another. A value that was altered, sealed with another secret, or has expired
// opens as null.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}\0${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = crypto.subtle
      .digest("SHA-256", encoder.encode(`hubble-lens ${purpose}\0${secret}`))
      .then((raw) => crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
    if (keys.size > 16) keys.clear();
    keys.set(id, key);
  }
  return key;
}

/** `payload` with an expiry, encrypted: base64url(iv ‖ ciphertext). */
export async function seal(payload: Record<string, unknown>, secret: string, purpose: string, expiresAtMs: number): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = encoder.encode(JSON.stringify({ ...payload, exp: Math.floor(expiresAtMs / 1000) }));
  const cipher = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await keyFor(secret, purpose), plain));
  const out = new Uint8Array(iv.length + cipher.length);
  out.set(iv);
  out.set(cipher, iv.length);
  return toBase64Url(out);
}

/** The payload, or null for anything altered, foreign, malformed or expired. */
export async function unseal(value: string | undefined | null, secret: string, purpose: string, nowMs: number): Promise<Record<string, unknown> | null> {
  if (!value || value.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const bytes = fromBase64Url(value);
  if (bytes === null || bytes.length < 12 + 16) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12) }, await keyFor(secret, purpose), bytes.subarray(12));
    const payload: unknown = JSON.parse(decoder.decode(plain));
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return null;
    const exp = (payload as { exp?: unknown }).exp;
    if (typeof exp !== "number" || exp * 1000 <= nowMs) return null;
    return payload as Record<string, unknown>;
  } catch {
    return null;
  }
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
