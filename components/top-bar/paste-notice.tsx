"use client";

// What a pasted `hubble observe` command did: which flags had no effect, and its warnings.
import { focusRing, mutedText } from "./ui";

export interface PasteNotice {
  readonly ignored: readonly string[];
  readonly warnings: readonly string[];
}

export function PasteNoticeView({ id, notice, onDismiss }: { id: string; notice: PasteNotice; onDismiss: () => void }) {
  return (
    <div id={id} role="status" className="flex items-start gap-2 text-xs text-slate-700 dark:text-slate-300">
      <div className="min-w-0">
        <p>Filters set from the pasted hubble observe command.</p>
        {notice.ignored.length > 0 && (
          <p className={mutedText}>
            Ignored (they do not change which flows match): <span className="font-mono">{notice.ignored.join(", ")}</span>
          </p>
        )}
        {notice.warnings.map((w) => (
          <p key={w} className="text-amber-700 dark:text-amber-400">
            {w}
          </p>
        ))}
      </div>
      <button type="button" aria-label="Dismiss" className={`rounded px-1 ${mutedText} hover:text-slate-900 dark:hover:text-white ${focusRing}`} onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
