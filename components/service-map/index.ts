export { ServiceMap, type ServiceMapProps } from "./service-map";
