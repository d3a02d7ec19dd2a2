// The policy-drop investigation's pure side; see README.md in this folder.
export {
  attributeDrop,
  attributedKeys,
  type AttributionSource,
  chargedTo,
  type DropAttribution,
  isInvestigatedDrop,
  parsePolicyKey,
  policyCell,
  policyLongName,
  policyShortName,
} from "./attribution";
export { DEFAULT_CACHE_CAPACITY, ExplanationCache } from "./explanation-cache";
export { type DropCount, dropCountKey, type DropGroup, type DropGroups, type DropSelection, groupDropCounts, groupDrops, type GroupOptions } from "./group";
export { applyDropSelection, isDropSelectionActive } from "./selection";
export { bucketIndex, DEFAULT_BUCKETS, sparklinePath, type TimeWindowMs, windowOfRows } from "./sparkline";
