/** Value patterns shared by the schema DSL and pure helpers; no dependencies, so the launcher can load it cheaply. */

/** Kubernetes' quantity regular expression (a fact of the apimachinery format). */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** RFC 1123 label, Kubernetes' DNS_LABEL (at most 63 characters): volume, disk and network names, host names. */
export const DNS_1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_1123_LABEL_MAX_LENGTH = 63;
/** RFC 1123 subdomain (at most 253 characters): object names. */
export const DNS_1123_SUBDOMAIN_PATTERN =
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS_1123_SUBDOMAIN_MAX_LENGTH = 253;
/** KubeVirt's rule for interface names (it allows upper case and '_', unlike a DNS label). */
export const INTERFACE_NAME_PATTERN = '^[A-Za-z0-9-_]+$';
