// wrangler's Data rule (wrangler.toml) turns an .onnx import into its bytes.
declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}

// workerd's built-in module: the Worker's bindings, readable at global scope.
declare module "cloudflare:workers" {
  export const env: Record<string, unknown>;
}
