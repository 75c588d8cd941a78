// The OpenAPI 3.1 description, derived from the route table: the same zod
// schemas that validate each request describe it here, and each route's
// output schema (src/api/responses.ts) its success body.
import { z } from "zod";
import { HTTP_STATUS, needsToken, routes, type AnyRoute } from "../api/index.js";

const pathParams = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

function jsonSchema(s: z.ZodType, io: "input" | "output" = "input"): object {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

const ERROR_SCHEMA = {
  type: "object",
  required: ["error", "message"],
  properties: {
    error: { type: "string", enum: Object.keys(HTTP_STATUS) },
    reason: { type: "string", description: "the lower layer's own code, e.g. domain.running" },
    message: { type: "string", description: "one line" },
    detail: { type: "array", items: { type: "string" }, description: "lines quoted from elsewhere, as they are (a guest's console when it did not boot)" },
    hint: { type: "string", description: "what to do about it" },
    exit: { type: "integer", description: "the CLI's exit status for the same error" },
  },
};

function operation(r: AnyRoute): object {
  const shape = (r.input as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  const inPath = pathParams(r.path);
  const rest = Object.keys(shape).filter((k) => !inPath.includes(k));
  const param = (name: string, where: "path" | "query") => ({
    name, in: where, required: where === "path" || !shape[name]!.safeParse(undefined).success, schema: jsonSchema(shape[name]!),
  });
  const mutating = r.method !== "GET";
  const secured = needsToken(r);
  const errorCodes = ["400", ...(secured ? ["401"] : []), "404", "409", "422"];
  const success = r.output ? jsonSchema(r.output, "output") : {};
  return {
    operationId: r.id,
    summary: r.summary,
    description: `CLI: \`${r.cli}\`.${secured ? " Needs `Authorization: Bearer <token>`." : ""}`,
    parameters: [...inPath.map((n) => param(n, "path")), ...(mutating ? [] : rest.map((n) => param(n, "query"))),
      ...(mutating ? [{ name: "X-Operation-Id", in: "header", required: false, schema: { type: "string", pattern: "^[A-Za-z0-9._-]{1,64}$" }, description: "echoed in this request's `progress` events" }] : [])],
    ...(mutating ? {
      requestBody: {
        required: true,
        content: { "application/json": { schema: jsonSchema(z.object(Object.fromEntries(rest.map((k) => [k, shape[k]!]))).strict()) } },
      },
    } : {}),
    ...(secured ? { security: [{ bearer: [] }] } : {}),
    responses: {
      ...Object.fromEntries((r.statuses ?? [200]).map((s) => [String(s), { description: `done (${s === 201 ? "created" : "ok"}); the body is what \`${r.cli} --json\` prints`, content: { "application/json": { schema: success } } }])),
      ...Object.fromEntries(errorCodes.map((c) => [c, { $ref: "#/components/responses/Error" }])),
    },
  };
}

export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes as readonly AnyRoute[]) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  paths["/api/events"] = {
    get: {
      operationId: "events", summary: "Server-sent events: hello on connect, change after every mutation, progress during long ones",
      responses: { "200": { description: "text/event-stream", content: { "text/event-stream": { schema: { type: "string" } } } } },
    },
  };
  paths["/api/openapi.json"] = { get: { operationId: "openapi", summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } };
  paths["/api/health"] = { get: { operationId: "health", summary: "The daemon's pid and state directory", responses: { "200": { description: "{ pid, state, version }" } } } };
  return {
    openapi: "3.1.0",
    info: { title: "vnvdimm", version, description: "Persistent memory for virtual machines. Errors are `{ error, message, hint? }` with a 4xx; u64 values are exact JSON numbers." },
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "the token in <state>/api-token (mode 0600), written by `vnvdimm up`" } },
      schemas: { Error: ERROR_SCHEMA },
      responses: { Error: { description: "a user error: one line and a hint", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } } },
    },
  };
}
