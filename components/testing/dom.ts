// Test-only: a browser-like DOM (happy-dom) for component tests, loaded before any test file by
// scripts/run-tests.mjs (`--import`), so React DOM and Testing Library find `window` and `document`
// when they load. Component tests run without `--conditions=react-server` (that condition swaps in
// React's server build, which has no hooks).
import { GlobalRegistrator } from "@happy-dom/global-registrator";

GlobalRegistrator.register({ url: "http://localhost:3000/" });
// Tells React that updates are wrapped in act() (Testing Library does that), so it does not warn.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
