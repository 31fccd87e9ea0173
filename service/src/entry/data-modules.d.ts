// wrangler's Data rule (wrangler.toml) turns an .onnx import into its bytes.
declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}
