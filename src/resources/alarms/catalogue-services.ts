/**
 * Fleet and service alarms and logs (StarlingX fm events.yaml, groups 280 to
 * 900): subclouds, service groups, certificates, applications, storage,
 * Kubernetes, software deployment and orchestration.
 */
import { alarm, CONTACT, log } from './catalogue-builders.js';
import type { AlarmDefinition, Severity } from './catalogue.js';

const ORCHESTRATION: ReadonlyArray<[digit: number, name: string]> = [
  [2, 'sw-deploy'],
  [3, 'fw-update'],
  [4, 'kube-upgrade'],
  [5, 'kube-rootca-update'],
  [6, 'system-config-update'],
];

const ORCHESTRATION_LOGS: ReadonlyArray<[suffix: number, event: string, severity: Severity]> = [
  [11, 'auto-apply start', 'critical'],
  [12, 'auto-apply in progress', 'critical'],
  [13, 'auto-apply rejected', 'critical'],
  [14, 'auto-apply cancelled', 'critical'],
  [15, 'auto-apply failed', 'critical'],
  [16, 'auto-apply completed', 'critical'],
  [17, 'auto-apply abort', 'critical'],
  [18, 'auto-apply aborting', 'critical'],
  [19, 'auto-apply abort rejected', 'critical'],
  [20, 'auto-apply abort failed', 'critical'],
  [21, 'auto-apply aborted', 'critical'],
];

function orchestration(): AlarmDefinition[] {
  const defs: AlarmDefinition[] = [];
  for (const [digit, name] of ORCHESTRATION) {
    const base = `900.${digit}`;
    const common = {
      entityTypeId: 'orchestration',
      entityInstanceIdFormat: `orchestration=${name}`,
      alarmType: 'equipment' as const,
      probableCause: 'unspecified-reason',
      mgmtAffectingSeverity: 'warning' as const,
      suppressible: false,
    };
    defs.push(
      alarm(`${base}01`, { ...common, description: `${name} auto-apply in progress.`, severities: ['major'], proposedRepairAction: 'Wait for the strategy to complete.' }),
      alarm(`${base}02`, { ...common, description: `${name} auto-apply aborting.`, severities: ['major'], proposedRepairAction: 'Wait for the strategy to abort.' }),
      alarm(`${base}03`, {
        ...common,
        description: `${name} auto-apply failed.`,
        severities: ['critical'],
        proposedRepairAction: `Check the strategy's failed step and its cause; fix it, then delete and recreate the strategy. ${CONTACT}`,
      }),
    );
    for (const [suffix, event, severity] of ORCHESTRATION_LOGS) {
      defs.push(log(`900.${digit}${suffix}`, `${name} ${event}.`, 'orchestration', `orchestration=${name}`, severity, 'equipment', 'unspecified-reason'));
    }
  }
  return defs;
}

export const SERVICE_DEFINITIONS: readonly AlarmDefinition[] = [
  alarm('280.001', {
    description: '<subcloud> is offline.',
    entityTypeId: 'subcloud',
    entityInstanceIdFormat: 'subcloud=<subcloud>',
    severities: ['critical'],
    alarmType: 'communication',
    probableCause: 'loss-of-signal',
    proposedRepairAction: `Wait for the subcloud to become online; if it does not, check the link to the site. ${CONTACT}`,
    serviceAffecting: true,
    mgmtAffectingSeverity: 'none',
  }),
  alarm('280.002', {
    description: '<subcloud> <resource> sync_status is out-of-sync.',
    entityTypeId: 'subcloud.resource',
    entityInstanceIdFormat: 'subcloud=<subcloud>.resource=<endpoint>',
    severities: ['major'],
    alarmType: 'operational',
    probableCause: 'integrity-violation',
    proposedRepairAction: 'If the subcloud is managed and online, wait for sync to complete; otherwise manage it or check its link.',
    mgmtAffectingSeverity: 'none',
  }),
  alarm('280.003', {
    description: 'Subcloud backup failure.',
    entityTypeId: 'subcloud',
    entityInstanceIdFormat: 'subcloud=<subcloud>',
    severities: ['minor'],
    alarmType: 'processing-error',
    probableCause: 'unspecified-reason',
    proposedRepairAction: 'Retry the subcloud backup after checking its error; a successful backup clears this alarm.',
    mgmtAffectingSeverity: 'none',
  }),
  alarm('280.004', {
    description: 'The system peer is in disconnected state: heartbeat to the peer system controller failed.',
    entityTypeId: 'peer',
    entityInstanceIdFormat: 'peer=<peer-uuid>',
    severities: ['major'],
    alarmType: 'communication',
    probableCause: 'unknown',
    proposedRepairAction: `Check the connectivity between the two system controllers. ${CONTACT}`,
    mgmtAffectingSeverity: 'none',
  }),
  alarm('280.005', {
    description: 'The subcloud peer group association is out of sync with the peer site.',
    entityTypeId: 'subcloud_peer_group',
    entityInstanceIdFormat: 'subcloud_peer_group=<name>',
    severities: ['major'],
    alarmType: 'operational',
    probableCause: 'unknown',
    proposedRepairAction: 'Check the peer group association and resync it.',
    mgmtAffectingSeverity: 'none',
  }),
  // Starling's own (StarlingX's subclouds do not pin their system controller): raised on the subcloud.
  alarm('280.010', {
    description: 'The system controller presented a certificate that does not chain to the CA pinned at enrollment; nothing it sends is applied.',
    entityTypeId: 'system_controller',
    entityInstanceIdFormat: 'system_controller=<host:port>',
    severities: ['major'],
    alarmType: 'communication',
    probableCause: 'unknown',
    proposedRepairAction:
      'Check for a machine in the middle of the link to the system controller. If the system controller really has a new CA, re-enroll this subcloud with a new token (starling subcloud add on the system controller).',
    mgmtAffectingSeverity: 'none',
  }),
  alarm('400.001', {
    description: 'Service group failure; <list of affected services>.',
    entityTypeId: 'service_domain.service_group.host',
    entityInstanceIdFormat: 'service_domain=<domain>.service_group=<group>.host=<hostname>',
    severities: ['critical', 'major', 'minor'],
    alarmType: 'processing-error',
    probableCause: 'underlying-resource-unavailable',
    proposedRepairAction: `Contact next level of support.`,
    serviceAffecting: true,
    suppressible: false,
    mgmtAffectingSeverity: 'warning',
  }),
  alarm('400.002', {
    description: 'Service group loss of redundancy; expected <n> standby member(s) but only <m> available.',
    entityTypeId: 'service_domain.service_group',
    entityInstanceIdFormat: 'service_domain=<domain>.service_group=<group>',
    severities: ['major'],
    alarmType: 'processing-error',
    probableCause: 'underlying-resource-unavailable',
    proposedRepairAction: 'Bring a controller node back into service; otherwise contact next level of support.',
    serviceAffecting: true,
    suppressible: false,
    mgmtAffectingSeverity: 'warning',
  }),
  alarm('400.005', {
    description: 'Communication failure detected with peer over port <interface> on host <hostname>.',
    entityTypeId: 'host.network',
    entityInstanceIdFormat: 'host=<hostname>.network=<network>',
    severities: ['major'],
    alarmType: 'communication',
    probableCause: 'underlying-resource-unavailable',
    proposedRepairAction: 'Check the cabling and switch between the controllers.',
    serviceAffecting: true,
    suppressible: false,
    mgmtAffectingSeverity: 'warning',
  }),
  log('401.007', 'Swact or swact-force: the active controller role moved to the peer.', 'host', 'host=<hostname>', 'critical', 'operational', 'unspecified-reason'),
  alarm('500.200', {
    description: 'Certificate <name> is expiring soon (before its alarm-before threshold).',
    entityTypeId: 'certificate',
    entityInstanceIdFormat: 'system.certificate.mode=<mode> | namespace=<ns>.certificate=<name>',
    severities: ['major'],
    alarmType: 'processing-error',
    probableCause: 'certificate-expiration',
    proposedRepairAction: 'Renew the certificate before it expires (check cert-manager or install a new one).',
    mgmtAffectingSeverity: 'none',
  }),
  alarm('500.210', {
    description: 'Certificate <name> has expired.',
    entityTypeId: 'certificate',
    entityInstanceIdFormat: 'system.certificate.mode=<mode> | namespace=<ns>.certificate=<name>',
    severities: ['critical'],
    alarmType: 'processing-error',
    probableCause: 'certificate-expiration',
    proposedRepairAction: 'Install a renewed certificate now.',
    serviceAffecting: true,
    mgmtAffectingSeverity: 'none',
  }),
  ...(
    [
      ['750.001', 'Application upload failure.', 'warning', 'none', 'Check the application tarball and system logs, then retry the upload.'],
      ['750.002', 'Application apply failure.', 'major', 'none', 'Retry applying the application; if it fails again, check the application logs.'],
      ['750.003', 'Application remove failure.', 'major', 'none', 'Retry removing the application; if it fails again, check the application logs.'],
      ['750.004', 'Application apply in progress.', 'warning', 'warning', 'No action required.'],
      ['750.005', 'Application update in progress.', 'warning', 'warning', 'No action required.'],
      ['750.006', 'Automatic application re-apply is pending.', 'warning', 'warning', 'Ensure all hosts are unlocked and enabled, or reapply the application.'],
    ] as const
  ).map(([id, description, severity, mgmt, repair]) =>
    alarm(id, {
      description,
      entityTypeId: 'k8s_application',
      entityInstanceIdFormat: 'k8s_application=<appname>',
      severities: [severity],
      alarmType: 'operational',
      probableCause: 'application-subsystem-failure',
      proposedRepairAction: repair,
      mgmtAffectingSeverity: mgmt,
    }),
  ),
  alarm('800.001', {
    description: 'Storage alarm condition: possible data loss or loss of redundancy in the Ceph cluster.',
    entityTypeId: 'cluster',
    entityInstanceIdFormat: 'cluster=<dist-fs-uuid>',
    severities: ['critical', 'major'],
    alarmType: 'equipment',
    probableCause: 'equipment-malfunction',
    proposedRepairAction: `Check storage hosts and disks; if the problem persists, contact next level of support.`,
    serviceAffecting: true,
    suppressible: false,
    mgmtAffectingSeverity: 'warning',
  }),
  alarm('850.002', {
    description: 'Kubernetes cluster unreachable.',
    entityTypeId: 'kubernetes',
    entityInstanceIdFormat: 'kubernetes=<cluster>',
    severities: ['major'],
    alarmType: 'communication',
    probableCause: 'communication-subsystem-failure',
    proposedRepairAction: `Check the Kubernetes API server and the network to it. ${CONTACT}`,
    serviceAffecting: true,
    suppressible: false,
    mgmtAffectingSeverity: 'major',
  }),
  ...(
    [
      ['900.020', 'Deploy host completed with success; the host must be unlocked (reboot) to run the release.', 'major', 'none', 'Unlock the host to finish its deployment.'],
      ['900.021', 'Deploy host failed.', 'major', 'warning', 'Check the host deploy failure, fix it, then retry the host deploy or roll it back.'],
      ['900.022', 'Deploy cleanup required: the deploy completed but its files remain.', 'warning', 'none', 'Run software deploy delete.'],
      ['900.023', 'Software deploy in progress.', 'major', 'warning', 'Complete or abort the software deploy.'],
      ['900.024', 'Deploy references a release that is unavailable.', 'major', 'none', 'Upload the release again or abort the deploy.'],
    ] as const
  ).map(([id, description, severity, mgmt, repair]) =>
    alarm(id, {
      description,
      entityTypeId: 'host',
      entityInstanceIdFormat: 'host=<hostname> | host=controller',
      severities: [severity],
      alarmType: 'operational',
      probableCause: 'unspecified-reason',
      proposedRepairAction: repair,
      suppressible: false,
      mgmtAffectingSeverity: mgmt,
    }),
  ),
  ...orchestration(),
];
