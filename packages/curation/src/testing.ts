// Fixtures for tests and benchmarks of curation pipelines (`@hdpo/curation/testing`).
export { tinyPng, tinyPngDataUri } from "./testing/tiny-png";
export { type PythonCallFixture, pythonTrajectoryRow } from "./testing/trajectory-fixture";
