/** A release's states (StarlingX `software list`), apart from the service so the CLI can offer them without loading it. */
export const RELEASE_STATES = ['available', 'deploying', 'deployed', 'removing', 'unavailable', 'committed', 'upload-failed'] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];
