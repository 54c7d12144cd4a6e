import { json } from '../http-kit.js';
import { type GraphRoute, graphRoute } from './graph-route.js';

const readOrganization = {
  application: ['Organization.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  delegated: ['User.Read', 'Organization.Read.All', 'Directory.Read.All'],
};
/** List subscribedSkus: LicenseAssignment.Read.All or a directory/organization read, not LicenseAssignment.ReadWrite.All. */
const readSkus = {
  application: [
    'LicenseAssignment.Read.All',
    'Organization.Read.All',
    'Organization.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  delegated: ['LicenseAssignment.Read.All', 'Organization.Read.All', 'Directory.Read.All'],
};

/** `/organization` and `/subscribedSkus`. */
export function organizationRoutes(): GraphRoute[] {
  return [
    graphRoute('GET', '/organization', readOrganization, ({ tenant }) =>
      json(200, {
        value: [
          {
            id: tenant.id,
            displayName: tenant.displayName,
            tenantType: 'AAD',
            verifiedDomains: [...tenant.domains.values()]
              .filter((domain) => domain.isVerified)
              .map((domain) => ({
                name: domain.id,
                isDefault: domain.isDefault,
                isInitial: domain.isInitial,
                type: domain.authenticationType,
                capabilities: domain.supportedServices.join(', '),
              })),
          },
        ],
      }),
    ),
    graphRoute('GET', '/subscribedSkus', readSkus, ({ tenant }) =>
      json(200, { value: tenant.subscribedSkus }),
    ),
  ];
}
