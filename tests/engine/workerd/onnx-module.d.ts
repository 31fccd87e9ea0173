// wrangler's Data rule turns a .onnx import into an ArrayBuffer.
declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}
