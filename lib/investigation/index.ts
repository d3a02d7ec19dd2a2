// Shared investigations, browser side: what a share sends, how saved flows are shown, and what a
// referenced one's page says of them. Pure.
export { referenceAvailability, savedFlowsRead, type ReferenceAvailability, type SavedFlowsRead } from "./reference";
export { snapshotFlows, type SnapshotFlows } from "./snapshot";
export { defaultInvestigationTitle, MAX_INVESTIGATION_FLOWS, MAX_NOTE, MAX_TITLE, shareInvestigationBody, type ShareInvestigationBody } from "./share";
