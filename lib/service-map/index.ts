// The service map's pure side: aggregation, ids and table matching, stable layout, edge geometry.
// See README.md in this folder.
export { DEFAULT_LIMITS, ServiceMapModel, type ServiceMapLimits } from "./aggregate";
export { edgeFlowsPerSecond } from "./aggregate-snapshot";
export { edgeGeometry, edgeLanes, type EdgeGeometry, type Point } from "./geometry";
export { edgeIdOf, nodeIdOf, rowMatchesEdge, rowMatchesNode, selectionMatcher } from "./ids";
export { contentBounds, MapLayout, type NamespaceBox, namespaceBoxes, type NodePosition, type Rect, type SerializedLayout, type ViewportSize } from "./layout";
export {
  edgeDropPolicies,
  type EdgeDropPolicies,
  type EdgeDropPolicy,
  edgeDropText,
  type NodeEndpoint,
  nodeEndpoints,
  type NodeLock,
  nodeLocks,
  nodeLockText,
} from "./policy-annotations";
export { diffRows, type RowDiff, rowsSpanMs } from "./row-diff";
export type * from "./types";
