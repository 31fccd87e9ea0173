// GET /v1/responses/{id}, DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items: the caller's
// own stored responses. Another key's id answers exactly like an id that never existed (404).
import { Hono } from "hono";
import type { components } from "../generated/openapi.js";
import { ApiError, invalidRequest } from "../protocol/errors.js";
import type { ItemPageQuery, ResponseStore } from "../responses/index.js";
import type { AppEnv } from "./env.js";
import { ownerOf } from "./owner.js";

type ItemList = components["schemas"]["ResponseItemList"];
type Deleted = components["schemas"]["ResponseDeleted"];

export const responseNotFound = (id: string, param: string | null = null) =>
  new ApiError(404, `Response with id '${id}' not found.`, "invalid_request_error", "not_found", param);

function pageQuery(query: Record<string, string>): ItemPageQuery {
  const limitText = query.limit ?? "20";
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 100)
    throw invalidRequest(
      `Invalid 'limit': expected an integer from 1 to 100, got '${limitText}'.`,
      "limit",
      "invalid_value",
    );
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc")
    throw invalidRequest(
      `Invalid 'order': expected 'asc' or 'desc', got '${order}'.`,
      "order",
      "invalid_value",
    );
  return { after: query.after || undefined, limit, order };
}

export function storedResponseRoutes(store: ResponseStore) {
  const routes = new Hono<AppEnv>();
  routes.get("/:id", async (c) => {
    const id = c.req.param("id");
    const response = await store.get(await ownerOf(c), id);
    if (!response) throw responseNotFound(id);
    return c.json(response);
  });
  routes.delete("/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await store.delete(await ownerOf(c), id))) throw responseNotFound(id);
    const deleted: Deleted = { id, object: "response", deleted: true };
    return c.json(deleted);
  });
  routes.get("/:id/input_items", async (c) => {
    const id = c.req.param("id");
    const query = pageQuery(c.req.query());
    const page = await store.inputItems(await ownerOf(c), id, query);
    if (!page) throw responseNotFound(id);
    const list: ItemList = {
      object: "list",
      data: page.data,
      first_id: page.data[0]?.id ?? null,
      last_id: page.data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    };
    return c.json(list);
  });
  return routes;
}
