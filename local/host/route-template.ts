/**
 * Functions (ASP.NET) route templates: literal segments, `{name}`, optional `{name?}`, catch-all `{*name}`
 * and the common constraints `{id:int}`, `{id:guid}`, `{name:alpha}`, `{flag:bool}`, `{n:long}`.
 */
type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'parameter'; name: string; optional: boolean; constraint?: Constraint }
  | { kind: 'catchAll'; name: string };

type Constraint = 'int' | 'long' | 'guid' | 'alpha' | 'bool';

const constraints: Record<Constraint, RegExp> = {
  int: /^-?\d{1,10}$/,
  long: /^-?\d{1,19}$/,
  guid: /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
};

export class RouteTemplate {
  private readonly segments: Segment[];

  constructor(readonly template: string) {
    this.segments = template
      .replace(/^\/+|\/+$/g, '')
      .split('/')
      .filter((part) => part.length > 0)
      .map((part, index, all) => parseSegment(template, part, index === all.length - 1));
  }

  /** The route values when `path` (after the route prefix) matches; undefined otherwise. */
  match(path: string): Record<string, string> | undefined {
    const parts = path
      .replace(/^\/+|\/+$/g, '')
      .split('/')
      .filter((part) => part.length > 0);
    const params: Record<string, string> = {};
    for (const [index, segment] of this.segments.entries()) {
      if (segment.kind === 'catchAll') {
        const rest = parts.slice(index).map(decodeURIComponent).join('/');
        if (rest) params[segment.name] = rest;
        return params;
      }
      const part = parts[index];
      if (part === undefined) {
        return segment.kind === 'parameter' && segment.optional ? params : undefined;
      }
      const value = decodeURIComponent(part);
      if (segment.kind === 'literal') {
        if (value.toLowerCase() !== segment.text.toLowerCase()) return undefined;
      } else {
        if (segment.constraint && !constraints[segment.constraint].test(value)) return undefined;
        params[segment.name] = value;
      }
    }
    return parts.length === this.segments.length ? params : undefined;
  }
}

function parseSegment(template: string, part: string, isLast: boolean): Segment {
  const match = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}$/.exec(part);
  if (!match) {
    if (/[{}]/.test(part)) throw new Error(`Route '${template}': cannot read segment '${part}'.`);
    return { kind: 'literal', text: part };
  }
  const [, star, name = '', constraint, optional] = match;
  if (star) {
    if (!isLast) throw new Error(`Route '${template}': a catch-all must be the last segment.`);
    return { kind: 'catchAll', name };
  }
  if (optional && !isLast) throw new Error(`Route '${template}': only the last parameter may be optional.`);
  if (constraint && !(constraint in constraints)) {
    throw new Error(`Route '${template}': the local host does not know the constraint '${constraint}'.`);
  }
  return {
    kind: 'parameter',
    name,
    optional: Boolean(optional),
    constraint: constraint as Constraint | undefined,
  };
}
