import { GraphClient, GraphError, type GraphResponse } from '../../src/lib/graph/graph-client.js';

/** What one Graph call answers: a body, a GraphError (thrown), or either by the how-many-th call of its kind. */
export type GraphAnswer = unknown;

/**
 * Microsoft Graph as a script, for step tables tested in milliseconds: each `METHOD path` (query left out) answers
 * what the test says; an unscripted call fails the test. Every call is kept, with its body.
 */
export class ScriptedGraph extends GraphClient {
  readonly calls: { call: string; body?: unknown }[] = [];

  constructor(
    private readonly script: Record<string, GraphAnswer | ((nth: number, body: unknown) => GraphAnswer)>,
  ) {
    super({ endpoint: 'https://graph.invalid' });
  }

  override async request<T>(
    _token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<GraphResponse<T>> {
    const call = `${method} ${path.split('?')[0]}`;
    this.calls.push({ call, body });
    const scripted = this.script[call];
    if (scripted === undefined) throw new Error(`unscripted Graph call ${call}`);
    const nth = this.calls.filter((made) => made.call === call).length;
    const answer = typeof scripted === 'function' ? scripted(nth, body) : scripted;
    if (answer instanceof GraphError) throw answer;
    return { status: 200, body: answer as T, headers: new Headers() };
  }

  /** The calls made, as `METHOD path`. */
  get made(): string[] {
    return this.calls.map(({ call }) => call);
  }
}
