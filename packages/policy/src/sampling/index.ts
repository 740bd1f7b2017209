export { ModelSampler, promptTokens } from "./model-sampler";
export { SamplerPolicy, type SamplerPolicyOptions } from "./sampler-policy";
