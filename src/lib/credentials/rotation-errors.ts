import { ConnectorError } from '../errors/connector-error.js';

export class RotationInProgress extends ConnectorError {
  readonly code = 'rotation_in_progress';
  constructor(serviceId: string) {
    super(`A rotation of service ${serviceId}'s secret is under way: follow it on the tenant.`);
  }
}
