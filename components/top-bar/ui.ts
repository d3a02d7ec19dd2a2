// Class lists shared by the top-bar controls, so they look like one family in light and dark.

export const focusRing = "focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-500";

export const buttonClass =
  "inline-flex h-7 items-center gap-1 whitespace-nowrap rounded border border-slate-300 bg-white px-2 text-xs font-medium text-slate-700 " +
  "hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800 " +
  focusRing;

/** A toggle in a segmented group: pressed state from aria-pressed. */
export const toggleClass =
  "inline-flex h-7 items-center whitespace-nowrap px-2 text-xs font-medium text-slate-600 hover:bg-slate-100 " +
  "aria-pressed:bg-sky-600 aria-pressed:text-white aria-pressed:hover:bg-sky-700 " +
  "dark:text-slate-300 dark:hover:bg-slate-800 dark:aria-pressed:bg-sky-500 dark:aria-pressed:text-slate-950 " +
  focusRing;

export const segmentGroupClass =
  "inline-flex divide-x divide-slate-300 overflow-hidden rounded border border-slate-300 bg-white dark:divide-slate-700 dark:border-slate-700 dark:bg-slate-900";

export const popoverClass =
  "absolute z-40 mt-1 rounded-md border border-slate-200 bg-white text-xs text-slate-800 shadow-lg dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";

export const inputClass =
  "h-7 rounded border border-slate-300 bg-white px-2 text-xs text-slate-900 placeholder:text-slate-400 " +
  "dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100 dark:placeholder:text-slate-500 " +
  focusRing;

export const mutedText = "text-slate-500 dark:text-slate-400";
