// Shared investigations, browser side: what a share sends, and how saved flows are shown. Pure.
export { snapshotFlows, type SnapshotFlows } from "./snapshot";
export { defaultInvestigationTitle, MAX_INVESTIGATION_FLOWS, MAX_NOTE, MAX_TITLE, shareInvestigationBody, type ShareInvestigationBody } from "./share";
