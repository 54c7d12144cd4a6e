import { describe, expect, it } from 'vitest';
import {
  fingerprint,
  numberFields,
  replicaBuckets,
  replicaPartition,
  userFields,
  voiceFields,
} from '../../../src/lib/replication/replica-rows.js';

const tenantId = '6f0b5a3e-2c4d-4e8f-9a1b-3c5d7e9f1a2b';

describe('replica rows', () => {
  it('puts a row in one of the tenant’s buckets, the same one every time', () => {
    const partition = replicaPartition(tenantId, 'user|u-1');
    expect(partition).toMatch(new RegExp(`^${tenantId}\\|[0-9a-f]{2}$`));
    expect(replicaPartition(tenantId, 'user|u-1')).toBe(partition);
    expect(Number.parseInt(partition.slice(-2), 16)).toBeLessThan(replicaBuckets);
  });

  it('keeps a membership with its group and a voice row with its user', () => {
    expect(replicaPartition(tenantId, 'member|g-1|u-9')).toBe(replicaPartition(tenantId, 'group|g-1'));
    expect(replicaPartition(tenantId, 'voice|u-9')).toBe(replicaPartition(tenantId, 'user|u-9'));
  });

  it('spreads many objects over most buckets', () => {
    const buckets = new Set(
      Array.from({ length: 5000 }, (_, i) => replicaPartition(tenantId, `user|${i}-${i * 7}`)),
    );
    expect(buckets.size).toBeGreaterThan(replicaBuckets * 0.9);
  });

  it('fingerprints fields whatever their order, and differently when a value changes', () => {
    expect(fingerprint({ a: 1, b: 'x' })).toBe(fingerprint({ b: 'x', a: 1 }));
    expect(fingerprint({ a: 1, b: 'x' })).not.toBe(fingerprint({ a: 1, b: 'y' }));
    expect(fingerprint({ a: 1 })).toHaveLength(22);
  });

  it('maps Graph users with defaults for what delta left out', () => {
    expect(userFields({ id: 'u', displayName: 'Ann' })).toEqual({
      displayName: 'Ann',
      userPrincipalName: '',
      mail: '',
      accountEnabled: true,
      usageLocation: '',
    });
    expect(userFields({ accountEnabled: false }).accountEnabled).toBe(false);
  });

  it('maps Teams configurations: Teams Phone from its feature types, numbers sorted, policies by type', () => {
    expect(
      voiceFields({
        id: 'u',
        isEnterpriseVoiceEnabled: true,
        featureTypes: ['Teams', 'PhoneSystem'],
        telephoneNumbers: [{ telephoneNumber: '+442' }, { telephoneNumber: '+441' }],
        effectivePolicyAssignments: [
          { policyType: 'TeamsCallingPolicy', policyAssignment: { displayName: 'AllowCalling' } },
          { policyType: 'OnlineVoiceRoutingPolicy', policyAssignment: { displayName: 'UK' } },
        ],
      }),
    ).toEqual({
      teamsPhoneLicence: true,
      phoneNumbers: '["+441","+442"]',
      enterpriseVoice: true,
      voiceRoutingPolicy: 'UK',
      callingPolicy: 'AllowCalling',
    });
    expect(voiceFields({ id: 'u' })).toMatchObject({ teamsPhoneLicence: false, phoneNumbers: '[]' });
  });

  it('maps number assignments', () => {
    expect(numberFields({ assignmentTargetId: 'u', assignmentStatus: 'userAssigned' })).toEqual({
      assignedTo: 'u',
      assignmentStatus: 'userAssigned',
    });
  });
});
