export { FlowTable, ROW_HEIGHT, type FlowTableProps } from "./flow-table";
export { ExportButtons, type ExportButtonsProps } from "./export-buttons";
export { ColumnPicker, type ColumnPickerProps } from "./column-picker";
export { COLUMNS, COLUMN_IDS, DEFAULT_COLUMNS, type ColumnId } from "./columns";
