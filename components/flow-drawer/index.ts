export { FlowDrawer, type FlowDrawerProps } from "./flow-drawer";
