/** Value patterns shared by the schema DSL and pure helpers; no dependencies, so the launcher can load it cheaply. */

/** Kubernetes' quantity regular expression (a fact of the apimachinery format). */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
