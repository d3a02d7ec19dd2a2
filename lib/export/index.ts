// Export of the flows in view: `hubble observe -o jsonpb` lines and CSV. Pure; the download buttons
// live in components/flow-table/export-buttons.tsx.
export { toGetFlowsResponseJson, toJsonpbLine, toJsonpbLines } from "./jsonpb";
export { CSV_COLUMNS, csvCell, csvLines, toCsv } from "./csv";
