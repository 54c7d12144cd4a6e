import { json, type SimResponse } from '../http-kit.js';
import {
  orderAssignment,
  orderStatus,
  orderUnassignment,
  type SimNumberOrder,
} from '../teams/number-orders.js';
import { badRequest, graphError } from './graph-error.js';
import { type GraphContext, type GraphRoute, graphRoute, readBody } from './graph-route.js';
import { globalOnly, readNumbers, teamsRequirement } from './teams.js';

const writeNumbers = teamsRequirement(['TeamsTelephoneNumber.ReadWrite.All']);
const numberTypes = ['directRouting', 'callingPlan', 'operatorConnect'];
const categories = ['primary', 'private', 'alternate'];
const management = '/admin/teams/telephoneNumberManagement';

/** A missing or unknown action parameter, as OData refuses one before the action runs. */
const invalidParameter = (name: string, value: unknown) =>
  badRequest(
    value === undefined || value === null || value === ''
      ? `The parameter '${name}' in the request payload is not a valid parameter for the operation.`
      : `Cannot convert the literal '${String(value)}' to the expected type for '${name}'.`,
  );

interface AssignBody {
  telephoneNumber?: string;
  assignmentTargetId?: string;
  numberType?: string;
  assignmentCategory?: string;
  locationId?: string;
}

interface UpdateBody {
  telephoneNumber?: string;
  locationId?: string | null;
  networkSiteId?: string | null;
  reverseNumberLookupOptions?: string[] | null;
}

/** 202 with the operation's address in `Location`, as the v1.0 pages show it (`operations('{id}')`). */
function accepted(context: GraphContext, order: SimNumberOrder): SimResponse {
  return {
    status: 202,
    headers: { location: `${context.baseUrl}/v1.0${management}/operations('${order.id}')` },
  };
}

function operationView(context: GraphContext, order: SimNumberOrder): SimResponse {
  const status = orderStatus(order);
  const number = context.tenant.numberAssignments.get(order.telephoneNumber);
  const entity = {
    '@odata.type': '#microsoft.graph.teamsAdministration.telephoneNumberLongRunningOperation',
    id: order.id,
    createdDateTime: new Date(order.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
    status,
    numbers: [
      {
        resourceLocation: number
          ? `${context.baseUrl}/v1.0${management}/numberAssignments/${number.id}`
          : null,
        status,
        ...(status === 'failed' ? { statusDetail: order.failure } : {}),
      },
    ],
  };
  return json(200, context.config.numberOperationWrapped ? { value: entity } : entity);
}

const operation = (context: GraphContext): SimResponse => {
  const id = context.request.params.id ?? context.request.params.key ?? '';
  const order = context.tenant.numberOrders.get(id);
  return order
    ? operationView(context, order)
    : graphError(404, 'NotFound', `The operation '${id}' was not found.`);
};

/**
 * Number assignment through Graph v1.0 (global service only): `assignNumber` and `unassignNumber` take an order and
 * answer 202 with its operation's address; the operation tells how it went, per number; `updateNumber` is
 * synchronous (200). A malformed request is refused at once (400); what is wrong with the number or the user is
 * told by the operation, `failed` with a `statusDetail`.
 * https://learn.microsoft.com/graph/api/teamsadministration-numberassignment-assignnumber
 * https://learn.microsoft.com/graph/api/teamsadministration-telephonenumberlongrunningoperation-get
 */
export function teamsNumberWriteRoutes(): GraphRoute[] {
  return globalOnly([
    graphRoute('POST', `${management}/numberAssignments/assignNumber`, writeNumbers, (context) => {
      const body = readBody<AssignBody>(context.request) ?? {};
      if (!body.telephoneNumber) return invalidParameter('telephoneNumber', body.telephoneNumber);
      if (!body.assignmentTargetId) return invalidParameter('assignmentTargetId', body.assignmentTargetId);
      if (!numberTypes.includes(body.numberType ?? ''))
        return invalidParameter('numberType', body.numberType);
      if (body.assignmentCategory !== undefined && !categories.includes(body.assignmentCategory))
        return invalidParameter('assignmentCategory', body.assignmentCategory);
      const order = orderAssignment(context.tenant, context.config, {
        telephoneNumber: body.telephoneNumber,
        targetId: body.assignmentTargetId,
        category: body.assignmentCategory as SimNumberOrder['category'],
        locationId: body.locationId,
      });
      return accepted(context, order);
    }),
    graphRoute('POST', `${management}/numberAssignments/unassignNumber`, writeNumbers, (context) => {
      const body = readBody<AssignBody>(context.request) ?? {};
      if (!body.telephoneNumber) return invalidParameter('telephoneNumber', body.telephoneNumber);
      if (body.numberType !== undefined && !numberTypes.includes(body.numberType))
        return invalidParameter('numberType', body.numberType);
      return accepted(context, orderUnassignment(context.tenant, context.config, body.telephoneNumber));
    }),
    graphRoute('POST', `${management}/numberAssignments/updateNumber`, writeNumbers, (context) => {
      const body = readBody<UpdateBody>(context.request) ?? {};
      if (!body.telephoneNumber) return invalidParameter('telephoneNumber', body.telephoneNumber);
      const number = context.tenant.numberAssignments.get(body.telephoneNumber);
      if (!number)
        return graphError(404, 'NotFound', `The telephone number ${body.telephoneNumber} was not found.`);
      // An empty string clears a value; null or an absent field keeps it (the page's words).
      if (typeof body.locationId === 'string') number.locationId = body.locationId || null;
      if (typeof body.networkSiteId === 'string') number.networkSiteId = body.networkSiteId || null;
      if (Array.isArray(body.reverseNumberLookupOptions))
        number.reverseNumberLookupOptions = body.reverseNumberLookupOptions.filter(
          (option): option is 'skipInternalVoip' => option === 'skipInternalVoip',
        );
      return { status: 200 };
    }),
    graphRoute('GET', `${management}/operations/:id`, readNumbers, operation),
    {
      method: 'GET',
      pattern: /^\/admin\/teams\/telephoneNumberManagement\/operations\('(?<key>[^']*)'\)\/?$/i,
      requirement: readNumbers,
      handler: operation,
    },
  ]);
}
