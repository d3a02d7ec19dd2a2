import "server-only";
import type { FlowReferenceView, InvestigationView } from "@/lib/api/investigations";
import { scopePolicySet } from "@/lib/access/policies";
import { ALL_NAMESPACES, flowVisible, type NamespaceAccess } from "@/lib/access/scope";
import { log } from "@/server/log";
import { type InvestigationHistory, referenceView, unknownReferenceView } from "./referenced";
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
type InvestigationAnswer = Omit<Investigation, "flowNamespaces" | "reference"> & { canDelete: boolean; reference?: FlowReferenceView };

// The answer is built by spreading the store's record: a field added to Investigation and not to
// the API's InvestigationView (or the other way round) would reach the browser unnamed. Both
// directions are checked here.
type MissingKeys<A, B> = Exclude<keyof A, keyof B>;
const sameFields: [MissingKeys<InvestigationAnswer, InvestigationView>, MissingKeys<InvestigationView, InvestigationAnswer>] extends [never, never] ? true : false = true;
void sameFields;

/**
 * The investigation as the API answers it: its policies as the person may read them, no internals
 * (a reference's filters carry the saver's namespace scope: they are not shown). A referenced one
 * carries what is known of it without reading its flows (its window, the count saved, how far
 * back history reaches): its flows are read once, when the page asks for them, and the page says
 * from their count how many remain.
 */
export async function investigationForViewer(inv: Investigation, viewer: InvestigationViewer, history?: InvestigationHistory): Promise<InvestigationView> {
  const { flowNamespaces: _ns, reference, ...rest } = inv;
  const answer: InvestigationAnswer = {
    ...rest,
    policies: scopePolicySet(inv.policies, viewer.access),
    canDelete: inv.owner === viewer.user,
    ...(reference ? { reference: await referenceOrUnknown(history, reference, inv.id) } : {}),
  };
  return answer;
}

/** A flow history whose figures cannot be read now is said on the page, not turned into an error page. */
async function referenceOrUnknown(history: InvestigationHistory | undefined, ref: FlowReference, id: string): Promise<FlowReferenceView> {
  try {
    return await referenceView(history, ref);
  } catch (err) {
    log.error(`reading the flow history's figures for a referenced investigation failed: ${err instanceof Error ? err.message : String(err)}`, { id });
    return unknownReferenceView(ref);
  }
}
