import "server-only";

// The demo relay's traffic simulator.
export { type SimulatedEvent, type SimulatedNode, type SimulatorOptions, TrafficSimulator } from "./simulator";
