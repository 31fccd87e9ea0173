// wrangler's Data rule (wrangler.toml) turns an .onnx import into its bytes.
declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}

// workerd's built-in module: the Worker's bindings, readable at global scope, and the base class that
// gives a Durable Object RPC methods (this.ctx and this.env are set by its constructor).
declare module "cloudflare:workers" {
  export const env: Record<string, unknown>;
  export abstract class DurableObject {
    protected ctx: unknown;
    protected env: unknown;
    constructor(ctx: unknown, env: unknown);
  }
}
