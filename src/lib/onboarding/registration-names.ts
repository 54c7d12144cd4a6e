/** What the connector names in the customer's tenant: its app registration and the credentials on it. */

/** The app registration's display name. */
export const registrationName = 'Live Platform Connector';

/** The app's alternate key: one app per invitation, however often its creation is sent. */
export const appUniqueName = (invitationId: string) => `live-platform-connector-${invitationId}`;

/** A service's password or certificate on the app is named for it. */
export const secretName = (serviceId: string) => `Live Platform service ${serviceId}`;
