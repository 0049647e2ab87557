/** Former home of the CRD test helpers; they now live in api/testing/crd-kit.ts, re-exported here. */
export {
  undocumentedProperties,
  crdVersion,
  crdProperty,
  errorLines,
  clone,
  sampleVirtualMachineSpec,
} from '../../testing/crd-kit';
