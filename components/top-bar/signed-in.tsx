"use client";

import { api } from "@/lib/api/client";
import { withBasePath } from "@/lib/base-path";
import { useSession } from "./queries";
import { buttonClass, mutedText } from "./ui";

/**
 * The server ends the session and answers where to go next (the provider's logout, or the
 * signed-out page). A script navigates there: a form's redirect to another origin would be
 * blocked by the page's CSP (form-action 'self').
 */
async function signOut(): Promise<void> {
  // Whatever the server answers, the page leaves: at worst the dashboard asks to sign in again.
  const next = await api.signOut().catch(() => ({ redirect: withBasePath("/") }));
  window.location.assign(next.redirect);
}

/** Who is signed in (with sign-in on), the namespaces they may see, and sign-out for OIDC sessions. */
export function SignedIn() {
  const { data } = useSession();
  if (!data || data.auth === "none") return null;
  const scope = data.namespaces === "*" ? "every namespace" : data.namespaces.length === 0 ? "no namespace" : data.namespaces.join(", ");
  return (
    <span className={`flex items-center gap-2 text-xs ${mutedText}`} data-testid="signed-in">
      <span title={`May see: ${scope}${data.groups.length ? `; groups: ${data.groups.join(", ")}` : ""}`}>
        <span data-testid="signed-in-user">{data.user}</span>
      </span>
      {data.auth === "oidc" && (
        <button type="button" className={buttonClass} data-testid="sign-out" onClick={() => void signOut()}>
          Sign out
        </button>
      )}
    </span>
  );
}
