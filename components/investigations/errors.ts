/** The message of an API error body: `{error: "…"}` or `{error: {code, message}}`. */
export function apiErrorMessage(body: unknown, status: number): string {
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error === "string") return error;
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : `the server answered ${status}`;
}
