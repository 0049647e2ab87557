/** Storage constructs: CDI DataVolumes and DataSources. */
export * from './data-volume';
export * from './data-source';
