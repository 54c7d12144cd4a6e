import { randomBytes } from 'node:crypto';

/** One device authorization: pending until its person approves or declines on the device login page. */
export interface DeviceGrant {
  deviceCode: string;
  userCode: string;
  clientId: string;
  /** The tenant reference the client asked for (a tenant, or organizations/common). */
  tenantReference: string;
  scopes: string[];
  expiresAt: number;
  state: 'pending' | 'approved' | 'declined' | 'redeemed';
  tenantId?: string;
  userId?: string;
}

/** Microsoft: the user has 15 minutes to sign in; the client polls every 5 seconds (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code). */
export const deviceCodeLifetimeSeconds = 900;

/** User codes are short, upper case, without look-alike characters, as Microsoft's are (e.g. `FJKXR8L2Q`). */
const userCodeAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export class DeviceCodes {
  private readonly byDeviceCode = new Map<string, DeviceGrant>();
  /** The polling interval handed to clients, in seconds (tests shorten it). */
  intervalSeconds = 5;

  issue(input: Pick<DeviceGrant, 'clientId' | 'tenantReference' | 'scopes'>): DeviceGrant {
    const userCode = [...randomBytes(9)]
      .map((byte) => userCodeAlphabet[byte % userCodeAlphabet.length])
      .join('');
    const grant: DeviceGrant = {
      ...input,
      deviceCode: randomBytes(48).toString('base64url'),
      userCode,
      expiresAt: Date.now() + deviceCodeLifetimeSeconds * 1000,
      state: 'pending',
    };
    this.byDeviceCode.set(grant.deviceCode, grant);
    return grant;
  }

  find(deviceCode: string): DeviceGrant | undefined {
    return this.byDeviceCode.get(deviceCode);
  }

  /** The open grant a person typed the code of (case and spaces ignored), if it has not expired. */
  byUserCode(typed: string): DeviceGrant | undefined {
    const wanted = typed.replace(/[\s-]/g, '').toUpperCase();
    for (const grant of this.byDeviceCode.values())
      if (grant.userCode === wanted && grant.state === 'pending' && grant.expiresAt > Date.now())
        return grant;
    return undefined;
  }

  /** Makes every outstanding device code expire now (for tests of the expiry path). */
  expireAll(): void {
    for (const grant of this.byDeviceCode.values()) grant.expiresAt = 0;
  }
}
