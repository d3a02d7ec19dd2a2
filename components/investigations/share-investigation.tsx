"use client";

import { useEffect, useId, useRef, useState } from "react";
import { MAX_NOTE, MAX_TITLE, type ShareInvestigationBody } from "@/lib/investigation";
import { buttonClass, inputClass, mutedText } from "@/components/top-bar/ui";
import { useSession } from "@/components/top-bar/queries";
import { api } from "@/lib/api/client";
import type { InvestigationFlowSource } from "@/lib/api/investigations";

/** With sign-in: who finds it in their list (the link opens for anyone who may see all its flows). */
function SharedWith() {
  const { data } = useSession();
  if (!data || data.auth === "none") return null;
  return (
    <p className={`text-xs ${mutedText}`} data-testid="share-audience">
      Listed for you{data.groups.length > 0 ? ` and your groups (${data.groups.join(", ")})` : ""}; the link opens for anyone who may see all its flows. Only you can delete it.
    </p>
  );
}

type Phase =
  | { readonly kind: "editing" }
  | { readonly kind: "saving"; readonly flows: number }
  | { readonly kind: "saved"; readonly url: string; readonly flowSource: InvestigationFlowSource; readonly flowCount: number }
  | { readonly kind: "failed"; readonly message: string };

/**
 * "Share investigation": asks for a title and a note, saves a snapshot (flows in view, selected
 * drop, policies as they are now) and shows the link, which works after the relay's buffers rotate,
 * the policies change or the server restarts.
 */
export function ShareInvestigationButton({
  defaultTitle,
  build,
  disabled,
}: {
  readonly defaultTitle: string;
  /** Builds the request when the user saves, so the flows are those in view at that moment. */
  readonly build: (title: string, note: string) => ShareInvestigationBody;
  readonly disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className={buttonClass}
        disabled={disabled}
        onClick={() => setOpen(true)}
        title="Save the flows in view, the selected drop and today's policies, and get a link that lasts"
      >
        Share investigation
      </button>
      {open && <ShareDialog defaultTitle={defaultTitle} build={build} onClose={() => setOpen(false)} />}
    </>
  );
}

function ShareDialog({
  defaultTitle,
  build,
  onClose,
}: {
  readonly defaultTitle: string;
  readonly build: (title: string, note: string) => ShareInvestigationBody;
  readonly onClose: () => void;
}) {
  const [title, setTitle] = useState(defaultTitle);
  const [note, setNote] = useState("");
  const [phase, setPhase] = useState<Phase>({ kind: "editing" });
  const [copied, setCopied] = useState(false);
  const titleId = useId();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const save = async () => {
    const body = build(title, note);
    setPhase({ kind: "saving", flows: body.flows.length });
    try {
      const answer = await api.createInvestigation(body);
      setPhase({ kind: "saved", url: new URL(answer.url, window.location.origin).toString(), flowSource: answer.flowSource, flowCount: answer.flowCount });
    } catch (err) {
      setPhase({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
    }
  };

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center bg-slate-900/40 pt-24" onClick={onClose}>
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid="share-investigation-dialog"
        className="w-[min(32rem,92vw)] rounded-md border border-slate-200 bg-white p-4 text-sm text-slate-900 shadow-xl dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id={titleId} className="mb-3 text-base font-semibold">
          Share investigation
        </h2>
        {phase.kind === "saved" ? (
          <div className="space-y-3">
            <p>Saved. This link opens the same flows, drop and policies, also after the relay has moved on:</p>
            <p className={`text-xs ${mutedText}`} data-testid="investigation-saved-as">
              {phase.flowSource === "reference"
                ? `It points at the ${phase.flowCount.toLocaleString("en-US")} flows of this window in the flow history (kept as long as its retention allows).`
                : `It keeps a copy of ${phase.flowCount.toLocaleString("en-US")} flows.`}
            </p>
            <input
              readOnly
              aria-label="Investigation link"
              data-testid="investigation-link"
              value={phase.url}
              className={`${inputClass} w-full`}
              onFocus={(e) => e.currentTarget.select()}
            />
            <div className="flex gap-2">
              <button type="button" className={buttonClass} onClick={() => void copy(phase.url)}>
                {copied ? "Copied" : "Copy link"}
              </button>
              <a className={buttonClass} href={phase.url} target="_blank" rel="noreferrer">
                Open
              </a>
              <button type="button" className={`${buttonClass} ml-auto`} onClick={onClose}>
                Done
              </button>
            </div>
          </div>
        ) : (
          <form
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <label className="block">
              <span className="mb-1 block text-xs font-medium">Title</span>
              <input ref={first} required maxLength={MAX_TITLE} value={title} onChange={(e) => setTitle(e.target.value)} className={`${inputClass} w-full`} />
            </label>
            <label className="block">
              <span className="mb-1 block text-xs font-medium">Note</span>
              <textarea
                maxLength={MAX_NOTE}
                rows={4}
                value={note}
                onChange={(e) => setNote(e.target.value)}
                placeholder="What you found, what to check next"
                className={`${inputClass} h-auto w-full py-1`}
              />
            </label>
            <p className={`text-xs ${mutedText}`}>Saves the flows in view (up to 50,000), the selected flow, the view and the policies in force now.</p>
            <SharedWith />
            {phase.kind === "failed" && (
              <p role="alert" className="text-xs text-red-700 dark:text-red-400">
                Could not save: {phase.message}
              </p>
            )}
            <div className="flex gap-2">
              <button type="submit" className={buttonClass} disabled={phase.kind === "saving"}>
                {phase.kind === "saving" ? `Saving ${phase.flows.toLocaleString("en-US")} flows…` : "Save and get link"}
              </button>
              <button type="button" className={`${buttonClass} ml-auto`} onClick={onClose}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </div>
    </div>
  );
}
