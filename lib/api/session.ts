// `GET /api/session`: who is signed in and which namespaces they may see (the top bar shows it).
// Built by server/http/session.ts from the Viewer.

export interface SessionView {
  readonly user: string;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly auth: "none" | "oidc" | "proxy";
  /** "*": every namespace; else the ones the person may see, sorted. */
  readonly namespaces: "*" | readonly string[];
}

/** `POST /auth/logout`: where the browser goes next (the provider's logout, or the signed-out page). */
export interface SignOutResponse {
  readonly redirect: string;
}
