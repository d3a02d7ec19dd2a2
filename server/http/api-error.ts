import "server-only";

// The error form every Hubble Lens route answers with: `{"error": {"code", "message"}}`, never a
// stack and never a server path. Codes are short kebab-case words a script can switch on; the
// message says what to send instead.

export function apiError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}
