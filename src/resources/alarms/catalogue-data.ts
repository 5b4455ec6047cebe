/**
 * Alarm and log definitions, after StarlingX fm's events.yaml (see
 * ../shared/reference/starlingx.md §2). Data only, in two files by family:
 * add a definition there and it can be raised, filtered, suppressed and shown.
 */
import { buildCatalogue, type AlarmDefinition } from './catalogue.js';
import { HOST_DEFINITIONS } from './catalogue-host.js';
import { SERVICE_DEFINITIONS } from './catalogue-services.js';

export const DEFINITIONS: readonly AlarmDefinition[] = [...HOST_DEFINITIONS, ...SERVICE_DEFINITIONS];

export const defaultCatalogue = buildCatalogue(DEFINITIONS);
