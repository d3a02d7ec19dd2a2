"use client";

import { useLayoutEffect, useRef } from "react";

/** Latest value in a ref, for stable callbacks. */
export function useLatest<T>(value: T) {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
