// Public surface of the flow details model; see README.md in this folder.
export { flowDetailSections, leafPaths, SECTION_TITLES, type DetailField, type Section, type SectionId } from "./sections";
export * from "./filter-entries";
export { flowDisplay, endpointText, l7Text, policyName, utcClock, verdictTone, type FlowDisplay, type VerdictTone } from "./display";
export * from "./names";
