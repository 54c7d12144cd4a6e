import { json, readJson, route, type SimRequest, type SimResponse, type SimRoute } from '../http-kit.js';
import type { Simulator } from '../server.js';
import { ControlError } from './sim-control.js';

type Body = Record<string, unknown>;

/**
 * The control API over HTTPS for people and demos, under `/_sim/`; each call maps to one SimControl method.
 * It is served on loopback only, like the whole simulator.
 */
export function controlRoutes(simulator: Simulator): SimRoute[] {
  const control = simulator.control;
  const handle =
    (action: (request: SimRequest, body: Body) => unknown, status = 200) =>
    (request: SimRequest): SimResponse => {
      const body = request.body.length > 0 ? readJson<Body>(request) : {};
      if (body === undefined) return json(400, { error: 'The body must be JSON.' });
      try {
        const result = action(request, body);
        return result === undefined ? { status: 204 } : json(status, result);
      } catch (error) {
        const code = error instanceof ControlError ? error.status : 500;
        return json(code, { error: (error as Error).message });
      }
    };
  const p = (request: SimRequest, name: string) => request.params[name] ?? '';
  return [
    route(
      'GET',
      '/_sim/tenants',
      handle(() => control.tenants()),
    ),
    route(
      'POST',
      '/_sim/tenants',
      handle((_, body) => control.generateTenant(body as never), 201),
    ),
    route(
      'POST',
      '/_sim/tenants/:tenant/users',
      handle((r, body) => control.addUser(p(r, 'tenant'), body as never), 201),
    ),
    route(
      'PATCH',
      '/_sim/tenants/:tenant/users/:user',
      handle((r, body) => control.updateUser(p(r, 'tenant'), p(r, 'user'), body)),
    ),
    route(
      'DELETE',
      '/_sim/tenants/:tenant/users/:user',
      handle((r) =>
        control.deleteUser(p(r, 'tenant'), p(r, 'user'), { hard: r.url.searchParams.get('hard') === 'true' }),
      ),
    ),
    route(
      'POST',
      '/_sim/tenants/:tenant/users/:user/restore',
      handle((r) => control.restoreUser(p(r, 'tenant'), p(r, 'user'))),
    ),
    route(
      'POST',
      '/_sim/tenants/:tenant/groups',
      handle((r, body) => control.addGroup(p(r, 'tenant'), body as never), 201),
    ),
    route(
      'PATCH',
      '/_sim/tenants/:tenant/groups/:group',
      handle((r, body) => control.updateGroup(p(r, 'tenant'), p(r, 'group'), body)),
    ),
    route(
      'DELETE',
      '/_sim/tenants/:tenant/groups/:group',
      handle((r) =>
        control.deleteGroup(p(r, 'tenant'), p(r, 'group'), {
          hard: r.url.searchParams.get('hard') === 'true',
        }),
      ),
    ),
    route(
      'POST',
      '/_sim/tenants/:tenant/groups/:group/members',
      handle((r, body) => control.addMember(p(r, 'tenant'), p(r, 'group'), String(body.id))),
    ),
    route(
      'DELETE',
      '/_sim/tenants/:tenant/groups/:group/members/:member',
      handle((r) => control.removeMember(p(r, 'tenant'), p(r, 'group'), p(r, 'member'))),
    ),
    route(
      'PUT',
      '/_sim/tenants/:tenant/numbers/:number',
      handle((r, body) =>
        control.setNumberAssignment(p(r, 'tenant'), p(r, 'number'), (body.userId as string | null) ?? null),
      ),
    ),
    route(
      'POST',
      '/_sim/tenants/:tenant/domains',
      handle((r, body) => control.addVerifiedDomain(p(r, 'tenant'), String(body.id)), 201),
    ),
    route(
      'PUT',
      '/_sim/tenants/:tenant/skus/:sku',
      handle((r, body) =>
        control.setSkuSeats(p(r, 'tenant'), p(r, 'sku'), {
          enabled: Number(body.enabled),
          ...(body.consumed === undefined ? {} : { consumed: Number(body.consumed) }),
        }),
      ),
    ),
    route(
      'POST',
      '/_sim/tenants/:tenant/revoke-consent',
      handle((r, body) => control.revokeConsent(p(r, 'tenant'), String(body.appId))),
    ),
    route(
      'POST',
      '/_sim/tenants/:tenant/role-assignments',
      handle((r, body) =>
        control.assignRole(p(r, 'tenant'), String(body.principalId), String(body.roleDefinitionId), {
          eligible: body.eligible === true,
        }),
      ),
    ),
    route(
      'DELETE',
      '/_sim/tenants/:tenant/role-assignments',
      handle((r) =>
        control.removeRoleAssignment(
          p(r, 'tenant'),
          r.url.searchParams.get('principalId') ?? '',
          r.url.searchParams.get('roleDefinitionId') ?? '',
        ),
      ),
    ),
    route(
      'POST',
      '/_sim/tenants/:tenant/expire-delta-tokens',
      handle((r) => control.expireDeltaTokens(p(r, 'tenant'))),
    ),
    route(
      'PATCH',
      '/_sim/tenants/:tenant/policies',
      handle((r, body) => control.setPolicies(p(r, 'tenant'), body)),
    ),
    route(
      'POST',
      '/_sim/applications/:app/expire-secrets',
      handle((r, body) => control.expireSecret(p(r, 'app'), body.keyId as string | undefined)),
    ),
    route(
      'POST',
      '/_sim/faults',
      handle((_, body) => ({ id: control.injectFault(body) }), 201),
    ),
    route(
      'DELETE',
      '/_sim/faults',
      handle(() => control.clearFaults()),
    ),
    route(
      'PUT',
      '/_sim/throttle',
      handle((_, body) => control.setThrottleBudget(body.budget as number | undefined)),
    ),
    route(
      'PATCH',
      '/_sim/timings',
      handle((_, body) => control.setTimings(body)),
    ),
    route(
      'POST',
      '/_sim/dns/txt',
      handle((_, body) => control.publishDnsTxt(String(body.domain), String(body.text))),
    ),
  ];
}
