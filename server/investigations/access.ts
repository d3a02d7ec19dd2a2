import "server-only";
import type { InvestigationView, ReferenceAvailability } from "@/lib/api/investigations";
import { scopePolicySet } from "@/lib/access/policies";
import { ALL_NAMESPACES, flowVisible, type NamespaceAccess } from "@/lib/access/scope";
import { log } from "@/server/log";
import { type InvestigationHistory, referenceAvailability, unknownAvailability } from "./referenced";
import type { FlowReference, Investigation, InvestigationStore } from "./store";

// Who may open an investigation, and what they see of it: the API's routes
// (server/http/investigations.ts) and the /investigations/<id> page decide alike.

/** Who asks (server/auth/viewer.ts); without sign-in, "anonymous" seeing every namespace. */
export interface InvestigationViewer {
  readonly user: string;
  readonly groups: readonly string[];
  readonly access: NamespaceAccess;
}

export const ANONYMOUS_VIEWER: InvestigationViewer = { user: "anonymous", groups: [], access: ALL_NAMESPACES };

/**
 * Whether `access` may open it: every one of its flows has its source or destination in a
 * namespace the person may see. An investigation whose namespaces were not recorded (saved before
 * sign-in existed) only by those who see every namespace.
 */
export function investigationVisible(inv: Pick<Investigation, "flowNamespaces">, access: NamespaceAccess): boolean {
  if (access.all) return true;
  if (inv.flowNamespaces === null) return false;
  return inv.flowNamespaces.every(([src, dst]) => flowVisible(access, src, dst));
}

/**
 * The investigation if `viewer` may open it, else undefined, as for an unknown id: the answer
 * never tells whether an id exists. Audits the opening (and a refused one).
 */
export async function openInvestigation(store: InvestigationStore, id: string, viewer: InvestigationViewer): Promise<Investigation | undefined> {
  const inv = await store.get(id);
  if (inv === undefined) return undefined;
  if (!investigationVisible(inv, viewer.access)) {
    log.audit("investigation open refused", { user: viewer.user, id, reason: "flows of namespaces the user may not see" });
    return undefined;
  }
  log.audit("investigation opened", { user: viewer.user, id, owner: inv.owner });
  return inv;
}

/** The store's investigation minus what is never sent, plus what is said about it to this person. */
type InvestigationAnswer = Omit<Investigation, "flowNamespaces" | "reference"> & { canDelete: boolean; reference?: ReferenceAvailability };

// The answer is built by spreading the store's record: a field added to Investigation and not to
// the API's InvestigationView (or the other way round) would reach the browser unnamed. Both
// directions are checked here.
type MissingKeys<A, B> = Exclude<keyof A, keyof B>;
const sameFields: [MissingKeys<InvestigationAnswer, InvestigationView>, MissingKeys<InvestigationView, InvestigationAnswer>] extends [never, never] ? true : false = true;
void sameFields;

/**
 * The investigation as the API answers it: its policies as the person may read them, no internals
 * (a reference's filters carry the saver's namespace scope: they are not shown). A referenced one
 * says what the flow history still holds of it.
 */
export async function investigationForViewer(inv: Investigation, viewer: InvestigationViewer, history?: InvestigationHistory): Promise<InvestigationView> {
  const { flowNamespaces: _ns, reference, ...rest } = inv;
  const answer: InvestigationAnswer = {
    ...rest,
    policies: scopePolicySet(inv.policies, viewer.access),
    canDelete: inv.owner === viewer.user,
    ...(reference ? { reference: await availabilityOrUnknown(history, reference, viewer.access, inv.id) } : {}),
  };
  return answer;
}

/** A flow history that cannot be read now is said on the page, not turned into an error page. */
async function availabilityOrUnknown(history: InvestigationHistory | undefined, ref: FlowReference, access: NamespaceAccess, id: string): Promise<ReferenceAvailability> {
  try {
    return await referenceAvailability(history, ref, access);
  } catch (err) {
    log.error(`reading a referenced investigation's flows from the flow history failed: ${err instanceof Error ? err.message : String(err)}`, { id });
    return unknownAvailability(ref);
  }
}
