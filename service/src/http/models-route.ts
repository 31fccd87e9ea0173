// GET /v1/models and /v1/models/{model}, in OpenAI's list/model shapes.
import { Hono } from "hono";
import type { Gateway, ModelEntry } from "../gateway/types.js";
import { modelNotFound } from "../protocol/errors.js";
import type { Model, ModelList } from "../protocol/wire.js";

const toWire = (m: ModelEntry): Model => ({
  id: m.id,
  object: "model",
  created: m.created,
  owned_by: m.ownedBy,
});

export function modelsRoutes(gateway: Gateway) {
  const routes = new Hono();
  routes.get("/", (c) => {
    const list: ModelList = { object: "list", data: gateway.listModels().map(toWire) };
    return c.json(list);
  });
  // Model ids may contain slashes (e.g. "org/model"), so the parameter takes the rest of the path.
  routes.get("/:model{.+}", (c) => {
    const id = c.req.param("model");
    const model = gateway.getModel(id);
    if (!model) throw modelNotFound(id);
    return c.json(toWire(model));
  });
  return routes;
}
