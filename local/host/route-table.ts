import type { HttpFunctionOptions } from '@azure/functions';
import { RouteTemplate } from './route-template.js';

export interface HttpRoute {
  name: string;
  template: RouteTemplate;
  /** Undefined: every method, as the host takes a function without `methods`. */
  methods?: Set<string>;
  options: HttpFunctionOptions;
}

export interface ResolvedRoute {
  route: HttpRoute;
  params: Record<string, string>;
}

/**
 * .NET's `StringComparison.OrdinalIgnoreCase`: both names upper-cased, then compared code unit by code unit
 * (so `_` sorts after letters, `-` and digits before).
 */
export function compareOrdinalIgnoreCase(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

const trimSlashes = (route: string) => route.replace(/^\/+|\/+$/g, '');

/**
 * The HTTP routes as the Functions host builds them: one route per function, in function-name order
 * (`FunctionMetadataManager` sorts the functions by name, ordinal ignoring case, and
 * `WebScriptHostHttpRoutesManager` maps their routes in that order into one ASP.NET `RouteCollection`). The host
 * refuses a route in its own `admin`/`runtime` space and two functions with the same route whose methods
 * intersect (`ScriptHost.ValidateHttpFunction`, `HttpRoutesConflict`); so does this table, by throwing.
 */
export class RouteTable {
  readonly routes: readonly HttpRoute[];

  constructor(functions: readonly { name: string; options: HttpFunctionOptions }[]) {
    const routes = [...functions]
      .sort((a, b) => compareOrdinalIgnoreCase(a.name, b.name))
      .map(({ name, options }) => ({
        name,
        options,
        template: new RouteTemplate(options.route || name),
        methods: options.methods?.length
          ? new Set(options.methods.map((method) => method.toUpperCase()))
          : undefined,
      }));
    for (const [index, route] of routes.entries()) {
      const path = trimSlashes(route.template.template).toLowerCase();
      if (path.startsWith('admin') || path.startsWith('runtime'))
        throw new Error(
          `Function '${route.name}': the route '${route.template.template}' conflicts with one or more built in routes.`,
        );
      const earlier = routes.slice(0, index).find((other) => conflict(route, other));
      if (earlier)
        throw new Error(
          `Function '${route.name}': the route specified conflicts with the route defined by function '${earlier.name}'.`,
        );
    }
    this.routes = routes;
  }

  /**
   * The first route, in the host's order, whose template matches the path (after the route prefix) and whose
   * methods take the method; undefined otherwise, which the host answers 404 (the method is a route constraint
   * like any other, so a known path asked with another method is simply not found).
   */
  resolve(method: string, path: string): ResolvedRoute | undefined {
    const wanted = method.toUpperCase();
    for (const route of this.routes) {
      if (route.methods && !route.methods.has(wanted)) continue;
      const params = route.template.match(path);
      if (params) return { route, params };
    }
    return undefined;
  }
}

function conflict(a: HttpRoute, b: HttpRoute): boolean {
  if (trimSlashes(a.template.template).toLowerCase() !== trimSlashes(b.template.template).toLowerCase())
    return false;
  if (!a.methods || !b.methods) return true;
  return [...a.methods].some((method) => b.methods?.has(method));
}
