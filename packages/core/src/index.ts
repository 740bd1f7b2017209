export * from "./message";
export * from "./policy";
export * from "./task";
export * from "./tool-call";
export * from "./tool-executor";
export * from "./trajectory";
export * from "./validate";
export * from "./verdict";
