/**
 * The task's input and output names: the one list src/taskInputs.ts reads and the report writes, typed so
 * that a misspelt name does not compile. tests/unit/inputNames.test.ts checks both lists against task.json.
 */
export const INPUT_NAMES = [
  'action',
  'bootstrapConnection',
  'connectionName',
  'subscriptionId',
  'identityType',
  'subscriptionName',
  'resourceGroup',
  'managementGroupId',
  'managementGroupName',
  'roleDefinitionName',
  'roleAssignments',
  'identityResourceGroup',
  'identityName',
  'identityLocation',
  'applicationName',
  'organizationUrl',
  'project',
  'connectionDescription',
  'devOpsAuth',
  'devOpsTokenVariable',
  'shareWithProjects',
  'authorizeAllPipelines',
  'authorizePipelines',
  'approvers',
  'approvalInstructions',
  'approvalTimeoutMinutes',
  'minimumApprovers',
  'allowSelfApproval',
  'allowedBranches',
  'requireBranchProtection',
  'inventoryScope',
  'inventoryVerify',
  'secretExpiryDays',
  'unusedDays',
  'failOn',
  'migrateConnections',
  'reportPath',
  'existingConnection',
  'dryRun',
  'replicationWaitSeconds',
  'verifyConnection',
  'verifyTimeoutSeconds',
  'removeIdentity',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];

export const OUTPUT_NAMES = [
  'serviceConnectionName',
  'serviceConnectionId',
  'clientId',
  'principalId',
  'tenantId',
  'workloadIdentityIssuer',
  'workloadIdentitySubject',
  'applicationObjectId',
  'reportPath',
  'connectionCount',
  'findingCount',
  'migratedCount',
] as const;

export type OutputName = (typeof OUTPUT_NAMES)[number];
