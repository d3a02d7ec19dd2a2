"use client";

// Which namespaces the map shows as one node: those it collapsed to stay legible (sticky for the
// view, so the map does not flip as nodes arrive) and those the user collapsed, minus those the
// user expanded and those holding the selection.

import { useCallback, useMemo, useRef, useState } from "react";
import { collapseGroupOf, collapseGroups, collapseNamespaces, focusNamespaces, namespacesToCollapse } from "@/lib/service-map/collapse";
import type { ServiceMapNode, ServiceMapSnapshot } from "@/lib/service-map/types";

const NO_NAMESPACES: ReadonlySet<string> = new Set();

interface Toggled {
  readonly key: string;
  readonly expanded: ReadonlySet<string>;
  readonly collapsed: ReadonlySet<string>;
}

export interface CollapsedViewInput {
  readonly snapshot: ServiceMapSnapshot;
  /** The view's key: a new view starts with nothing collapsed or expanded by hand. */
  readonly viewKey: string;
  /** How many nodes fit the panel legibly (Infinity until it is measured). */
  readonly capacity: number;
  readonly selectedNodeId?: string;
  readonly selectedEdgeId?: string;
}

export function useCollapsedView({ snapshot, viewKey, capacity, selectedNodeId, selectedEdgeId }: CollapsedViewInput) {
  const [toggled, setToggled] = useState<Toggled>({ key: viewKey, expanded: NO_NAMESPACES, collapsed: NO_NAMESPACES });
  const user = toggled.key === viewKey ? toggled : { key: viewKey, expanded: NO_NAMESPACES, collapsed: NO_NAMESPACES };
  const autoCollapsed = useRef<{ key: string; set: Set<string> }>({ key: viewKey, set: new Set() });
  if (autoCollapsed.current.key !== viewKey) autoCollapsed.current = { key: viewKey, set: new Set() };

  const selectionNamespaces = useMemo(() => {
    const keep = new Set<string>();
    for (const id of selectedEdgeId ? selectedEdgeId.split("|").slice(0, 2) : selectedNodeId ? [selectedNodeId] : []) {
      const node = snapshot.nodes.find((n) => n.id === id);
      const ns = node && collapseGroupOf(node);
      if (ns) keep.add(ns);
    }
    return keep;
  }, [snapshot.nodes, selectedNodeId, selectedEdgeId]);

  const view = useMemo(() => {
    const auto = autoCollapsed.current.set;
    // What is shown with the namespaces collapsed so far (a collapsed one counts as one node).
    const folded = new Set([...auto].filter((ns) => !user.expanded.has(ns) && !selectionNamespaces.has(ns)));
    const groups = collapseGroups(snapshot);
    const shownNodes: { namespace: string; kind: ServiceMapNode["kind"] }[] = snapshot.nodes.filter((n) => !folded.has(collapseGroupOf(n)));
    for (const ns of folded) if (groups.includes(ns)) shownNodes.push({ namespace: "", kind: "namespace" });
    // Once the user expanded or collapsed a namespace, the map stops deciding for them.
    if (shownNodes.length > capacity && user.expanded.size === 0 && user.collapsed.size === 0) {
      const keep = new Set([...selectionNamespaces, ...focusNamespaces(snapshot)]);
      for (const ns of namespacesToCollapse(shownNodes, capacity, keep)) auto.add(ns);
    }
    const collapse = new Set([...auto, ...user.collapsed].filter((ns) => !user.expanded.has(ns) && !selectionNamespaces.has(ns)));
    return collapseNamespaces(snapshot, collapse);
  }, [snapshot, capacity, user.expanded, user.collapsed, selectionNamespaces]);

  /** Expands (or collapses) these namespaces by the user's choice. */
  const toggleNamespaces = useCallback(
    (namespaces: readonly string[], expand: boolean) =>
      setToggled((t) => {
        const base = t.key === viewKey ? t : { key: viewKey, expanded: NO_NAMESPACES, collapsed: NO_NAMESPACES };
        const expanded = new Set(base.expanded);
        const collapsed = new Set(base.collapsed);
        for (const ns of namespaces) {
          if (expand) {
            expanded.add(ns);
            collapsed.delete(ns);
          } else {
            collapsed.add(ns);
            expanded.delete(ns);
          }
        }
        return { key: viewKey, expanded, collapsed };
      }),
    [viewKey],
  );

  return { view, toggleNamespaces, selectionNamespaces };
}
