/**
 * Azure's naming rules for storage, in one place: storage accounts are 3-24 lower-case letters and
 * digits; ADLS filesystems (blob containers) 3-63 lower-case letters, digits and single hyphens,
 * starting and ending with a letter or digit. Storage endpoints live under one suffix per cloud.
 */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
export const FILESYSTEM_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/** Storage endpoint suffixes of the public cloud (first), US Government and China. */
export const STORAGE_CLOUDS = ['core.windows.net', 'core.usgovcloudapi.net', 'core.chinacloudapi.cn'] as const;
