// Hooks shared by the top-bar components.
import { type FocusEvent, type KeyboardEvent, type Ref, type RefCallback, useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";

const noSubscription = () => () => {};
/** False while rendering on the server and hydrating, true after: for text that depends on the browser (time zone, clock). */
export function useIsClient(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

/** The clock, ticking every `intervalMs` while `active` (for countdowns); frozen otherwise. */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

/**
 * A popover anchored in `rootRef`: closes on Esc (returning focus to the trigger), on a pointer
 * press outside, and when focus leaves it. Esc is stopped here so the page's own Esc (close
 * panels) does not fire too.
 */
export function usePopover<T extends HTMLElement = HTMLButtonElement>() {
  const [open, setOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  const triggerRef = useRef<T>(null);

  const close = useCallback((refocus = true) => {
    setOpen(false);
    if (refocus) triggerRef.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return;
    const onPointerDown = (e: PointerEvent) => {
      if (rootRef.current && !rootRef.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", onPointerDown);
    return () => document.removeEventListener("pointerdown", onPointerDown);
  }, [open]);

  const rootProps = {
    ref: rootRef,
    onKeyDown(e: KeyboardEvent) {
      if (e.key === "Escape" && open) {
        consumeKey(e);
        close();
      }
    },
    onBlur(e: FocusEvent) {
      const next = e.relatedTarget as Node | null;
      if (open && next && rootRef.current && !rootRef.current.contains(next)) setOpen(false);
    },
  };
  return { open, setOpen, close, rootRef, triggerRef, rootProps };
}

/**
 * Marks a key as handled by this control, so the page's global shortcuts (Esc closes panels,
 * Space pauses) do not act on it too. React listens at its root — the document in the App Router —
 * where a page's `document` listener sits beside it, so stopping propagation alone is not enough.
 */
export function consumeKey(e: KeyboardEvent): void {
  e.preventDefault();
  e.stopPropagation();
  e.nativeEvent.stopImmediatePropagation();
}

/** One ref callback feeding several refs (the parent's `filterInputRef` and our own). */
export function mergeRefs<T>(...refs: (Ref<T> | undefined)[]): RefCallback<T> {
  return (value: T | null) => {
    for (const ref of refs) {
      if (typeof ref === "function") ref(value);
      else if (ref) (ref as { current: T | null }).current = value;
    }
  };
}
