// The dashboard's top bar and the states shown around it; see each file's header.
export { TopBar, type TopBarProps } from "./top-bar";
export { RelayBanner, type RelayBannerProps } from "./relay-banner";
export { EmptyState, emptyReason, activeQueryLines, type EmptyStateProps, type EmptyReason } from "./empty-state";
export { NamespacePicker, type NamespacePickerProps } from "./namespace-picker";
export { VerdictToggles, VERDICT_CHOICES, type VerdictTogglesProps } from "./verdict-toggles";
export { FilterBar, type FilterBarProps } from "./filter-bar";
export { looksLikeHubbleObserveCommand } from "./filter-entry";
export { TimeWindow, type TimeWindowProps } from "./time-window";
export { StatusIndicator, type StatusIndicatorProps } from "./status-indicator";
export { useRelayStatus, useNamespaces, STATUS_QUERY_KEY, NAMESPACES_QUERY_KEY, type RelayStatusView, type NamespaceRef } from "./queries";
