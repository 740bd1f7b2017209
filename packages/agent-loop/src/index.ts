export * from "./loop-index";
export * from "./policies-index";
