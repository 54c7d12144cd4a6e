import { json } from '../http-kit.js';
import { deltaQuery } from './delta.js';
import type { GraphConfig } from './graph-config.js';
import { notFound } from './graph-error.js';
import { type GraphRoute, graphRoute } from './graph-route.js';
import { listPage } from './list-page.js';
import { project, selectFields } from './odata.js';

const readGroups = {
  application: ['Group.Read.All', 'GroupMember.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All'],
  delegated: ['Group.Read.All', 'GroupMember.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All'],
};

export function groupRoutes(config: GraphConfig, baseUrl: string): GraphRoute[] {
  const groupsDelta = deltaQuery('groups', config, baseUrl);
  return [
    graphRoute('GET', '/groups/delta', readGroups, ({ request, tenant }) => groupsDelta(request, tenant)),
    graphRoute('GET', '/groups', readGroups, (context) => {
      const fields = selectFields(context.request);
      return listPage(context, 'groups', [...context.tenant.groups.values()], (group) =>
        project(group, fields),
      );
    }),
    graphRoute('GET', '/groups/:id', readGroups, ({ request, tenant }) => {
      const group = tenant.groups.get(request.params.id ?? '');
      return group ? json(200, project(group, selectFields(request))) : notFound(request.params.id ?? '');
    }),
    graphRoute('GET', '/groups/:id/members', readGroups, (context) => {
      const { request, tenant } = context;
      const members = tenant.members.get(request.params.id ?? '');
      if (!members) return notFound(request.params.id ?? '');
      const fields = selectFields(request);
      return listPage(context, 'directoryObjects', [...members], (id) => {
        const user = tenant.users.get(id);
        if (user) return { '@odata.type': '#microsoft.graph.user', ...project(user, fields) };
        const group = tenant.groups.get(id);
        return { '@odata.type': '#microsoft.graph.group', ...project(group ?? { id }, fields) };
      });
    }),
  ];
}
