// Filter-bar completions; see README.md in this folder.
export { escapeRe2, MAX_SCANNED_ROWS, suggestFilterEntries } from "./suggest";
